"""user_activity: nested JSON flattened in silver, and the activity model's SCD2 users on hand-made records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lakehouse_domains.activity import transform as activity
from pyspark.sql import functions as F

from lakehouse.contract.dataset import load_contract
from lakehouse.transforms import silver as r2s
from tests.plugin import REPO

pytestmark = pytest.mark.spark

CONTRACT = load_contract(REPO / "domains" / "activity" / "user_activity.yaml")
NAME = {"FirstName": "Ana", "LastName": "García", "Title": "Ms"}
ADDRESS = {"Street": "1 Main St", "City": "Boston", "State": "MA", "Country": "USA", "ZipCode": "02110"}


def record(**changes) -> dict:
    base = {
        "user_id": "U1",
        "user_name": NAME,
        "user_address": ADDRESS,
        "user_contact": {"type": "email", "value": "ana@example.com"},
        "action_type": "Post",
        "action_ts": "2025-03-01T10:00:00Z",
        "item_id": "I1",
        "item_name": "Kayak",
        "item_category": "outdoor",
        "device": "mobile",
        "b2c": True,
        "last_modified_at": "2025-03-01T09:00:00Z",
    }
    return {k: v for k, v in {**base, **changes}.items() if v != "<absent>"}


def silver(spark, *files: list[dict] | str):
    """Delivered files (lists of records, or raw text) -> silver rows, as the raw->silver job makes them."""
    texts = [
        (
            f"s3://raw/user_activity/d{i}.json",
            f if isinstance(f, str) else "\n".join(json.dumps(r) for r in f),
        )
        for i, f in enumerate(files)
    ]
    lines = r2s.read_lines(spark.createDataFrame(texts, "path string, value string"), F.col("path"))
    checked = r2s.validate(r2s.parse_json_records(lines, CONTRACT), CONTRACT)
    good = checked.where(F.size("_reasons") == 0)
    return r2s.to_silver(r2s.deduplicate(good, CONTRACT), CONTRACT, "run-1"), checked


def test_structs_are_flattened_in_silver_and_missing_objects_or_fields_are_null(spark):
    rows, checked = silver(
        spark,
        [
            record(),
            record(item_id="I2", user_address="<absent>"),
            record(item_id="I3", user_contact=None),
            record(item_id="I4", user_name={"FirstName": "Ana", "LastName": "García"}),
            record(item_id="I5", user_address={**ADDRESS, "ZipCode": None}),
        ],
    )
    assert checked.where(F.size("_reasons") > 0).count() == 0  # none of these is a rejection
    assert [c for c in rows.columns if c.startswith("user_")] == [
        "user_id",
        "user_name_first_name",
        "user_name_last_name",
        "user_name_title",
        "user_address_street",
        "user_address_city",
        "user_address_state",
        "user_address_country",
        "user_address_zip_code",
        "user_contact_type",
        "user_contact_value",
    ]
    got = {r["item_id"]: r for r in rows.collect()}
    assert got["I1"]["user_address_zip_code"] == "02110" and got["I1"]["user_name_title"] == "Ms"
    assert got["I2"]["user_address_city"] is None and got["I2"]["user_name_first_name"] == "Ana"
    assert got["I3"]["user_contact_type"] is None and got["I3"]["user_contact_value"] is None
    assert got["I4"]["user_name_title"] is None and got["I4"]["user_name_last_name"] == "García"
    assert got["I5"]["user_address_zip_code"] is None and got["I5"]["user_address_city"] == "Boston"
    assert dict(CONTRACT.silver_columns)["user_address_zip_code"] == "string"


def test_a_wrongly_shaped_object_or_a_missing_required_field_is_quarantined_with_its_reason(spark):
    _, checked = silver(
        spark,
        [record(), record(item_id="I2", user_name="Ana García"), record(item_id="I3", user_id="<absent>")],
    )
    reasons = {r["item_id"]: r["_reasons"] for r in checked.collect()}
    assert reasons == {
        "I1": [],
        "I2": ["type_user_name:user_name:wrong_json_type"],
        "I3": ["required_user_id:user_id:missing"],
    }


def history(dim) -> list[tuple]:
    return [
        (
            r["user_id"],
            r["city"],
            r["contact_value"],
            str(r["valid_from"]),
            str(r["valid_to"]),
            r["is_current"],
        )
        for r in dim.orderBy("user_id", "valid_from").collect()
    ]


def test_user_history_change_no_change_out_of_order_and_change_back(spark):
    moved = {**ADDRESS, "City": "Austin", "State": "TX"}
    first = [record(), record(item_id="I2", action_ts="2025-03-02T10:00:00Z")]  # same profile, same stamp
    second = [
        record(),  # unchanged re-delivery
        record(
            item_id="I3",
            action_ts="2025-03-05T10:00:00Z",
            user_address=moved,
            last_modified_at="2025-03-05T08:00:00Z",
        ),
        record(
            item_id="I4", action_ts="2025-03-09T10:00:00Z", last_modified_at="2025-03-09T08:00:00Z"
        ),  # back
    ]
    third = [  # late: an older version, between the first and the move
        record(
            item_id="I5",
            action_ts="2025-03-03T10:00:00Z",
            user_contact={"type": "phone", "value": "555"},
            last_modified_at="2025-03-03T08:00:00Z",
        ),
        record(
            item_id="I6",
            action_ts="2025-03-04T10:00:00Z",
            user_address="<absent>",
            user_contact=None,
            last_modified_at="2025-03-04T08:00:00Z",
        ),  # nothing sent: not a new version
    ]
    rows, _ = silver(spark, first, second, third)
    assert history(activity.dim_user(rows)) == [
        ("U1", "Boston", "ana@example.com", "2025-03-01 09:00:00", "2025-03-03 08:00:00", False),
        ("U1", "Boston", "555", "2025-03-03 08:00:00", "2025-03-05 08:00:00", False),
        ("U1", "Austin", "ana@example.com", "2025-03-05 08:00:00", "2025-03-09 08:00:00", False),
        ("U1", "Boston", "ana@example.com", "2025-03-09 08:00:00", "9999-12-31 00:00:00", True),
    ]


def test_the_fact_keeps_each_actions_newest_version_keyed_to_the_user_version_at_the_action(spark):
    rows, _ = silver(
        spark,
        [record(), record(item_id="I2", action_ts="2025-03-06T10:00:00Z")],
        [
            record(
                item_name="Kayak (2-seat)",
                last_modified_at="2025-03-04T09:00:00Z",
                user_address={**ADDRESS, "City": "Austin"},
            ),  # the same action, changed upstream
        ],
    )
    build = activity.build(spark, {"user_activity": rows}, {})
    fact = {r["action_ts"].day: r for r in build.tables["fact_user_activity"].collect()}
    users = {r["user_key"]: r for r in build.tables["dim_user"].collect()}
    assert build.lines.count() == 2 and set(fact) == {1, 6}
    assert fact[1]["last_modified_at"] == dt.datetime(2025, 3, 4, 9)
    # the user moved on 03-04: the action of 03-01 keys to the Boston version, the one of 03-06 to Austin
    assert users[fact[1]["user_key"]]["city"] == "Boston"
    assert users[fact[6]["user_key"]]["city"] == "Austin"
    items = {r["item_id"]: r["item_name"] for r in build.tables["dim_activity_item"].collect()}
    assert items == {"I1": "Kayak (2-seat)", "I2": "Kayak"}
    assert build.rejected.count() == 0


def test_records_of_one_instant_are_one_observation_whatever_the_read_order(spark):
    """Two records at the same last_modified_at, one with the new address, one without any: the move
    is kept, in either order."""
    moved = {**ADDRESS, "City": "Austin"}
    later = "2025-03-05T08:00:00Z"
    both = [
        record(item_id="I2", action_ts="2025-03-05T10:00:00Z", user_address=moved, last_modified_at=later),
        record(
            item_id="I3", action_ts="2025-03-05T11:00:00Z", user_address="<absent>", last_modified_at=later
        ),
    ]
    for files in ([record(), *both], [record(), *reversed(both)]):
        rows, _ = silver(spark, files)
        assert [(r[1], r[5]) for r in history(activity.dim_user(rows))] == [
            ("Boston", False),
            ("Austin", True),
        ]
