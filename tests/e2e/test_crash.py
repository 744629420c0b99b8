"""Crash safety: kill the job process at each step of a run; the next run must equal a clean run.

The job runs as `python -m lakehouse.cli.commands run clickstream` in a subprocess that SIGKILLs itself at a
named failpoint (LAKEHOUSE_FAILPOINT). Each case uses its own project (own buckets and databases) on the
shared endpoint and is compared, row for row, with a clean run of the same files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from lakehouse_domains.clickstream.generate import generate_clickstream

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.dataset import load_contract
from lakehouse.engine.local import LocalEngine
from lakehouse.landing.ingest import ingest
from lakehouse.local.launcher import run_dataset
from lakehouse.settings import Settings
from tests.plugin import REPO
from tests.support.fast_deploy import deploy

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]

FAILPOINTS = [
    "raw_to_silver:after_write",  # files written, nothing recorded or published
    "raw_to_silver:after_intent",  # intent recorded, catalog untouched
    "raw_to_silver:mid_publish",  # one table switched, the other not
    "raw_to_silver:after_publish",  # catalog switched, ledger not committed
    "silver_to_gold:mid_publish",
    "silver_to_gold:after_publish",
]


def tables(settings: Settings) -> list[str]:
    silver = settings.database("silver")
    return [
        f"{silver}.clickstream",
        f"{silver}.clickstream_quarantine",
        "fact_clicks",
        "dim_users",
        "dim_pages",
        "dim_devices",
    ]  # dim_date is the calendar model's (lakehouse.contract.registry), not a clickstream stage's


def snapshot(settings: Settings) -> dict[str, list]:
    """Every row of every table; run ids, quarantine times and the project name taken out."""
    engine = LocalEngine(settings)
    try:
        out = {}
        for i, table in enumerate(tables(settings)):
            result = engine.query(f"SELECT * FROM {table}")
            keep = [
                j for j, c in enumerate(result.columns) if c not in ("_run_id", "run_id", "quarantined_at")
            ]
            out[i] = sorted(
                repr(tuple(r[j] for j in keep)).replace(settings.project, "P") for r in result.rows
            )
        return out
    finally:
        engine.close()


def published_locations_are_complete(settings: Settings) -> None:
    """Whatever the catalog points at holds finished files: a reader never sees a partial run."""
    catalog, storage = Catalog(settings), Storage(settings)
    for zone in ("silver", "gold"):
        for table in catalog.list_tables(settings.database(zone)):
            keys = table.get("PartitionKeys")
            locations = (
                [loc for _, loc in catalog.get_partitions(settings.database(zone), table["Name"])]
                if keys
                else [table["StorageDescriptor"]["Location"]]
            )
            for loc in locations:
                if "/_runs/" in loc or "run_id=" in loc:
                    assert any(o.key.endswith(".parquet") for o in storage.list(loc)), loc


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("crash-landing")
    generate_clickstream(out, days=1, events_per_hour=6, seed=13, duplicate_rate=0.05, bad_rate=0.05)
    return out


def prepare(endpoint_url: str, project: str, landing) -> tuple[Settings, object]:
    settings = Settings(project=project, env="local", endpoint_url=endpoint_url, domains=(REPO / "domains",))
    contract = load_contract(REPO / "domains" / "clickstream" / "clickstream.yaml")
    deploy(settings)
    ingest(settings, contract, [landing])
    return settings, contract


@pytest.fixture(scope="module")
def clean(endpoint_url, spark, landing):
    settings, contract = prepare(endpoint_url, "crashclean", landing)
    results = run_dataset(settings, contract, REPO / "glue" / "jobs")
    assert all(r.reconciled for r in results)
    return snapshot(settings)


@pytest.mark.parametrize("failpoint", FAILPOINTS)
def test_killed_run_then_rerun_equals_clean_run(endpoint_url, spark, landing, clean, failpoint, tmp_path):
    project = f"crash{FAILPOINTS.index(failpoint)}"
    settings, contract = prepare(endpoint_url, project, landing)
    env = {
        **os.environ,
        "LAKEHOUSE_PROJECT": project,
        "AWS_ENDPOINT_URL": endpoint_url,
        "LAKEHOUSE_STATE_DIR": str(tmp_path),
        "LAKEHOUSE_FAILPOINT": failpoint,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli.commands", "run", "clickstream"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    published_locations_are_complete(settings)

    results = run_dataset(settings, contract, REPO / "glue" / "jobs")
    assert all(r.reconciled and r.status == "succeeded" for r in results)
    stage = failpoint.split(":")[0]
    recovered = next(r for r in results if r.stage == stage).recovered
    assert bool(recovered) == (not failpoint.endswith("after_write"))  # a recorded intent is rolled forward
    assert snapshot(settings) == clean
    again = run_dataset(settings, contract, REPO / "glue" / "jobs")
    assert [r.inputs for r in again] == [0, 0]  # nothing is processed twice
