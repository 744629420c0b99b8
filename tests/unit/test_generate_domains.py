"""The user_activity and retail generators: deterministic, messy as documented, and
their `_generated.json` truth recomputed here from the files they wrote. Pure Python, no Spark."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from lakehouse.generate.retail import generate_retail
from lakehouse.generate.user_activity import generate_user_activity

GENERATORS = (generate_user_activity, generate_retail)


@pytest.mark.parametrize("generate", GENERATORS)
def test_same_seed_same_bytes_other_seed_other_data(tmp_path, generate):
    generate(tmp_path / "a", seed=3)
    generate(tmp_path / "b", seed=3)
    generate(tmp_path / "c", seed=4)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir()) and "_generated.json" in names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "_generated.json").read_bytes() != (
        tmp_path / "c" / "_generated.json"
    ).read_bytes()
    assert json.loads((tmp_path / "a" / "_generated.json").read_text(encoding="utf-8")) == generate(
        tmp_path / "d", seed=3
    )


# user_activity ------------------------------------------------------------------------------------


def _bad_kind(line: str) -> str | None:
    try:
        r = json.loads(line)
    except ValueError:
        return "not_json"
    if "user_id" not in r:
        return "missing_user_id"
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["action_ts"]):
        return "bad_action_ts"
    return None if r["action_type"] in ("Post", "Replied") else "unknown_action_type"


def _identity(r: dict) -> tuple:
    return (r["user_id"], r["action_ts"], r["action_type"], r["item_id"])


def _profile(r: dict) -> tuple:
    return (r["user_name"], r.get("user_address"), r["user_contact"])


def test_user_activity_truth_matches_the_files(tmp_path):
    truth = generate_user_activity(tmp_path, seed=8)
    files = {name: (tmp_path / name).read_text(encoding="utf-8").splitlines() for name in truth["files"]}
    assert list(files) == [f"user_activity_2025-03-{d}.json" for d in ("01", "08", "15")]
    assert {n: {"lines": len(x), "bad": sum(map(bool, map(_bad_kind, x)))} for n, x in files.items()} == (
        truth["files"]
    )
    bad = Counter(kind for lines in files.values() for kind in map(_bad_kind, lines) if kind)
    assert bad == truth["bad_lines"] == dict.fromkeys(truth["bad_lines"], 1)
    per_file = {n: [json.loads(x) for x in lines if not _bad_kind(x)] for n, lines in files.items()}
    d1, d2, d3 = per_file.values()
    records = d1 + d2 + d3
    for name, rows in per_file.items():  # actions in Feb-Mar 2025, each before its delivery date
        assert all("2025-02-01" <= r["action_ts"] <= r["last_modified_at"] < name[14:24] for r in rows)
    assert len({_identity(r) for r in records}) == truth["records"]
    assert len({(_identity(r), r["last_modified_at"]) for r in records}) == truth["record_versions"]
    first, second, _ = files.values()
    assert len(set(first) & set(second)) == truth["redelivered_unchanged"] > 0  # byte-identical lines

    gaps = {
        "no_user_address": lambda r: "user_address" not in r,
        "null_user_contact": lambda r: r["user_contact"] is None,
        "no_title": lambda r: "Title" not in r["user_name"],
        "null_zip_code": lambda r: "user_address" in r and r["user_address"]["ZipCode"] is None,
    }
    for gap, has in gaps.items():
        gapped = {_identity(r) for r in records if has(r)}
        assert truth["gaps"][gap] == {"users": sorted({i[0] for i in gapped}), "records": len(gapped)}
        assert gapped, gap

    # the SCD2 expectation: profiles in last_modified_at order, consecutive equal ones collapsed
    history = defaultdict(dict)
    for r in records:
        history[r["user_id"]][r["last_modified_at"], _identity(r)] = _profile(r)
    versions, current = {}, {}
    for user, by_time in sorted(history.items()):
        ordered = [by_time[k] for k in sorted(by_time)]
        versions[user] = 1 + sum(a != b for a, b in pairwise(ordered))
        newest = max(by_time)[0]
        name, address, contact = ordered[-1]
        current[user] = {"user_name": name, "user_address": address, "user_contact": contact}
        current[user]["last_modified_at"] = newest
    assert versions == truth["profile_versions"]
    assert current == truth["current_profile"]
    assert versions[truth["changed_back_user"]] == 3  # A, B, A: the change back is a version of its own
    assert all(versions[u] >= 2 for u in truth["changed_users"])

    late = truth["late_older"]
    (row,) = [r for r in d3 if (r["user_id"], r["action_ts"]) == (late["user_id"], late["action_ts"])]
    earlier = [r for r in d1 + d2 if r["user_id"] == late["user_id"]]
    newest = max(earlier, key=lambda r: r["last_modified_at"])
    assert row["last_modified_at"] == late["last_modified_at"] < newest["last_modified_at"]
    assert newest["last_modified_at"] == late["newest_already_delivered"]
    assert _profile(row) != _profile(newest)  # it carries the older profile ...
    assert _profile(row) in [_profile(r) for r in d1 if r["user_id"] == late["user_id"]]
    now = current[late["user_id"]]
    assert (now["user_name"], now["user_address"], now["user_contact"]) != _profile(row)  # ... not current

    fix = truth["corrected_record"]
    key = (fix["user_id"], fix["action_ts"], fix["action_type"], fix["item_id"])
    assert [(r["last_modified_at"], r["item_name"]) for r in d1 + d3 if _identity(r) == key] == list(
        zip(fix["last_modified_at"], fix["item_name"], strict=True)
    )
    assert fix["item_name"][0] != fix["item_name"][1]


# retail -------------------------------------------------------------------------------------------


def _read(path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def _utc(ms: str) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(ms))


def test_retail_events_truth_matches_the_file(tmp_path):
    truth = generate_retail(tmp_path, seed=5)
    header, rows = _read(tmp_path / "events.csv")
    assert header == ["timestamp", "visitorid", "event", "itemid", "transactionid"]
    bad, valid = Counter(), []
    for row in rows:
        ts, visitor, event, _item, tid = row
        if not ts.isdigit():
            bad["bad_timestamp"] += 1
        elif event not in ("view", "addtocart", "transaction"):
            bad["unknown_event"] += 1
        elif not visitor:
            bad["missing_visitorid"] += 1
        else:
            assert len(ts) == 13 and (tid != "") == (event == "transaction")  # epoch milliseconds
            valid.append(tuple(row))
    events = truth["events"]
    assert bad == events["bad"] and len(rows) == events["lines"]
    assert len(set(valid)) == events["valid"]
    assert len(valid) - len(set(valid)) == events["duplicates"] > 0
    by_day: dict = defaultdict(Counter)
    for ts, _v, event, _i, _t in set(valid):
        by_day[_utc(ts).date().isoformat()][event] += 1
    assert {d: dict(c) for d, c in by_day.items()} == events["by_day"]
    assert len(by_day) == truth["days"] and min(by_day) == truth["start"]
    total = sum(by_day.values(), Counter())
    assert total["view"] > total["addtocart"] > total["transaction"] > 0  # funnels
    assert len({t for *_, t in valid if t}) == events["transactions"]
    stamps = [int(r[0]) for r in valid]
    assert stamps != sorted(stamps)  # the tracker's order, not time order


def test_retail_item_properties_are_an_unsorted_snapshot_log(tmp_path):
    truth = generate_retail(tmp_path, seed=6)
    (h1, part1), (h2, part2) = (_read(tmp_path / f"item_properties_part{i}.csv") for i in (1, 2))
    assert h1 == h2 == ["timestamp", "itemid", "property", "value"]
    props = truth["item_properties"]
    assert (len(part1), len(part2), len(part1) + len(part2)) == (
        props["part1_rows"],
        props["part2_rows"],
        props["rows"],
    )
    for part in (part1, part2):
        stamps = [int(r[0]) for r in part]
        assert stamps != sorted(stamps)
    assert min(int(r[0]) for r in part2) < max(int(r[0]) for r in part1)  # not split by time
    rows = sorted(((int(ts), item, p, v) for ts, item, p, v in part1 + part2), key=lambda r: r[0])
    assert {p for _, _, p, _ in rows} == set(props["properties"])
    assert len({item for _, item, _, _ in rows}) == truth["items"]
    for _, _, p, value in rows:
        if p in ("888", "790", "283"):
            assert all(re.fullmatch(r"\d+|n\d+\.\d{3}", t) for t in value.split()) and " n" in f" {value}"
        elif p == "available":
            assert value in ("0", "1")
    series = defaultdict(list)
    for _, item, p, value in rows:
        series[item, p].append(value)
    assert any(len(v) > len(set(v)) for v in series.values())  # snapshots repeat unchanged values

    def changes(item, p):
        values = series[item, p]
        return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]

    assert all(len(changes(i, "categoryid")) == 2 for i in props["category_changed"])
    assert all(changes(i, "available") == ["1", "0", "1"] for i in props["availability_back"])
    assert changes(props["unavailable_for_good"], "available") == ["1", "0"]
    for cp in truth["checkpoints"]:  # the latest snapshot at or before the time, per property
        state = {
            i: {"categoryid": None, "available": None} for i in truth["item_state"][str(cp["timestamp"])]
        }
        for ts, item, p, value in rows:
            if ts <= cp["timestamp"] and p in ("categoryid", "available"):
                state[item][p] = value
        assert state == truth["item_state"][str(cp["timestamp"])]
        assert _utc(cp["timestamp"]).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" == cp["utc"]


def test_retail_category_tree_roots_orphans_and_cycle(tmp_path):
    tree = generate_retail(tmp_path, seed=7)["category_tree"]
    header, rows = _read(tmp_path / "category_tree.csv")
    assert header == ["categoryid", "parentid"] and len(rows) == tree["categories"]
    parent = dict(rows)
    ends: dict[str, str] = {}
    cycle: set[str] = set()
    depth = {}
    for cat in parent:
        path, node = [], cat
        while node in parent and node not in path:
            path.append(node)
            node = parent[node]
        ends[cat] = "root" if node == "" else "cycle" if node in path else "orphan"
        if ends[cat] == "cycle":
            cycle |= set(path[path.index(node) :])
        depth[cat] = len(path)
    assert sorted(c for c, p in parent.items() if p == "") == tree["roots"]
    assert sorted(c for c, end in ends.items() if end == "orphan") == sorted(tree["orphans"])
    assert tree["missing_parent"] not in parent and parent[tree["orphans"][0]] == tree["missing_parent"]
    assert sorted(cycle) == tree["cycle"]
    assert max(d for c, d in depth.items() if ends[c] == "root") == 3
    assert all(depth[leaf] == 3 for leaf in tree["leaves"])
