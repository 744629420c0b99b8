"""silver -> gold: surrogate keys, dimensions, calendar and fact foreign keys."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from lakehouse.transforms import silver as r2s
from lakehouse.transforms import star

pytestmark = pytest.mark.spark


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


@pytest.fixture
def silver(spark, clickstream):
    def row(event_id, user, session, kind, at, device, url, metadata, line):
        values = {
            "event_id": event_id,
            "user_id": user,
            "session_id": session,
            "event_type": kind,
            "event_timestamp": ts(at),
            "device_type": device,
            "page_url": url,
            "metadata": metadata,
            "_source_file": "f",
            "_source_line": line,
            "_run_id": "r",
            "event_date": ts(at).date(),
        }
        return tuple(values.get(name) for name in columns)

    columns = [f.name for f in spark.createDataFrame([], r2s.silver_ddl(clickstream, True)).schema.fields]
    rows = [
        row(
            "e1",
            "u1",
            "s1",
            "page_view",
            "2025-01-06 10:00:00",
            "mobile",
            "https://shop.example.com/a?x=1",
            {},
            1,
        ),
        row(
            "e2",
            "u1",
            "s1",
            "purchase",
            "2025-01-06 10:05:00",
            "mobile",
            "https://shop.example.com/b",
            {"order_id": "O1", "amount": "12.50"},
            2,
        ),
        row("e3", "u2", "s2", "click", "2025-01-09 23:59:59", None, "https://shop.example.com/a?x=1", {}, 3),
    ]
    return spark.createDataFrame(rows, r2s.silver_ddl(clickstream, with_partitions=True))


def test_surrogate_key_is_deterministic_and_null_safe(spark):
    df = spark.createDataFrame([("a", None), (None, "a"), ("a", None)], "x string, y string")
    keys = [r[0] for r in df.select(star.surrogate_key("x", "y")).collect()]
    assert keys[0] == keys[2] and keys[0] != keys[1]


def test_entity_dimension_aggregates_per_natural_key(silver, clickstream):
    users = {
        r["user_id"]: r for r in star.build_dimension(silver, clickstream.dimension("dim_users")).collect()
    }
    assert users["u1"]["first_seen_at"] == ts("2025-01-06 10:00:00")
    assert users["u1"]["last_seen_at"] == ts("2025-01-06 10:05:00")
    assert (users["u1"]["event_count"], users["u1"]["session_count"]) == (2, 1)
    pages = star.build_dimension(silver, clickstream.dimension("dim_pages")).collect()
    assert sorted((p["page_host"], p["page_path"]) for p in pages) == [
        ("shop.example.com", "/a"),
        ("shop.example.com", "/b"),
    ]
    devices = star.build_dimension(silver, clickstream.dimension("dim_devices")).collect()
    assert sorted(d["device_type"] or "" for d in devices) == [
        "",
        "mobile",
    ]  # null device: one unknown member


def test_calendar_is_conformed_fixed_range_with_fiscal_periods_when_known(spark, silver, clickstream):
    cal = star.build_dimension(silver, clickstream.dimension("dim_date"))
    assert cal.count() == 14_610  # 2000-01-01 .. 2039-12-31, whatever the facts' dates
    monday = cal.where("date_key = 20250106").first()
    assert (monday["day_of_week"], monday["day_name"], monday["is_weekend"], monday["week_of_year"]) == (
        1,
        "Monday",
        False,
        2,
    )
    assert (monday["quarter"], monday["month_name"], monday["day_of_year"], monday["fiscal_year"]) == (
        1,
        "January",
        6,
        None,
    )
    fiscal = spark.createDataFrame(
        [(dt.date(2025, 1, 6), 2024, 4, 12, 49)],
        "date date, fiscal_year int, fiscal_quarter int, fiscal_month int, fiscal_week int",
    )
    with_fiscal = star.build_dimension(silver, clickstream.dimension("dim_date"), fiscal)
    row = with_fiscal.where("date_key = 20250106").first()
    assert (row["fiscal_year"], row["fiscal_quarter"], row["fiscal_month"], row["fiscal_week"]) == (
        2024,
        4,
        12,
        49,
    )
    assert with_fiscal.where("fiscal_year IS NOT NULL").count() == 1


def test_every_fact_row_finds_its_dimension_rows(silver, clickstream):
    fact = star.build_fact(silver, clickstream.facts[0], clickstream)
    assert fact.count() == 3
    for ref in clickstream.facts[0].references:
        dim = clickstream.dimension(ref)
        dim_df = star.build_dimension(silver, dim)
        assert dim_df.select(dim.surrogate_key).distinct().count() == dim_df.count()  # keys unique
        assert fact.join(dim_df, dim.surrogate_key, "left_anti").count() == 0, ref


def test_fact_columns_and_derived_measures(silver, clickstream):
    rows = {r["event_id"]: r for r in star.build_fact(silver, clickstream.facts[0], clickstream).collect()}
    assert rows["e2"]["order_id"] == "O1" and str(rows["e2"]["revenue"]) == "12.50"
    assert rows["e1"]["revenue"] is None and rows["e3"]["date_key"] == 20250109
    assert rows["e3"]["event_date"] == dt.date(2025, 1, 9)
    assert silver.select(F.col("event_id")).count() == len(rows)
