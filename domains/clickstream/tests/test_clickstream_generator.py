"""The synthetic clickstream: deterministic, realistic, and its ground truth matches its files."""

from __future__ import annotations

import json
from collections import Counter

from lakehouse_domains.clickstream.generate import generate_clickstream


def read_all(out):
    files = sorted(p for p in out.glob("clickstream-*.json"))
    return files, [line for f in files for line in f.read_text().splitlines()]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = generate_clickstream(tmp_path / "a", days=1, events_per_hour=20, seed=3)
    generate_clickstream(tmp_path / "b", days=1, events_per_hour=20, seed=3)
    generate_clickstream(tmp_path / "c", days=1, events_per_hour=20, seed=4)
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()
    assert (tmp_path / "a" / "_generated.json").read_text() != (
        tmp_path / "c" / "_generated.json"
    ).read_text()
    assert a.files == 24


def test_ground_truth_matches_the_files(tmp_path):
    stats = generate_clickstream(
        tmp_path, days=2, events_per_hour=30, seed=11, duplicate_rate=0.05, late_rate=0.05, bad_rate=0.03
    )
    files, lines = read_all(tmp_path)
    assert stats.lines == len(lines) == stats.events + stats.duplicates + stats.bad
    parsed, malformed = [], 0
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            malformed += 1
    assert malformed == stats.bad_records["malformed_json"] > 0
    good = [e for e in parsed if "user_id" in e and e["event_timestamp"] != "yesterday at noon"]
    assert len({e["event_id"] for e in good}) == stats.events
    assert len(good) - stats.events == stats.duplicates > 0
    assert (
        sum(e["event_timestamp"] == "yesterday at noon" for e in parsed) == stats.bad_records["bad_timestamp"]
    )
    assert sum("user_id" not in e for e in parsed) == stats.bad_records["missing_user_id"]
    # late events sit in a file of a later hour than their event time
    late = sum(
        1
        for f in files
        for line in f.read_text().splitlines()
        if line.startswith("{")
        and line.endswith("}")
        and json.loads(line)["event_timestamp"][:13].replace("-", "").replace("T", "-")
        < f.stem.removeprefix("clickstream-")
    )
    assert late >= stats.late > 0


def test_sessions_funnels_and_returning_users(tmp_path):
    generate_clickstream(tmp_path, days=2, events_per_hour=40, seed=5)
    _, lines = read_all(tmp_path)
    events = [e for e in (json.loads(x) for x in lines if x.endswith("}")) if "user_id" in e]
    types = Counter(e["event_type"] for e in events)
    assert types["page_view"] > types["add_to_cart"] > types["purchase"] > 0
    days_per_user = Counter(
        user for user, _day in {(e["user_id"], e["event_timestamp"][:10]) for e in events}
    )
    assert any(n >= 2 for n in days_per_user.values())  # some users come back the next day
    purchase = next(e for e in events if e["event_type"] == "purchase")
    assert set(purchase["metadata"]) >= {"order_id", "amount", "currency"}
    sessions = Counter(e["session_id"] for e in events)
    assert max(sessions.values()) > 3
