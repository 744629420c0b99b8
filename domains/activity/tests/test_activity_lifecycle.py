"""user_lifecycle_stages through the jobs and the view: each stage from the model file's thresholds
(new within 14 days of the first action, at-risk after 7 days without one, churned after 21), counted
back from the newest activity loaded."""

from __future__ import annotations

import json

import pytest

from lakehouse.contract.registry import BUILD_MODEL, RAW_TO_SILVER, Job, Project
from lakehouse.local.launcher import run_job
from tests.integration.plugin import query
from tests.plugin import REPO

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def action(user: str, day: str) -> str:
    return json.dumps(
        {
            "user_id": user,
            "user_name": {"FirstName": user, "LastName": "Doe"},
            "action_type": "Post",
            "action_ts": f"2025-{day}T10:00:00Z",
            "item_id": "I1",
            "last_modified_at": "2025-01-01T00:00:00Z",
        }
    )


def test_each_lifecycle_stage_from_the_thresholds(cli, settings, deployed, tmp_path):
    days = {
        "N": ["03-25", "03-30"],  # first action 5 days before the newest: new
        "A": ["03-01", "03-28"],  # last action 2 days before, first 29: active
        "R": ["03-01", "03-20"],  # last action 10 days before (> 7, <= 21): at-risk
        "C": ["02-01", "03-01"],  # last action 29 days before (> 21): churned
    }
    landing = tmp_path / "user_activity_1.json"
    landing.write_text("\n".join(action(u, d) for u, ds in days.items() for d in ds) + "\n")
    cli("ingest", "user_activity", str(landing))
    project = Project.load(REPO / "domains")
    for job in (Job("user_activity", RAW_TO_SILVER), Job("activity", BUILD_MODEL)):
        assert run_job(settings, project, job, REPO / "glue" / "jobs").reconciled
    cli("views")
    rows = query(
        cli, "SELECT user_id, lifecycle_stage, days_since_last_action FROM user_lifecycle_stages ORDER BY 1"
    )
    assert [(r["user_id"], r["lifecycle_stage"], r["days_since_last_action"]) for r in rows] == [
        ("A", "active", 2),
        ("C", "churned", 29),
        ("N", "new", 0),
        ("R", "at-risk", 10),
    ]
