"""customer_features on hand-made rows: point-in-time correct, nothing after the snapshot counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lakehouse_domains.customer_features import transform as cf
from lakehouse_domains.customer_features.transform import SnapshotError

TX = "customer_id string, amount decimal(12,2), transaction_date timestamp"
CLICKS = "user_id string, session_id string, event_timestamp timestamp"
D = dt.date(2025, 3, 31)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def features(spark, tx, clicks, days):
    out = cf.customer_features(
        spark.createDataFrame(tx, TX), spark.createDataFrame(clicks, CLICKS), cf._days(spark, days), 30
    )
    return {(r["customer_id"], r["snapshot_date"]): r.asDict() for r in out.collect()}


TRANSACTIONS = [
    ("C1", Decimal("100.00"), ts("2025-01-10 09:00:00")),
    ("C1", Decimal("50.00"), ts("2025-03-15 12:00:00")),
    ("C1", Decimal("-20.00"), ts("2025-03-20 12:00:00")),  # a refund: spend, not a purchase
    ("C1", Decimal("999.00"), ts("2025-04-01 00:00:00")),  # the day after: must not count
    ("C2", Decimal("10.00"), ts("2025-03-31 23:59:59")),  # the snapshot day itself counts
    ("C3", Decimal("70.00"), ts("2025-04-02 10:00:00")),  # only after the snapshot
]
SESSIONS = [
    ("C1", "s1", ts("2025-03-30 10:00:00")),
    ("C1", "s1", ts("2025-03-30 10:02:00")),  # 120 s
    ("C1", "s2", ts("2025-03-31 23:59:00")),
    ("C1", "s2", ts("2025-04-01 00:09:00")),  # s2 continues after the snapshot: 0 s as of D
    ("C4", "s9", ts("2025-03-01 08:00:00")),
    ("C4", "s9", ts("2025-03-01 08:00:30")),  # a visitor who never bought
]


@pytest.mark.spark
def test_point_in_time_features_ignore_everything_after_the_snapshot(spark):
    got = features(spark, TRANSACTIONS, SESSIONS, [D])
    assert set(got) == {("C1", D), ("C2", D), ("C4", D)}  # C3 had not appeared yet
    c1 = got[("C1", D)]
    assert (c1["purchase_count"], c1["total_spend"], c1["avg_transaction_value"]) == (
        2,
        Decimal("130.00"),
        Decimal("65.00"),
    )
    assert (c1["recency_days"], c1["transactions_last_30_days"]) == (16, 1)
    assert (c1["session_count"], c1["avg_session_duration_seconds"]) == (2, 60.0)
    c2 = got[("C2", D)]
    assert (c2["purchase_count"], c2["recency_days"], c2["session_count"]) == (1, 0, 0)
    assert c2["avg_session_duration_seconds"] is None
    c4 = got[("C4", D)]
    assert (c4["purchase_count"], c4["total_spend"], c4["avg_transaction_value"], c4["recency_days"]) == (
        0,
        Decimal("0.00"),
        None,
        None,
    )
    assert (c4["session_count"], c4["avg_session_duration_seconds"]) == (1, 30.0)


@pytest.mark.spark
def test_a_backfill_equals_one_run_per_day_and_later_days_see_later_rows(spark):
    days = [D, D + dt.timedelta(days=1), D + dt.timedelta(days=2)]
    backfill = features(spark, TRANSACTIONS, SESSIONS, days)
    one_by_one = {}
    for day in days:
        one_by_one |= features(spark, TRANSACTIONS, SESSIONS, [day])
    assert backfill == one_by_one
    april_2 = backfill[("C1", days[2])]
    assert (april_2["purchase_count"], april_2["total_spend"], april_2["recency_days"]) == (
        3,
        Decimal("1129.00"),
        1,
    )
    assert april_2["avg_session_duration_seconds"] == 360.0  # s2 now lasts 10 minutes: (120 + 600) / 2
    assert ("C3", days[2]) in backfill and ("C3", days[1]) not in backfill


def test_snapshot_days_default_to_yesterday_and_refuse_bad_ranges():
    today = dt.date(2026, 11, 30)
    assert cf.snapshot_days({}, today) == [dt.date(2026, 11, 29)]  # the last complete UTC day
    assert cf.snapshot_days({"snapshot_date": "2025-03-30", "snapshot_to": "2025-04-01"}, today) == [
        dt.date(2025, 3, 30),
        dt.date(2025, 3, 31),
        dt.date(2025, 4, 1),
    ]
    assert cf.snapshot_days({"snapshot_date": "2026-11-30"}, today) == [today]  # today, if asked
    with pytest.raises(SnapshotError, match="snapshot_date: must be a date"):
        cf.snapshot_days({"snapshot_date": "31/03/2025"}, today)
    with pytest.raises(SnapshotError, match="before snapshot_date"):
        cf.snapshot_days({"snapshot_date": "2025-03-30", "snapshot_to": "2025-03-01"}, today)
    with pytest.raises(SnapshotError, match="at most 366"):
        cf.snapshot_days(
            {"snapshot_date": "2024-01-01", "snapshot_to": "2025-12-31", "max_backfill_days": 366}, today
        )
    with pytest.raises(SnapshotError, match="2026-12-01 is in the future"):
        cf.snapshot_days({"snapshot_date": "2026-12-01"}, today)
