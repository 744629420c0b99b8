"""A domain is a folder: copying one makes a new domain, deleting one removes it, with no other edit.

The copy is the clickstream sample renamed (dataset, gold tables, file names), next to the calendar
domain it keys into, in a folder of domains of its own; every command a user runs then serves it
through `--domains`: package, deploy (terraform apply of terraform/envs/local), generate, ingest,
run, views and a query of its gold table. The removal drops the sales folder from a copy of the
samples: the kit packages the rest and runs clickstream on it.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from lakehouse.contract.domains import discover
from lakehouse.contract.registry import Project
from lakehouse.landing.ingest import ingest
from lakehouse.local.launcher import run_plan
from lakehouse.settings import Settings
from tests.integration.plugin import query
from tests.plugin import REPO
from tests.support.fast_deploy import deploy

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]

RENAMES = {  # the clickstream sample's names -> the copy's
    "clickstream": "webclicks",
    "fact_clicks": "fact_webclicks",
    "dim_users": "dim_webusers",
    "dim_pages": "dim_webpages",
    "dim_devices": "dim_webdevices",
}


def copy_renamed(source: Path, target: Path) -> None:
    """Copy a domain folder, renaming its names in every file's text and file name (not its tests)."""
    for path in sorted(source.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or "tests" in path.relative_to(source).parts:
            continue
        rel = path.relative_to(source).as_posix()
        text = path.read_text(encoding="utf-8")
        for old, new in RENAMES.items():
            rel, text = rel.replace(old, new), text.replace(old, new)
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")


def events_in(landing: Path) -> int:
    """Distinct valid events in the generated files, read with plain Python (not the pipeline)."""
    ids = set()
    for f in sorted(landing.rglob("*-*.json")):  # not the generator's _generated.json
        for line in f.read_text().splitlines():
            try:
                e = json.loads(line)
                datetime.fromisoformat(e["event_timestamp"])
            except (ValueError, KeyError, TypeError):
                continue
            if e.get("user_id"):
                ids.add(e["event_id"])
    return len(ids)


def test_a_copied_domain_is_served_by_every_command(cli, settings, tmp_path):
    root = tmp_path / "domains"
    shutil.copytree(REPO / "domains" / "calendar", root / "calendar")
    copy_renamed(REPO / "domains" / "clickstream", root / "webclicks")
    where = ("--domains", str(root))

    out = cli("package", "--out", str(tmp_path / "build"), *where)
    assert "1 datasets, 1 models" in out and "3 jobs" in out
    manifest = json.loads((tmp_path / "build" / "manifest.json").read_text())
    assert sorted(manifest["jobs"]) == [
        "calendar-build_model",
        "webclicks-raw_to_silver",
        "webclicks-silver_to_gold",
    ]
    assert {"gold.fact_webclicks", "gold.dim_webusers", "gold.dim_date"} <= set(manifest["tables"])
    assert manifest["datasets"]["webclicks"]["contract"] == "domains/webclicks/webclicks.yaml"

    assert "applied" in cli("deploy", *where)
    landing = tmp_path / "landing"
    line = cli(
        "generate", "webclicks", "--out", str(landing), "--days", "1", "--events-per-hour", "8", *where
    )
    assert line.startswith("wrote ")
    assert {p.name.split("-")[0] for p in landing.glob("*-*.json")} == {"webclicks"}
    cli("ingest", "webclicks", str(landing), *where)
    cli("run", "webclicks", *where)
    views = cli("views", *where)
    assert "hourly_traffic: created" in views

    rows = query(cli, "SELECT count(*) AS n FROM fact_webclicks")
    assert rows == [{"n": events_in(landing)}] and rows[0]["n"] > 0
    hourly = query(cli, "SELECT sum(events) AS n FROM hourly_traffic")
    assert hourly == rows


def test_a_deleted_domain_is_gone_and_the_others_still_package_and_run(settings, spark, tmp_path):
    root = tmp_path / "domains"
    shutil.copytree(REPO / "domains", root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    full = Project.load(root)
    shutil.rmtree(root / "sales")
    left = Project.load(root)

    assert "sales" not in {d.name for d in discover([root])}
    sales = {n for n in full.contracts if full.contracts[n].domain == "sales"}
    assert sales and set(left.contracts) == set(full.contracts) - sales
    assert set(left.models) == set(full.models) - {"sales"}

    from lakehouse.deploy.bundle import package

    built = package(root, REPO / "lambda", tmp_path / "build")
    assert not sales & set(built["datasets"]) and "sales-build_model" not in built["jobs"]
    assert "yearly_sales" not in built["queries"] and "daily_funnel" in built["queries"]

    here = Settings(
        project=settings.project, env="local", endpoint_url=settings.endpoint_url, domains=(root,)
    )
    deploy(here)
    landing = tmp_path / "landing"
    generate = left.domain_of("clickstream").module("generate").generate
    generate(landing, 5, days=1, events_per_hour=6)
    ingest(here, left.contracts["clickstream"], [landing])
    results = run_plan(here, left, "clickstream", REPO / "glue" / "jobs")
    # its own stages, then the models it feeds: customer_features (whose other source, sales'
    # transactions, is gone: not landed) and the calendar (whose fiscal source is gone too)
    assert [(r.dataset, r.stage) for r in results] == [
        ("clickstream", "raw_to_silver"),
        ("clickstream", "silver_to_gold"),
        ("customer_features", "build_model"),
        ("calendar", "build_model"),
    ]
    assert all(r.reconciled for r in results)
    assert results[0].rows_written == events_in(landing)
