"""Every SCD2 dimension over several incremental loads through the real jobs: exactly one current row
per key, no overlapping validity ranges after each load, and the incremental history equals a full
reload of the same inputs (every job of the model with full_refresh, as `lakehouse run NAME --full`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.contract.registry import BUILD_MODEL, RAW_TO_SILVER, Job, Project
from lakehouse.local.launcher import run_job
from tests.integration.plugin import query
from tests.plugin import REPO

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def check_ranges(cli, table: str, key: str, start: str, end: str, surrogate: str) -> None:
    several = query(cli, f"SELECT {key} FROM {table} GROUP BY {key} HAVING count_if(is_current) <> 1")
    assert several == [], f"{table}: keys without exactly one current row: {several}"
    overlaps = query(
        cli,
        f"SELECT a.{key} FROM {table} AS a JOIN {table} AS b ON a.{key} = b.{key} "
        f"AND a.{surrogate} <> b.{surrogate} AND a.{start} < b.{end} AND b.{start} < a.{end}",
    )
    assert overlaps == [], f"{table}: overlapping validity ranges for {overlaps}"
    gaps = query(  # each closed row ends where the next one of its key starts
        cli,
        f"SELECT a.{key} FROM {table} AS a WHERE NOT a.is_current AND NOT EXISTS "
        f"(SELECT 1 FROM {table} AS b WHERE b.{key} = a.{key} AND b.{start} = a.{end})",
    )
    assert gaps == [], f"{table}: gaps in the history of {gaps}"


def history(cli, table: str, key: str, start: str, *tracked: str) -> list[dict]:
    return query(
        cli, f"SELECT {key}, {', '.join(tracked)}, {start}, is_current FROM {table} ORDER BY {key}, {start}"
    )


def run(settings, model: str, datasets: list[str] | None = None, full: bool = False) -> None:
    """The landed datasets to silver (default: all the model's sources), then the model: the jobs the
    automation runs after a landing (only these, to keep the test short), every one reconciled."""
    project = Project.load(REPO / "domains")
    sources = project.models[model].sources if datasets is None else datasets
    jobs = [Job(s, RAW_TO_SILVER) for s in sources] + [Job(model, BUILD_MODEL)]
    for job in jobs:
        result = run_job(settings, project, job, REPO / "glue" / "jobs", full=full)
        assert result.reconciled, result.as_dict()


def loads(cli, settings, batches: list[list[tuple[str, Path]]], model: str, check) -> None:
    for batch in batches:
        for name, path in batch:
            cli("ingest", name, str(path))
        run(settings, model, list(dict.fromkeys(name for name, _ in batch)))
        check()


CUSTOMER_HEADER = (
    "customer_id,first_name,last_name,email,phone,address,city,state,zip_code,country,updated_at\n"
)


def customers(rows: str) -> str:
    return CUSTOMER_HEADER + "".join(
        f"{cid},Ana,Silva,ana@example.com,1,{address},Lyon,,69001,France,{at}\n"
        for cid, address, at in (line.split("|") for line in rows.split())
    )


def test_dim_customer(cli, settings, deployed, tmp_path):
    tx = write(
        tmp_path / "transactions_1.csv",
        "transaction_id,customer_id,product_id,product_name,product_family,amount,quantity,transaction_date,region\n"
        "T1,C1,P1,Car,Cars,10.00,1,2025-01-05 10:00:00,NA\n",
    )
    b1 = write(tmp_path / "customers_1.csv", customers("C1|1-Main|2025-01-01 C2|2-Elm|2025-01-01"))
    b2 = write(tmp_path / "customers_2.csv", customers("C1|9-New|2025-02-01 C2|2-Elm|2025-02-01"))
    b3 = write(tmp_path / "customers_3.csv", customers("C1|1-Main|2025-03-01 C2|0-Old|2024-12-15"))

    def check() -> None:
        check_ranges(cli, "dim_customer", "customer_id", "effective_from", "effective_to", "customer_key")

    batches = [[("customers", b1), ("transactions", tx)], [("customers", b2)], [("customers", b3)]]
    loads(cli, settings, batches, "sales", check)
    incremental = history(cli, "dim_customer", "customer_id", "effective_from", "address")
    assert [(r["customer_id"], r["address"], r["is_current"]) for r in incremental] == [
        ("C1", "1-Main", False),  # change
        ("C1", "9-New", False),
        ("C1", "1-Main", True),  # change back
        ("C2", "0-Old", False),  # the late, older export is history, not current
        ("C2", "2-Elm", True),  # no change on 02-01: no new row
    ]
    run(settings, "sales", full=True)
    check()
    assert history(cli, "dim_customer", "customer_id", "effective_from", "address") == incremental


def activity_line(
    user: str, city: str, contact: str | None, action_day: int, modified_day: int, item: str
) -> str:
    record = {
        "user_id": user,
        "user_name": {"FirstName": "Ana", "LastName": "Silva"},
        "user_address": {"City": city, "Country": "USA"},
        "user_contact": {"type": "email", "value": contact} if contact else None,
        "action_type": "Post",
        "action_ts": f"2025-03-{action_day:02d}T10:00:00Z",
        "item_id": item,
        "device": "mobile",
        "b2c": True,
        "last_modified_at": f"2025-03-{modified_day:02d}T08:00:00Z",
    }
    return json.dumps(record) + "\n"


def test_dim_user(cli, settings, deployed, tmp_path):
    b1 = write(
        tmp_path / "user_activity_1.json",
        activity_line("U1", "Boston", "a@x.io", 2, 1, "I1")
        + activity_line("U2", "Austin", "b@x.io", 2, 1, "I1"),
    )
    b2 = write(
        tmp_path / "user_activity_2.json",
        activity_line("U1", "Boston", "a@x.io", 2, 1, "I1")  # unchanged re-delivery
        + activity_line("U1", "Denver", "a@x.io", 6, 5, "I2")  # moved
        + activity_line("U2", "Austin", None, 7, 6, "I2"),  # contact not sent: no new version
    )
    b3 = write(
        tmp_path / "user_activity_3.json",
        activity_line("U1", "Boston", "a@x.io", 9, 8, "I3")  # back to Boston
        + activity_line("U2", "Dallas", "b@x.io", 4, 3, "I3"),  # late: older than U2's 03-06 record
    )
    check = lambda: check_ranges(cli, "dim_user", "user_id", "valid_from", "valid_to", "user_key")  # noqa: E731
    loads(cli, settings, [[("user_activity", b)] for b in (b1, b2, b3)], "activity", check)
    incremental = history(cli, "dim_user", "user_id", "valid_from", "city", "contact_value")
    assert [(r["user_id"], r["city"], r["contact_value"], r["is_current"]) for r in incremental] == [
        ("U1", "Boston", "a@x.io", False),
        ("U1", "Denver", "a@x.io", False),
        ("U1", "Boston", "a@x.io", True),
        ("U2", "Austin", "b@x.io", False),
        ("U2", "Dallas", "b@x.io", False),  # the late version sits at its own time...
        ("U2", "Austin", "b@x.io", True),  # ...and the 03-06 record (contact carried forward) stays current
    ]
    assert query(cli, "SELECT count(*) AS n FROM fact_user_activity") == [
        {"n": 6}
    ]  # the re-delivery is one action
    run(settings, "activity", full=True)
    check()
    assert history(cli, "dim_user", "user_id", "valid_from", "city", "contact_value") == incremental


def test_dim_item_and_the_category_tree(cli, settings, deployed, tmp_path):
    ms = lambda day: 1433116800000 + day * 86_400_000  # noqa: E731  (2015-06-01 + day, epoch ms)
    props = "timestamp,itemid,property,value\n"
    events = write(
        tmp_path / "events.csv",
        "timestamp,visitorid,event,itemid,transactionid\n"
        f"{ms(1)},v1,view,42,\n{ms(1)},v1,view,42,\n{ms(8)},v2,transaction,42,t1\n{ms(2)},v3,view,77,\n",
    )
    tree = write(tmp_path / "category_tree.csv", "categoryid,parentid\n1,\n7,1\n9,1\n5,404\n6,5\n8,8\n")
    b1 = write(
        tmp_path / "item_properties_part1.csv", props + f"{ms(7)},42,available,0\n{ms(0)},42,categoryid,7\n"
    )
    b2 = write(
        tmp_path / "item_properties_part2.csv", props + f"{ms(0)},42,available,1\n{ms(3)},42,available,1\n"
    )
    b3 = write(
        tmp_path / "item_properties_part3.csv", props + f"{ms(10)},42,available,1\n{ms(10)},42,categoryid,9\n"
    )
    check = lambda: check_ranges(cli, "dim_item", "item_id", "valid_from", "valid_to", "item_key")  # noqa: E731
    first = [("retail_events", events), ("category_tree", tree), ("item_properties", b1)]
    loads(cli, settings, [first, [("item_properties", b2)], [("item_properties", b3)]], "retail", check)
    incremental = history(cli, "dim_item", "item_id", "valid_from", "category_id", "is_available")
    assert [(r["category_id"], r["is_available"], r["is_current"]) for r in incremental] == [
        ("7", True, False),  # part2's older snapshot, delivered after part1's newer one
        ("7", False, False),
        ("9", True, True),  # back available, and moved
    ]
    assert query(cli, "SELECT category_id, path, level FROM dim_category ORDER BY category_id") == [
        {"category_id": "1", "path": "1", "level": 1},
        {"category_id": "7", "path": "1 > 7", "level": 2},
        {"category_id": "9", "path": "1 > 9", "level": 2},
    ]
    quarantined = query(
        cli, f"SELECT record, reason FROM {settings.database('silver')}.retail_quarantine ORDER BY record"
    )
    assert [(json.loads(r["record"])["categoryid"], r["reason"].split(":")[0]) for r in quarantined] == [
        ("5", "category_orphan"),
        ("6", "category_orphan"),
        ("8", "category_cycle"),
    ]
    cli("views")
    assert query(
        cli, "SELECT availability, views, transactions FROM retail_conversion_by_availability ORDER BY 1"
    ) == [
        {"availability": "available", "views": 1, "transactions": 0},  # the duplicate view counts once
        {"availability": "unavailable", "views": 0, "transactions": 1},  # day 8: unavailable since day 7
        {"availability": "unknown", "views": 1, "transactions": 0},  # item 77 was never snapshotted
    ]
    run(settings, "retail", full=True)
    check()
    assert history(cli, "dim_item", "item_id", "valid_from", "category_id", "is_available") == incremental
