"""The demo flow end to end on a small dataset: generate -> ingest -> jobs -> gold -> views -> queries.

Expected numbers come from parsing the generated files here, independently of the pipeline.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from lakehouse_domains.clickstream.generate import generate_clickstream

from lakehouse.aws.storage import Storage
from lakehouse.cli.commands import main
from lakehouse.contract.registry import Project
from lakehouse.deploy.views import create_views
from lakehouse.engine.local import LocalEngine
from lakehouse.landing.ingest import ingest
from lakehouse.local.endpoint import reset
from lakehouse.local.launcher import run_plan
from lakehouse.settings import Settings
from tests.plugin import REPO, free_port
from tests.support.fast_deploy import deploy

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def ground_truth(landing: Path) -> dict:
    """What a correct pipeline must produce, computed from the raw files with plain Python."""
    first: dict[str, dict] = {}
    lines = bad = 0
    for f in sorted(landing.glob("clickstream-*.json")):
        for line in f.read_text().splitlines():
            lines += 1
            try:
                e = json.loads(line)
                ts = datetime.fromisoformat(e["event_timestamp"])
                assert e.get("user_id")
            except (ValueError, KeyError, AssertionError):
                bad += 1
                continue
            if e["event_id"] not in first or ts < first[e["event_id"]]["ts"]:
                first[e["event_id"]] = e | {"ts": ts}
    events = list(first.values())
    return {
        "lines": lines,
        "bad": bad,
        "events": len(events),
        "duplicates": lines - bad - len(events),
        "per_day": Counter(e["ts"].date().isoformat() for e in events),
        "revenue": round(
            sum(float(e["metadata"]["amount"]) for e in events if e["event_type"] == "purchase"), 2
        ),
        "sessions": len({e["session_id"] for e in events}),
    }


@pytest.fixture(scope="module")
def pipeline(endpoint_url, spark, tmp_path_factory):
    reset(endpoint_url)
    settings = Settings(project="e2e", env="local", endpoint_url=endpoint_url, domains=(REPO / "domains",))
    from lakehouse.contract.dataset import load_contract

    contract = load_contract(REPO / "domains" / "clickstream" / "clickstream.yaml")
    landing = tmp_path_factory.mktemp("landing")
    stats = generate_clickstream(
        landing, days=2, events_per_hour=12, seed=7, duplicate_rate=0.03, late_rate=0.02, bad_rate=0.02
    )
    deploy(settings)
    ingested = ingest(settings, contract, [landing])
    # the registry's plan: clickstream's two stages, then dim_date's one owner (the calendar model)
    results = run_plan(settings, Project.load(REPO / "domains"), "clickstream", REPO / "glue" / "jobs")
    create_views(settings)
    engine = LocalEngine(settings)
    yield {
        "settings": settings,
        "contract": contract,
        "landing": landing,
        "stats": stats,
        "ingested": ingested,
        "results": results,
        "engine": engine,
        "truth": ground_truth(landing),
    }
    engine.close()


def scalar(engine, sql):
    return engine.query(sql).rows[0][0]


def test_fact_count_is_generated_minus_duplicates_minus_quarantined(pipeline):
    truth, stats, engine = pipeline["truth"], pipeline["stats"], pipeline["engine"]
    assert truth["bad"] == stats.bad > 0 and truth["duplicates"] == stats.duplicates > 0
    fact_rows = scalar(engine, "SELECT count(*) FROM fact_clicks")
    assert fact_rows == truth["lines"] - truth["duplicates"] - truth["bad"] == truth["events"]
    assert scalar(engine, "SELECT count(DISTINCT event_id) FROM fact_clicks") == fact_rows
    silver = pipeline["settings"].database("silver")
    assert scalar(engine, f"SELECT count(*) FROM {silver}.clickstream") == fact_rows


def test_every_stage_reconciles(pipeline):
    by_job = {(r.dataset, r.stage): r for r in pipeline["results"]}
    r2s, s2g = by_job["clickstream", "raw_to_silver"], by_job["clickstream", "silver_to_gold"]
    calendar = by_job["calendar", "build_model"]
    features = by_job["customer_features", "build_model"]  # clickstream feeds it too
    assert features.reconciled and features.tables["e2e_local_gold.customer_features"] > 0
    assert (calendar.dataset, calendar.stage, calendar.tables) == (
        "calendar",
        "build_model",
        {"e2e_local_gold.dim_date": 14_610},
    )
    truth = pipeline["truth"]
    assert (r2s.rows_read, r2s.rows_written, r2s.duplicates_removed, r2s.rows_quarantined) == (
        truth["lines"],
        truth["events"],
        truth["duplicates"],
        truth["bad"],
    )
    assert r2s.reconciled and s2g.reconciled and s2g.rows_read == s2g.rows_written == truth["events"]
    assert r2s.inputs == pipeline["ingested"].files_uploaded == pipeline["stats"].files


def test_quarantine_holds_every_rejected_record_with_reason_and_source(pipeline):
    engine, settings, stats = pipeline["engine"], pipeline["settings"], pipeline["stats"]
    rows = engine.query(
        f"SELECT source_file, source_line, reason, record "
        f"FROM {settings.database('silver')}.clickstream_quarantine"
    ).rows
    reasons = Counter(r[2] for r in rows)
    assert reasons == {
        "readable_record:_record:malformed_json: not a JSON object": stats.bad_records["malformed_json"],
        "type_event_timestamp:event_timestamp:unparseable: unparseable timestamp in event_timestamp": (
            stats.bad_records["bad_timestamp"]
        ),
        "required_user_id:user_id:missing: missing required field user_id": stats.bad_records[
            "missing_user_id"
        ],
    }  # codes and messages only: never the offending value
    storage = Storage(settings)
    for source_file, source_line, _, record in rows:
        assert source_file.startswith(f"s3://{settings.bucket('raw')}/clickstream/year=")
        assert storage.read_bytes(source_file).decode().splitlines()[source_line - 1] == record


def test_one_day_query_reads_only_that_days_files(pipeline):
    engine, truth = pipeline["engine"], pipeline["truth"]
    days = sorted(truth["per_day"])
    assert len(days) >= 2
    # fetch rows: count() alone can be answered from Parquet metadata without a scan in the plan
    sql = f"SELECT event_id FROM fact_clicks WHERE event_date = DATE '{days[0]}'"
    assert len(engine.query(sql).rows) == truth["per_day"][days[0]]
    plan = engine.explain_analyze(sql)
    scanned, total = map(int, re.search(r"Scanning Files: (\d+)/(\d+)", plan).groups())
    assert (scanned, total) == (1, len(days))


def test_views_answer_from_gold(pipeline):
    engine, truth = pipeline["engine"], pipeline["truth"]
    assert scalar(engine, "SELECT sum(events) FROM hourly_traffic") == truth["events"]
    assert float(scalar(engine, "SELECT sum(revenue) FROM hourly_traffic")) == pytest.approx(truth["revenue"])
    assert scalar(engine, "SELECT count(*) FROM session_length") == truth["sessions"]
    funnel = engine.query(
        "SELECT viewed_sessions, cart_sessions, purchase_sessions FROM daily_conversion_funnel"
    ).rows
    assert all(v >= c >= p for v, c, p in funnel) and sum(p for *_, p in funnel) > 0
    top = engine.query("SELECT page_rank, page_views FROM top_pages WHERE page_rank = 1").rows
    assert top and all(r[1] > 0 for r in top)


def test_runs_are_audited(pipeline):
    engine, settings = pipeline["engine"], pipeline["settings"]
    rows = engine.query(
        f"SELECT dataset || ':' || stage AS job, status, rows_read, rows_written, duplicates_removed, "
        f"rows_quarantined, reconciled FROM {settings.database('silver')}.pipeline_runs ORDER BY job"
    ).rows
    assert [r[0] for r in rows] == [
        "calendar:build_model",
        "clickstream:raw_to_silver",
        "clickstream:silver_to_gold",
        "customer_features:build_model",
        "fiscal_calendar:raw_to_silver",
        "transactions:raw_to_silver",
    ]
    assert all(r[1] == "succeeded" and r[6] for r in rows)
    assert all(r[2] == r[3] + r[4] + r[5] for r in rows)


def test_query_command_formats_and_errors(pipeline, capsys, monkeypatch):
    settings = pipeline["settings"]
    monkeypatch.setenv("LAKEHOUSE_PROJECT", settings.project)
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings.endpoint_url)
    assert main(["query", "SELECT count(*) AS n FROM fact_clicks", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": pipeline["truth"]["events"]}]
    assert main(["query", "SELECT event_date FROM fact_clicks GROUP BY 1 ORDER BY 1", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "event_date"
    assert main(["query", "SELECT * FROM no_such_table"]) == 1
    err = capsys.readouterr().err
    assert "no_such_table" in err and err.count("\n") == 1
    assert main(["query", "SELECT FROM WHERE"]) == 1
    assert capsys.readouterr().err.startswith("query failed: syntax error")


def test_reingest_and_rerun_change_nothing(pipeline, capsys, monkeypatch):
    """Last in this module: an incremental rerun finds nothing new; --full rebuilds the same rows."""
    settings = pipeline["settings"]
    tables = [
        "fact_clicks",
        "dim_users",
        "dim_pages",
        "dim_devices",
        "dim_date",
        f"{settings.database('silver')}.clickstream",
        f"{settings.database('silver')}.clickstream_quarantine",
    ]

    def snapshot():
        """Every row of every table, minus what names the run (run ids, quarantine time)."""
        fresh = LocalEngine(settings)
        try:
            out = {}
            for t in tables:
                result = fresh.query(f"SELECT * FROM {t}")
                keep = [
                    i
                    for i, c in enumerate(result.columns)
                    if c not in ("_run_id", "run_id", "quarantined_at")
                ]
                out[t] = sorted(repr(tuple(row[i] for i in keep)) for row in result.rows)
            return out
        finally:
            fresh.close()

    before = snapshot()
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_PROJECT", settings.project)
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings.endpoint_url)
    capsys.readouterr()
    assert main(["ingest", "clickstream", str(pipeline["landing"]), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["files_uploaded"], again["files_skipped"], again["bytes_uploaded"]) == (
        0,
        pipeline["stats"].files,
        0,
    )
    assert main(["run", "clickstream", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["dataset"], r["stage"], r["inputs"], r["rows_read"]) for r in runs] == [
        ("clickstream", "raw_to_silver", 0, 0),
        ("clickstream", "silver_to_gold", 0, 0),
        ("transactions", "raw_to_silver", 0, 0),
        ("customer_features", "build_model", 0, 0),
        ("fiscal_calendar", "raw_to_silver", 0, 0),
        ("calendar", "build_model", 0, 0),
    ]
    assert snapshot() == before
    assert main(["run", "clickstream", "--full", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["mode"] for r in runs] == ["full"] * 6 and all(r["reconciled"] for r in runs)
    first = pipeline["results"][0]
    assert (
        runs[0]["rows_read"],
        runs[0]["rows_written"],
        runs[0]["duplicates_removed"],
        runs[0]["rows_quarantined"],
    ) == (first.rows_read, first.rows_written, first.duplicates_removed, first.rows_quarantined)
    assert snapshot() == before


def test_demo_command_prints_reconciliation_and_three_queries(spark, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL", "")
    )  # the demo points it at its own
    code = main(["demo", "--port", str(free_port()), "--days", "1", "--events-per-hour", "8"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, out
    assert "RECONCILIATION" not in captured.err  # the jobs' JSON log lines only with --verbose
    assert "reconciliation (rows read = written + duplicates + quarantined)" in out
    flat = " ".join(out.split())  # rich wraps a narrow table's title
    for title in (
        "Daily conversion funnel",
        "Top 5 pages by page views",
        "Session length and conversion",
        "Users per lifecycle stage (activity domain)",
        "Retail funnel per top-level category, all days (retail domain)",
        "Top customers by spend in the latest feature snapshot (customer_features domain)",
    ):
        assert title in flat
    assert "down: stopping the local endpoint" in out
    # the demo runs through the Lambda handlers and names each event it handled
    assert "on_raw_object <- s3:ObjectCreated" in out and "landed_alert <- s3:ObjectCreated" in out
    assert "on_job_state <- Glue Job State Change: e2e" not in out  # its own project, not the fixture's
    assert "on_job_state <- Glue Job State Change: lakehouse-local-clickstream-raw_to_silver SUCCEEDED" in out
    assert (
        "on_job_state <- Glue Job State Change: lakehouse-local-clickstream-silver_to_gold SUCCEEDED" in out
    )


def test_jobs_write_only_where_their_iam_policy_allows(pipeline):
    """Every object the clickstream jobs wrote lies under a prefix the manifest grants them (and so
    their Terraform IAM role): the least-privilege policy is wide enough for the real job."""
    from lakehouse import aws
    from lakehouse.deploy.manifest import build

    settings = pipeline["settings"]
    ran = {(r.dataset, r.stage) for r in pipeline["results"]}
    jobs = [j for j in build(REPO / "domains")["jobs"].values() if (j["name"], j["stage"]) in ran]
    assert (
        {(j["name"], j["stage"]) for j in jobs}
        == ran
        == {
            ("clickstream", "raw_to_silver"),
            ("clickstream", "silver_to_gold"),
            ("transactions", "raw_to_silver"),
            ("customer_features", "build_model"),
            ("fiscal_calendar", "raw_to_silver"),
            ("calendar", "build_model"),
        }
    )
    allowed = {(w["zone"], w["prefix"]) for j in jobs for w in j["access"]["s3_write"]}
    s3 = aws.client("s3", settings)
    written = {"silver": 0, "gold": 0}
    for zone in written:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket(zone)):
            for obj in page.get("Contents", []):
                written[zone] += 1
                assert any(z == zone and obj["Key"].startswith(p) for z, p in allowed), (
                    f"{zone}/{obj['Key']} is outside the jobs' IAM write prefixes"
                )
    assert written["silver"] >= 5 and written["gold"] >= 5, written
