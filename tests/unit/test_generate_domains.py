"""The user_activity, retail and customer_features generators: deterministic, messy as documented, and
their `_generated.json` truth recomputed here from the files they wrote. Pure Python, no Spark."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import pytest
from lakehouse_domains.activity.generate import generate_user_activity
from lakehouse_domains.customer_features.generate import generate_customer_features
from lakehouse_domains.retail.generate import generate_retail

from lakehouse.cli.commands import main
from lakehouse.contract.dataset import load_contract
from lakehouse.landing.check import check_file
from tests.plugin import REPO

GENERATORS = (generate_user_activity, generate_retail, generate_customer_features)


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


# customer_features --------------------------------------------------------------------------------


def _expected(transactions: list[dict], events: list[dict], day: date) -> dict:
    """The features as of the end of `day`, recomputed from the files' rows."""
    out: dict[str, dict] = {}
    customers = {t["customer_id"] for t in transactions} | {e["user_id"] for e in events}
    for c in sorted(customers):
        mine = [
            t for t in transactions if t["customer_id"] == c and t["transaction_date"][:10] <= day.isoformat()
        ]
        sales = [t for t in mine if Decimal(t["amount"]) > 0]
        sessions = defaultdict(list)
        for e in events:
            if e["user_id"] == c and e["event_timestamp"][:10] <= day.isoformat():
                sessions[e["session_id"]].append(datetime.fromisoformat(e["event_timestamp"]))
        if not mine and not sessions:
            continue
        spend = sum(Decimal(t["amount"]) for t in mine)
        last = max((date.fromisoformat(t["transaction_date"][:10]) for t in sales), default=None)
        seconds = [(max(s) - min(s)).total_seconds() for s in sessions.values()]
        out[c] = {
            "purchase_count": len(sales),
            "total_spend": f"{spend:.2f}",
            "avg_transaction_value": str((spend / len(sales)).quantize(Decimal("0.01"), ROUND_HALF_UP))
            if sales
            else None,
            "recency_days": (day - last).days if last else None,
            "session_count": len(sessions),
            "avg_session_duration_seconds": float(
                Decimal(str(sum(seconds) / len(seconds))).quantize(Decimal("0.1"), ROUND_HALF_UP)
            )
            if seconds
            else None,
            "transactions_last_30_days": sum(
                day - timedelta(days=30) < date.fromisoformat(t["transaction_date"][:10]) for t in sales
            ),
        }
    return out


def test_customer_features_files_follow_their_contracts(tmp_path):
    truth = generate_customer_features(tmp_path)
    transactions = load_contract(REPO / "domains" / "sales" / "transactions.yaml")
    clickstream = load_contract(REPO / "domains" / "clickstream" / "clickstream.yaml")
    header, _ = _read(tmp_path / "transactions_features.csv")
    assert tuple(header) == transactions.column_names
    report = check_file(tmp_path / "transactions_features.csv", transactions, 0.0)
    assert (report.rows, report.quarantined) == (truth["transactions"]["rows"], 0)
    names = sorted(p.name for p in tmp_path.glob("clickstream-features-*.json"))
    assert names == sorted(n for n in truth["files"] if n.endswith(".json"))
    for name in names:
        report = check_file(tmp_path / name, clickstream, 0.0)
        assert (report.rows, report.quarantined) == (truth["files"][name], 0)
        for line in (tmp_path / name).read_text(encoding="utf-8").splitlines():
            assert tuple(json.loads(line)) == clickstream.column_names


def test_customer_features_truth_recomputed_from_the_files(tmp_path):
    truth = generate_customer_features(tmp_path, seed=9)
    with (tmp_path / "transactions_features.csv").open(encoding="utf-8", newline="") as f:
        transactions = list(csv.DictReader(f))
    events = [
        json.loads(line)
        for p in sorted(tmp_path.glob("clickstream-features-*.json"))
        for line in p.read_text(encoding="utf-8").splitlines()
    ]
    snapshot = date.fromisoformat(truth["snapshot"])
    assert list(truth["features"]) == [snapshot.isoformat(), (snapshot - timedelta(days=7)).isoformat()]
    for day, expected in truth["features"].items():
        assert _expected(transactions, events, date.fromisoformat(day)) == expected, day
    after = snapshot.isoformat()
    assert (
        sum(t["transaction_date"][:10] > after for t in transactions)
        == truth["transactions"]["after_snapshot"]
        > 0
    )
    assert any(e["event_timestamp"][:10] > after for e in events)
    refunds = [t for t in transactions if t["amount"].startswith("-")]
    assert len(refunds) == truth["transactions"]["refunds"] > 0 and all(
        int(t["quantity"]) > 0 for t in refunds
    )
    (future,) = truth["after_snapshot_only"]
    assert any(t["customer_id"] == future for t in transactions) and any(
        e["user_id"] == future for e in events
    )
    assert all(future not in by_customer for by_customer in truth["features"].values())
    (clicks,) = truth["clickstream_only"]
    current = truth["features"][after]
    assert current[clicks]["purchase_count"] == 0 and current[clicks]["avg_transaction_value"] is None
    assert truth["sessions"]["across_midnight_of_snapshot"] >= 1
    assert {t["transaction_date"] for t in transactions} >= {f"{after} 23:59:59"}


# the CLI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "files"),
    [
        (
            "retail",
            {"events.csv", "item_properties_part1.csv", "item_properties_part2.csv", "category_tree.csv"},
        ),
        ("user_activity", {f"user_activity_2025-03-{d}.json" for d in ("01", "08", "15")}),
        ("customer_features", {"transactions_features.csv", "clickstream-features-20250301.json"}),
    ],
)
def test_cli_generates_the_domains(capsys, tmp_path, dataset, files):
    assert main(["generate", dataset, "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote ") and out.count("\n") == 1 and str(tmp_path) in out and err == ""
    written = {p.name for p in tmp_path.iterdir()}
    assert files | {"_generated.json"} <= written
    if dataset == "retail":
        truth = json.loads((tmp_path / "_generated.json").read_text(encoding="utf-8"))
        assert f"{truth['events']['valid']} events, {truth['events']['duplicates']} duplicates" in out
        header = (tmp_path / "events.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == "timestamp,visitorid,event,itemid,transactionid"
