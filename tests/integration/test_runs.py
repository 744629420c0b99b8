"""Run semantics: incremental = full, late data, re-delivery, the run lock, schema drift, the audit table."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from lakehouse.aws.catalog import Catalog
from lakehouse.contract.dataset import load_contract
from lakehouse.engine.local import LocalEngine
from lakehouse.errors import RunInProgress, SchemaChangeError
from lakehouse.jobs.ledger import RunLock
from lakehouse.jobs.stages import raw_silver
from lakehouse.landing.ingest import ingest
from lakehouse.local.launcher import run_dataset
from tests.plugin import REPO
from tests.support.fast_deploy import deploy

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def event(event_id: str, at: str, **extra) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "user_id": f"u-{event_id[-1]}",
            "session_id": "s1",
            "event_type": "page_view",
            "event_timestamp": at,
            "device_type": "desktop",
            "page_url": f"https://shop.example.com/p/{event_id}",
            "metadata": {},
            **extra,
        }
    )


def land(directory: Path, name: str, lines: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("\n".join(lines) + "\n")
    return path


def rows(settings, table: str, order: str = "1") -> list[tuple]:
    """Rows of a table without the columns that name the run that wrote them."""
    engine = LocalEngine(settings)
    try:
        result = engine.query(f"SELECT * FROM {table} ORDER BY {order}")
    finally:
        engine.close()
    keep = [i for i, c in enumerate(result.columns) if c not in ("_run_id", "run_id", "quarantined_at")]
    return [tuple(r[i] for i in keep) for r in result.rows]


def test_late_events_land_once_and_incremental_equals_full(
    deployed, clickstream, tmp_path, capsys, monkeypatch
):
    settings = deployed
    # the incremental runs dedupe as large inputs do (only the rows of repeated keys sorted, the keys
    # broadcast); the full run at the end sorts all its rows, as small inputs do: same rows either way
    found, sort_all_rows = [], raw_silver.SORT_ALL_ROWS
    repeated_keys = raw_silver.r2s.repeated_keys
    monkeypatch.setattr(raw_silver, "SORT_ALL_ROWS", 0)
    monkeypatch.setattr(raw_silver.r2s, "repeated_keys", lambda *a: found.append(a) or repeated_keys(*a))
    silver = f"{settings.database('silver')}.clickstream"
    day1 = [event(f"e{i:02d}", f"2025-02-01T10:{i:02d}:00Z") for i in range(20)]
    land(tmp_path / "b1", "b1-10.json", day1)
    ingest(settings, clickstream, [tmp_path / "b1"])
    first = run_dataset(settings, clickstream, REPO / "glue" / "jobs")
    assert [r.rows_written for r in first] == [20, 20]

    late = [event(f"late{i}", f"2025-02-01T03:0{i}:00Z") for i in range(5)]  # hours late, same day
    late += [event(f"next{i}", f"2025-02-02T00:0{i}:00Z") for i in range(2)]
    late += [day1[0]]  # the tracker re-sent an event: same content
    late += [
        event("e02", "2025-02-01T09:00:00Z")
    ]  # an earlier copy of a known key: it wins, as in a full run
    land(tmp_path / "b2", "late.json", late)
    assert ingest(settings, clickstream, [tmp_path / "b2"]).files_uploaded == 1
    r2s, s2g = run_dataset(settings, clickstream, REPO / "glue" / "jobs")
    # late.json lands in hour=03 (most of its events), so its path sorts before hour=10/b1-10.json: by the
    # order a full run uses too (event time, source file, line), its copies of e00 and e02 win and replace
    # the earlier rows; the number of keys does not change.
    counts = (r2s.inputs, r2s.rows_read, r2s.rows_written, r2s.duplicates_removed, r2s.rows_replaced)
    assert counts == (1, 9, 9, 0, 2)
    assert r2s.reconciled and s2g.reconciled
    assert s2g.inputs == 2  # only the two touched silver partitions were rebuilt in gold
    assert rows(settings, "(SELECT event_date, count(*) FROM fact_clicks GROUP BY 1)") == [
        (__import__("datetime").date(2025, 2, 1), 25),
        (__import__("datetime").date(2025, 2, 2), 2),
    ]
    assert rows(settings, "(SELECT event_timestamp FROM fact_clicks WHERE event_id = 'e02')") == [
        (__import__("datetime").datetime(2025, 2, 1, 9, 0),)
    ]

    # a re-sent key whose first copy lies in a partition the new file does not fall in (2025-02-01):
    # that partition is found from silver's keys and rebuilt too, so the key stays once, the first copy;
    # 2025-02-02, which holds neither, is neither read nor republished
    def silver_locations() -> dict:
        return dict(Catalog(settings).get_partitions(settings.database("silver"), "clickstream"))

    before = silver_locations()
    resent = [event("e05", "2025-02-03T08:00:00Z"), event("next9", "2025-02-03T08:01:00Z")]
    land(tmp_path / "b3", "resent.json", resent)
    assert ingest(settings, clickstream, [tmp_path / "b3"]).files_uploaded == 1
    third = run_dataset(settings, clickstream, REPO / "glue" / "jobs")
    assert (third[0].rows_read, third[0].rows_written, third[0].duplicates_removed) == (2, 1, 1)
    assert (third[0].rows_replaced, third[0].partitions[silver]) == (0, 2) and third[1].inputs == 2
    after = silver_locations()
    assert sorted(after) == [("2025-02-01",), ("2025-02-02",), ("2025-02-03",)]
    assert (
        after[("2025-02-02",)] == before[("2025-02-02",)]
        and after[("2025-02-01",)] != before[("2025-02-01",)]
    )
    assert rows(settings, "(SELECT event_timestamp FROM fact_clicks WHERE event_id = 'e05')") == [
        (__import__("datetime").datetime(2025, 2, 1, 10, 5),)
    ]

    incremental = {t: rows(settings, t) for t in (silver, "fact_clicks", "dim_users", "dim_pages")}
    assert len(found) == 3  # each incremental raw->silver run took the repeated-keys path
    monkeypatch.setattr(raw_silver, "SORT_ALL_ROWS", sort_all_rows)
    full = run_dataset(settings, clickstream, REPO / "glue" / "jobs", full=True)
    assert len(found) == 3  # the full run sorted all its rows
    assert [r.mode for r in full] == ["full", "full"]
    assert (full[0].rows_read, full[0].rows_written, full[0].duplicates_removed) == (31, 28, 3)
    assert {t: rows(settings, t) for t in incremental} == incremental

    # the audit table lists every run, through the same command a user types
    from lakehouse.cli.commands import main

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        mp.setenv("LAKEHOUSE_PROJECT", settings.project)
        assert (
            main(["query", f"SELECT * FROM {settings.database('silver')}.pipeline_runs", "--format", "json"])
            == 0
        )
    runs = json.loads(capsys.readouterr().out)
    ours = [*first, r2s, s2g, *third, *full]
    assert sorted((r["run_id"], r["stage"]) for r in runs) == sorted((r.run_id, r.stage) for r in ours)
    assert len(runs) == 8
    for r in runs:
        assert r["rows_read"] == r["rows_written"] + r["duplicates_removed"] + r["rows_quarantined"]
        assert r["reconciled"] and r["status"] == "succeeded" and r["mode"] in ("incremental", "full")


def test_rerunning_with_nothing_new_changes_nothing(deployed, clickstream, tmp_path):
    good = [event(f"a{i}", f"2025-02-01T10:{i:02d}:00Z") for i in range(20)]
    land(tmp_path, "a.json", [*good, "{broken"])  # 1 of 21 quarantined: within the 5% limit
    ingest(deployed, clickstream, [tmp_path])
    run_dataset(deployed, clickstream, REPO / "glue" / "jobs")
    tables = [
        f"{deployed.database('silver')}.clickstream",
        f"{deployed.database('silver')}.clickstream_quarantine",
        "fact_clicks",
        "dim_users",
    ]
    before = {t: rows(deployed, t) for t in tables}
    again = run_dataset(deployed, clickstream, REPO / "glue" / "jobs")
    assert [(r.inputs, r.rows_read) for r in again] == [(0, 0), (0, 0)]
    assert {t: rows(deployed, t) for t in tables} == before


def test_a_second_concurrent_run_stops_with_a_clear_message(
    deployed, clickstream, tmp_path, capsys, monkeypatch
):
    land(tmp_path, "a.json", [event("a1", "2025-02-01T10:00:00Z")])
    ingest(deployed, clickstream, [tmp_path])
    with RunLock(deployed, "clickstream", "raw_to_silver", "the-other-run"):
        with pytest.raises(
            RunInProgress,
            match=r"another raw_to_silver run of clickstream is in progress "
            r"\(run the-other-run on .* since ",
        ):
            run_dataset(deployed, clickstream, REPO / "glue" / "jobs")
        from lakehouse.cli.commands import main

        monkeypatch.chdir(REPO)
        monkeypatch.setenv("LAKEHOUSE_PROJECT", deployed.project)
        assert main(["run", "clickstream"]) == 1
        err = capsys.readouterr().err
        assert "another raw_to_silver run of clickstream is in progress" in err and err.count("\n") == 1
    # the failed attempt is audited and published nothing
    assert Catalog(deployed).get_partitions(deployed.database("silver"), "clickstream") == []
    assert [r.rows_written for r in run_dataset(deployed, clickstream, REPO / "glue" / "jobs")] == [1, 1]


def test_new_source_field_is_kept_reported_and_typed_after_the_contract_adds_it(settings, tmp_path):
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO / "domains", datasets)
    settings = type(settings)(**{**settings.__dict__, "domains": (datasets,)})
    deploy(settings)
    v1 = load_contract(datasets / "clickstream" / "clickstream.yaml")
    land(
        tmp_path / "l1",
        "old.json",
        [event("o1", "2025-02-01T10:00:00Z"), event("o2", "2025-02-01T11:00:00Z", campaign="spring")],
    )
    ingest(settings, v1, [tmp_path / "l1"])
    r2s, _ = run_dataset(settings, v1, REPO / "glue" / "jobs")
    assert r2s.new_fields == {"campaign": 1} and r2s.rows_written == 2
    silver = f"{settings.database('silver')}.clickstream"
    engine = LocalEngine(settings)
    assert engine.query(f"SELECT _extra_fields['campaign'] FROM {silver} WHERE event_id = 'o2'").rows == [
        ("spring",)
    ]
    engine.close()

    # the owner declares the field: the catalog evolves by appending it; old partitions stay readable
    doc = yaml.safe_load((datasets / "clickstream" / "clickstream.yaml").read_text())
    doc["columns"].append({"name": "campaign", "type": "string"})
    (datasets / "clickstream" / "clickstream.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    v2 = load_contract(datasets / "clickstream" / "clickstream.yaml")
    changes = {c.name: c.status for c in deploy(settings)}
    assert changes[silver] == changes[f"{settings.database('raw')}.clickstream"] == "updated"
    part_columns = Catalog(settings).glue.get_partitions(
        DatabaseName=settings.database("silver"), TableName="clickstream"
    )["Partitions"][0]
    assert [c["Name"] for c in part_columns["StorageDescriptor"]["Columns"]][-5] == "campaign"
    assert rows(settings, f"(SELECT event_id, campaign FROM {silver})") == [("o1", None), ("o2", None)]

    land(tmp_path / "l2", "new.json", [event("n1", "2025-02-01T12:00:00Z", campaign="summer")])
    ingest(settings, v2, [tmp_path / "l2"])
    r2s, _ = run_dataset(settings, v2, REPO / "glue" / "jobs")
    assert r2s.new_fields == {}
    assert rows(settings, f"(SELECT event_id, campaign FROM {silver})") == [
        ("n1", "summer"),
        ("o1", None),
        ("o2", None),
    ]
    run_dataset(settings, v2, REPO / "glue" / "jobs", full=True)  # --full types the field for old rows too
    assert rows(settings, f"(SELECT event_id, campaign FROM {silver})") == [
        ("n1", "summer"),
        ("o1", None),
        ("o2", "spring"),
    ]

    doc["columns"][-1]["type"] = "bigint"
    (datasets / "clickstream" / "clickstream.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(
        SchemaChangeError, match=r"column 'campaign' changed type string -> bigint; add a new column"
    ):
        deploy(settings)
    assert os.environ.get("LAKEHOUSE_FAILPOINT") is None


def test_superseded_run_files_are_removed_after_retention_never_while_in_use(
    deployed, clickstream, tmp_path, monkeypatch
):
    from datetime import timedelta

    monkeypatch.setenv("LAKEHOUSE_QUARANTINE_LIMIT", "1")  # 1 of 3 rows quarantined on purpose

    from lakehouse.aws.storage import Storage
    from lakehouse.contract.tables import gold_tables, quarantine_table, silver_table
    from lakehouse.jobs import retention
    from lakehouse.jobs.ledger import Ledger

    land(
        tmp_path, "a.json", [event("r1", "2025-02-01T10:00:00Z"), event("r2", "2025-02-02T10:00:00Z"), "{bad"]
    )
    ingest(deployed, clickstream, [tmp_path])
    first = run_dataset(deployed, clickstream, REPO / "glue" / "jobs")
    assert [r.removed for r in first] == [[], []]
    second = run_dataset(deployed, clickstream, REPO / "glue" / "jobs", full=True)  # supersedes the first
    assert [r.removed for r in second] == [[], []]  # within the retention period: kept for running queries
    specs = [
        silver_table(clickstream, deployed),
        quarantine_table(clickstream, deployed),
        *gold_tables(clickstream, deployed),
    ]
    before = {
        t: rows(deployed, t)
        for t in ("fact_clicks", "dim_users", f"{deployed.database('silver')}.clickstream")
    }
    storage = Storage(deployed)

    def run_dirs(run_id: str) -> int:
        return sum(run_id in o.key for spec in specs for o in storage.list(spec.location))

    assert run_dirs(first[0].run_id) > 0
    ledgers = [Ledger(deployed, "clickstream", s) for s in ("raw_to_silver", "silver_to_gold")]
    removed = retention.collect(deployed, specs, ledgers, retention=timedelta(0))
    assert removed and all(first[0].run_id in prefix for prefix in removed)
    assert run_dirs(first[0].run_id) == 0 and run_dirs(second[0].run_id) > 0
    assert {t: rows(deployed, t) for t in before} == before


def test_a_run_never_replaces_a_published_partition_it_did_not_read(
    deployed, clickstream, tmp_path, monkeypatch
):
    """If finding the touched partitions ever missed one (e.g. a partition value spelled differently),
    writing it would drop its earlier rows: the run fails before it publishes instead."""
    from lakehouse.errors import ReconciliationError
    from lakehouse.jobs.stages import raw_silver

    settings = deployed
    land(tmp_path / "b1", "b1-10.json", [event(f"e{i}", f"2025-03-01T10:0{i}:00Z") for i in range(3)])
    ingest(settings, clickstream, [tmp_path / "b1"])
    run_dataset(settings, clickstream, REPO / "glue" / "jobs", stages=("raw_to_silver",))
    catalog = Catalog(settings)
    before = catalog.get_partitions(settings.database("silver"), "clickstream")

    land(tmp_path / "b2", "b2-11.json", [event("e9", "2025-03-01T11:00:00Z")])
    ingest(settings, clickstream, [tmp_path / "b2"])
    monkeypatch.setattr(raw_silver, "_touched", lambda ctx, new_rows, published: {})
    with pytest.raises(ReconciliationError, match=r"would replace published partitions it did not read"):
        run_dataset(settings, clickstream, REPO / "glue" / "jobs", stages=("raw_to_silver",))
    assert catalog.get_partitions(settings.database("silver"), "clickstream") == before
