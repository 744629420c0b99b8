"""terraform/envs/local applied for real (hashicorp/aws, not a mock) on a fresh local endpoint.

One apply serves the whole module, in order: apply from empty; a second plan reports no changes; a
second apply changes nothing; the pipeline runs end to end on what Terraform created; the tests'
fast-path deployer creates the same resources; destroy removes everything. `make tf-apply-local`
runs this file alone; `make test` runs it with the rest.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lakehouse import aws
from lakehouse.local.endpoint import reset
from lakehouse.local.terraform import LocalEnvironment, local_environment
from lakehouse.settings import Settings

from .inventory import inventory

pytestmark = pytest.mark.endpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def applied(endpoint_url) -> dict:
    """The first apply on an empty endpoint, and what it created."""
    reset(endpoint_url)
    settings = Settings(
        project="lhtf", env="local", endpoint_url=endpoint_url, datasets_dir=ROOT / "datasets"
    )
    env = local_environment(settings)
    summary = env.apply()
    return {"settings": settings, "env": env, "summary": summary, "inventory": inventory(settings)}


def _counts(summary: str) -> tuple[int, int, int]:
    match = re.search(r"Resources: (\d+) added, (\d+) changed, (\d+) destroyed", summary)
    assert match, summary
    return tuple(int(n) for n in match.groups())  # type: ignore[return-value]


def test_apply_from_empty_creates_the_environment(applied):
    added, changed, destroyed = _counts(applied["summary"])
    assert added > 100 and changed == destroyed == 0
    inv, settings = applied["inventory"], applied["settings"]
    assert set(inv["buckets"]) == {
        settings.bucket(z) for z in ("raw", "silver", "gold", "athena-results", "artifacts", "logs")
    }
    assert all(b["versioning"] == "Enabled" and b["public_access_blocked"] for b in inv["buckets"].values())
    assert inv["buckets"]["lhtf-local-logs"]["encryption"] == {"SSEAlgorithm": "AES256"}
    assert inv["buckets"]["lhtf-local-raw"]["encryption"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "<the environment's key>",
    }
    assert inv["queues"] == [
        f"lhtf-local-{q}" for q in ("alerts-inbox", "automation-dlq", "glue-events", "raw-events")
    ]
    assert inv["raw_notifications"] == [
        ("arn:aws:sqs:us-east-1:123456789012:lhtf-local-raw-events", ("s3:ObjectCreated:*",))
    ]
    assert (
        "lhtf_local_gold.fact_clicks" in inv["tables"]
        and "lhtf-local-clickstream-raw_to_silver" in inv["jobs"]
    )


def test_a_second_plan_reports_no_changes(applied):
    assert applied["env"].plan_changes() == 0


def test_a_second_apply_changes_nothing(applied):
    assert _counts(applied["env"].apply()) == (0, 0, 0)


def test_the_fast_path_deployer_creates_the_same_resources(applied, endpoint_url):
    from lakehouse.local.deploy import deploy

    settings = Settings(
        project="lhfast", env="local", endpoint_url=endpoint_url, datasets_dir=ROOT / "datasets"
    )
    deploy(settings)
    fast = inventory(settings)
    expected = _renamed(applied["inventory"], "lhtf", "lhfast")
    for kind in expected:
        assert fast[kind] == expected[kind], kind


def _renamed(value, old: str, new: str):
    if isinstance(value, dict):
        return {_renamed(k, old, new): _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_renamed(v, old, new) for v in value)
    if isinstance(value, str):
        return value.replace(f"{old}-local", f"{new}-local").replace(f"{old}_local", f"{new}_local")
    return value


def test_destroy_removes_everything(applied):
    env: LocalEnvironment = applied["env"]
    summary = env.destroy()
    assert re.search(r"Destroy complete! Resources: (\d+) destroyed", summary), summary
    s3 = aws.client("s3", applied["settings"])
    assert not [b for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("lhtf-")]
    glue = aws.client("glue", applied["settings"])
    assert not [d for d in glue.get_databases()["DatabaseList"] if d["Name"].startswith("lhtf_")]
