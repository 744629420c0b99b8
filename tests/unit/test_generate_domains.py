"""The user_activity generator: deterministic, messy as documented, and
their `_generated.json` truth recomputed here from the files they wrote. Pure Python, no Spark."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from itertools import pairwise

import pytest

from lakehouse.generate.user_activity import generate_user_activity

GENERATORS = (generate_user_activity,)


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
