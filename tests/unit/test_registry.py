"""The one registry: jobs, what runs after what, one producer per gold table, dependencies pointing down."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lakehouse.contract.model import parse_model
from lakehouse.contract.registry import Job, Project
from lakehouse.errors import ContractError
from tests.plugin import REPO

PROJECT = Project.load(REPO / "domains")


def plan(name: str) -> list[tuple[str, str]]:
    return [(j.name, j.stage) for j in PROJECT.run_plan(name)]


def test_run_plans_follow_the_registry():
    assert plan("clickstream") == [
        ("clickstream", "raw_to_silver"),
        ("clickstream", "silver_to_gold"),
        ("transactions", "raw_to_silver"),  # customer_features' other source, before the model
        ("customer_features", "build_model"),  # a model listing clickstream among its sources
        ("fiscal_calendar", "raw_to_silver"),
        ("calendar", "build_model"),  # dim_date's one owner, after the gold that keys into it
    ]
    # a model's plan: its sources and itself, not the other models its sources also feed
    assert plan("customer_features") == [
        ("transactions", "raw_to_silver"),
        ("clickstream", "raw_to_silver"),
        ("customer_features", "build_model"),
    ]
    assert plan("retail") == [
        ("retail_events", "raw_to_silver"),
        ("item_properties", "raw_to_silver"),
        ("category_tree", "raw_to_silver"),
        ("retail", "build_model"),
        ("fiscal_calendar", "raw_to_silver"),
        ("calendar", "build_model"),
    ]
    assert plan("sales")[:4] == [
        ("customers", "raw_to_silver"),
        ("transactions", "raw_to_silver"),
        ("sales_orders", "raw_to_silver"),
        ("sales", "build_model"),
    ]
    assert plan("sales")[-1] == ("calendar", "build_model")
    with pytest.raises(ContractError, match="unknown dataset 'nope'"):
        PROJECT.run_plan("nope")


def test_every_job_and_its_successor():
    jobs = set(PROJECT.jobs())
    assert Job("calendar", "build_model") in jobs and Job("sales_orders", "silver_to_gold") not in jobs
    assert PROJECT.next_jobs(Job("clickstream", "raw_to_silver")) == [
        Job("clickstream", "silver_to_gold"),
        Job("customer_features", "build_model"),
    ]
    assert PROJECT.next_jobs(Job("transactions", "raw_to_silver")) == [
        Job("sales", "build_model"),  # the model its contract names...
        Job("customer_features", "build_model"),  # ...and every model listing it as a source
    ]
    assert PROJECT.next_jobs(Job("user_activity", "raw_to_silver")) == [Job("activity", "build_model")]
    assert PROJECT.next_jobs(Job("activity", "build_model")) == [Job("calendar", "build_model")]
    assert PROJECT.next_jobs(Job("customer_features", "build_model")) == []
    assert PROJECT.next_jobs(Job("fiscal_calendar", "raw_to_silver")) == [Job("calendar", "build_model")]
    assert PROJECT.owner_of("dim_date") == "calendar" and PROJECT.owner_of("dim_users") is None


def test_a_gold_table_with_two_producers_is_refused():
    rival = parse_model(
        {
            "name": "rival",
            "transform": "transform",
            "tables": [{"name": "fact_clicks", "columns": [{"name": "x", "type": "int"}]}],
        }
    )
    with pytest.raises(
        ContractError, match="table 'fact_clicks' is built by dataset clickstream and model rival"
    ):
        Project(PROJECT.contracts, {**PROJECT.models, "rival": rival})


def test_dependencies_point_down():
    """Job code, the manifest and the handlers never import the local loop; none of them needs Spark's
    local session helpers, DuckDB or the CLI."""
    probe = (
        "import sys, lakehouse.jobs.stages, lakehouse.jobs.entry, lakehouse.deploy.manifest, "
        "lakehouse.automation.handlers, lakehouse.engine.athena\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('lakehouse.local', 'lakehouse.cli', 'duckdb')))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]", out.stdout
