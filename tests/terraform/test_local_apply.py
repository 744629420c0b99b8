"""terraform/envs/local applied for real (hashicorp/aws, not a mock) on a fresh local endpoint.

One apply serves the whole module, in order: apply from empty; a second plan reports no changes; a
second apply changes nothing; the pipeline runs end to end on what Terraform created; the tests'
fast-path deployer creates the same resources; destroy removes everything. `make tf-apply-local`
runs this file alone; `make test` runs it with the rest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lakehouse import aws
from lakehouse.aws.catalog import Catalog
from lakehouse.engine.local import LocalEngine
from lakehouse.local.dispatcher import Dispatcher
from lakehouse.local.endpoint import reset
from lakehouse.local.terraform import LOCAL_ENV_DIR, LocalEnvironment, local_environment
from lakehouse.settings import Settings
from tests.support import wiring

from .inventory import inventory

pytestmark = pytest.mark.endpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def applied(endpoint_url) -> dict:
    """The first apply on an empty endpoint, and what it created."""
    reset(endpoint_url)
    settings = Settings(project="lhtf", env="local", endpoint_url=endpoint_url, domains=(ROOT / "domains",))
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


def test_everything_encrypted_with_the_key_waits_for_the_key_policy(applied):
    """AWS refuses a log group (queue, topic) encrypted with a key whose policy does not yet admit its
    service: Terraform's graph must order each after the policy."""
    env: LocalEnvironment = applied["env"]
    out = env.tc.run(["graph"], LOCAL_ENV_DIR, env.env)
    assert out.returncode == 0, out.stderr
    edges = set(re.findall(r'"([^"]+)" -> "([^"]+)"', out.stdout))
    policy = "module.lakehouse.module.security.aws_kms_key_policy.this"
    encrypted = {
        "module.lakehouse.module.etl.aws_cloudwatch_log_group.glue",
        "module.lakehouse.module.events.aws_cloudwatch_log_group.function",
        "module.lakehouse.module.events.aws_sqs_queue.dlq",
        "module.lakehouse.module.events.aws_sqs_queue.inbox",
        "module.lakehouse.module.monitoring.aws_sns_topic.alerts",
        "module.lakehouse.module.storage.aws_s3_bucket_server_side_encryption_configuration.data",
        "module.lakehouse.module.catalog.aws_glue_security_configuration.this",
    }
    assert {(node, policy) for node in encrypted} <= edges


def test_a_second_plan_reports_no_changes(applied):
    assert applied["env"].plan_changes() == 0


def test_a_second_apply_changes_nothing(applied):
    assert _counts(applied["env"].apply()) == (0, 0, 0)


@pytest.mark.spark
def test_the_pipeline_runs_end_to_end_on_what_terraform_created(applied, spark):
    """A file lands in the raw bucket -> the notification Terraform configured -> the handlers -> the
    jobs Terraform defined (their scripts, arguments and the contracts they name, from the endpoint)
    on local Spark -> gold partitions -> a query; the purchase alert reaches the SNS subscriber."""
    settings = applied["settings"]
    events = [
        {
            "event_id": f"t{i}",
            "user_id": f"u{i % 3}",
            "session_id": f"s{i % 4}",
            "event_type": "purchase" if i in (2, 7) else "page_view",
            "event_timestamp": f"2025-05-0{1 + i % 2}T09:{i:02d}:00Z",
            "device_type": "desktop",
            "page_url": "https://shop.example.com/checkout",
            "metadata": {"order_id": f"o{i}", "amount": "12.50", "currency": "EUR"} if i in (2, 7) else {},
        }
        for i in range(12)
    ]
    aws.client("s3", settings).put_object(
        Bucket=settings.bucket("raw"),
        Key="clickstream/year=2025/month=05/day=01/hour=09/landed.json",
        Body="\n".join(json.dumps(e) for e in events).encode(),
    )
    seen: list = []
    report = Dispatcher(settings, ROOT / "glue" / "jobs", on_event=seen.append).run_until_idle()

    assert report.failures == []
    assert {h.handler for h in seen} >= {"on_raw_object", "landed_alert", "on_job_state"}
    runs = {(r.dataset, r.stage): (r.rows_read, r.rows_written, r.rows_quarantined) for r in report.runs}
    assert runs[("clickstream", "raw_to_silver")] == (12, 12, 0)
    assert runs[("clickstream", "silver_to_gold")] == (12, 12, 0)
    gold = Catalog(settings).get_partitions(settings.database("gold"), "fact_clicks")
    assert sorted(values for values, _ in gold) == [("2025-05-01",), ("2025-05-02",)]
    engine = LocalEngine(settings)
    try:
        rows = engine.query("SELECT event_date, count(*) FROM fact_clicks GROUP BY 1 ORDER BY 1").rows
    finally:
        engine.close()
    assert [(str(d), n) for d, n in rows] == [("2025-05-01", 6), ("2025-05-02", 6)]
    inbox = aws.client("sqs", settings).receive_message(
        QueueUrl=wiring.find_queue_url(settings, "alerts-inbox"), MaxNumberOfMessages=10
    )["Messages"]
    alerts = [json.loads(json.loads(m["Body"])["Message"]) for m in inbox]
    (purchases,) = [a for a in alerts if "purchases" in a]
    assert sorted(p["order_id"] for p in purchases["purchases"]) == ["o2", "o7"]


def test_the_fast_path_deployer_creates_the_same_resources(applied, endpoint_url):
    from tests.support.fast_deploy import deploy

    settings = Settings(project="lhfast", env="local", endpoint_url=endpoint_url, domains=(ROOT / "domains",))
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
    if value == old:  # the project itself, e.g. the jobs' --project argument
        return new
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
