"""The Lambda handlers, called in-process with the events the local endpoint really produces.

S3 notifications are read from the raw-events queue the raw bucket notifies; Glue state changes are
put on EventBridge and read from the queue its rule targets. Effects are checked on the endpoint:
catalog partitions, job and crawler runs, SNS messages (read from the alerts topic's SQS subscriber),
dead-letter messages.
"""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
import yaml

from lakehouse import aws
from lakehouse.automation import handlers
from lakehouse.aws.catalog import Catalog
from lakehouse.jobs.ledger import Ledger, LedgerEntry, RunRequest
from lakehouse.local.dispatcher import hold_job_runs
from tests.plugin import REPO
from tests.support import wiring
from tests.support.fast_deploy import deploy

pytestmark = pytest.mark.endpoint

JOB_R2S = "lhtest-local-clickstream-raw_to_silver"
JOB_S2G = "lhtest-local-clickstream-silver_to_gold"


@pytest.fixture
def config(deployed):
    hold_job_runs(deployed.endpoint_url)  # job runs stay STARTING until read: Glue's concurrency, locally
    return handlers.Config(
        settings=deployed,
        contracts_uri=str(REPO / "domains"),
        alert_topic_arn=wiring.find_alerts_topic(deployed),
        dlq_url=wiring.find_queue_url(deployed, "automation-dlq"),
        alert_dataset="clickstream",  # what Terraform sets (LAKEHOUSE_ALERT_DATASET)
    )


def did(result: dict) -> list[tuple[str, str, str]]:
    """The structured outcomes of a handler call as (action, status, stage)."""
    return [(a["action"], a["status"], a["stage"]) for a in result["actions"]]


def receive(settings, queue: str) -> list[dict]:
    sqs = aws.client("sqs", settings)
    url = wiring.find_queue_url(settings, queue)
    out = []
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        out += msgs
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
        )
    return out


def as_sqs_event(messages: list[dict]) -> dict:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def land(settings, key: str, body: bytes) -> dict:
    """Put an object in the raw bucket and return the notification the endpoint delivered for it."""
    receive(settings, "raw-events")  # drop the s3:TestEvent and anything earlier
    aws.client("s3", settings).put_object(Bucket=settings.bucket("raw"), Key=key, Body=body)
    return as_sqs_event(receive(settings, "raw-events"))


def glue_event(settings, job: str, state: str, run_id: str = "jr_1", message: str = "") -> dict:
    """A Glue Job State Change, routed by the environment's EventBridge rule to its queue."""
    receive(settings, "glue-events")
    aws.client("events", settings).put_events(
        Entries=[
            {
                "Source": "aws.glue",
                "DetailType": "Glue Job State Change",
                "Detail": json.dumps(
                    {
                        "jobName": job,
                        "severity": "ERROR",
                        "state": state,
                        "jobRunId": run_id,
                        "message": message,
                    }
                ),
            }
        ]
    )
    return as_sqs_event(receive(settings, "glue-events"))


def alerts(settings) -> list[dict]:
    return [json.loads(m["Body"]) for m in receive(settings, "alerts-inbox")]


def job_runs(settings, job: str) -> list[dict]:
    return aws.client("glue", settings).get_job_runs(JobName=job)["JobRuns"]


EVENT = {
    "event_id": "p1",
    "user_id": "u-secret",
    "session_id": "s-secret",
    "event_type": "purchase",
    "event_timestamp": "2025-03-01T10:00:00Z",
    "page_url": "https://shop.example.com/checkout/confirmation",
    "metadata": {"order_id": "ORD-1", "amount": "129.50", "currency": "USD"},
}
KEY = "clickstream/year=2025/month=03/day=01/hour=10/my file ü.json"


# on_raw_object --------------------------------------------------------------------------------------


def test_raw_object_registers_its_partition_and_requests_the_job(config):
    settings = config.settings
    event = land(settings, KEY, json.dumps(EVENT).encode())
    assert "my+file+%C3%BC.json" in event["Records"][0]["body"]  # the endpoint URL-encodes the key
    result = handlers.on_raw_object(event, None, config)
    assert (result["processed"], result["malformed"]) == (1, 0)
    parts = Catalog(settings).get_partitions(settings.database("raw"), "clickstream")
    assert parts == [
        (
            ("2025", "03", "01", "10"),
            f"s3://{settings.bucket('raw')}/clickstream/year=2025/month=03/day=01/hour=10/",
        )
    ]
    assert len(job_runs(settings, JOB_R2S)) == 1
    assert RunRequest(settings, "clickstream", "raw_to_silver").pending()


def test_duplicate_delivery_changes_nothing(config):
    event = land(config.settings, KEY, json.dumps(EVENT).encode())
    handlers.on_raw_object(event, None, config)
    again = handlers.on_raw_object(event, None, config)
    assert (again["processed"], again["duplicates"]) == (0, 1)
    assert len(job_runs(config.settings, JOB_R2S)) == 1


def test_many_objects_start_one_run_and_a_busy_job_is_started_again_when_it_ends(config):
    settings = config.settings
    for hour in ("10", "11", "12"):
        handlers.on_raw_object(land(settings, KEY.replace("hour=10", f"hour={hour}"), b"{}"), None, config)
    (run,) = job_runs(settings, JOB_R2S)  # one start for three objects: the request marker debounces
    RunRequest(
        settings, "clickstream", "raw_to_silver"
    ).clear()  # the run started: it takes what landed so far
    late = handlers.on_raw_object(land(settings, KEY.replace("hour=10", "hour=13"), b"{}"), None, config)
    assert did(late) == [("partition", "registered", ""), ("run", "running_request_kept", "raw_to_silver")]
    assert len(job_runs(settings, JOB_R2S)) == 1  # Glue refused the concurrent start: nothing is lost
    for _ in range(2):
        aws.client("glue", settings).get_job_run(JobName=JOB_R2S, RunId=run["Id"])  # the run ends
    ended = handlers.on_job_state(glue_event(settings, JOB_R2S, "SUCCEEDED", run["Id"]), None, config)
    assert ("run", "started", "raw_to_silver") in did(ended)  # the request made meanwhile
    assert len(job_runs(settings, JOB_R2S)) == 2


def test_unknown_dataset_and_foreign_layout_are_ignored(config):
    settings = config.settings
    result = handlers.on_raw_object(land(settings, "invoices/2025/x.json", b"{}"), None, config)
    assert (result["ignored"], result["processed"]) == (1, 0)
    result = handlers.on_raw_object(land(settings, "clickstream/no-partitions.json", b"{}"), None, config)
    assert result["ignored"] == 1
    assert job_runs(settings, JOB_R2S) == []


def test_malformed_records_go_to_the_dead_letter_queue_and_the_batch_goes_on(config):
    settings = config.settings
    good = land(settings, KEY, b"{}")["Records"][0]
    broken = dict(good, body="this is not json")
    missing = dict(
        good,
        body=json.dumps(
            {
                "Records": [
                    {
                        "eventSource": "aws:s3",
                        "eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": "x"}},
                    }
                ]
            }
        ),
    )
    result = handlers.on_raw_object({"Records": [broken, missing, good]}, None, config)
    assert (result["processed"], result["malformed"]) == (1, 2)
    dead = [json.loads(m["Body"]) for m in receive(settings, "automation-dlq")]
    assert [d["error"] for d in dead] == ["not JSON", "object event without 'object'"]
    assert all(d["handler"] == "on_raw_object" for d in dead)


def test_eventbridge_object_created_shape(config):
    settings = config.settings
    aws.client("s3", settings).put_object(Bucket=settings.bucket("raw"), Key=KEY, Body=b"{}")
    event = {
        "version": "0",
        "id": "c9888434-815d-c6f4-9fc2-4dd7bdeccaaf",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2025-03-01T10:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{settings.bucket('raw')}"],
        "detail": {
            "version": "0",
            "bucket": {"name": settings.bucket("raw")},
            "object": {"key": KEY, "size": 2, "etag": "99914b932bd37a50b983c5e7c90ae93b"},
            "reason": "PutObject",
        },
    }
    assert handlers.on_raw_object(event, None, config)["processed"] == 1
    assert handlers.on_raw_object(event, None, config)["duplicates"] == 1


def test_a_contract_that_asks_for_crawling_starts_the_crawler_once(settings, tmp_path):
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO / "domains", datasets)
    doc = yaml.safe_load((datasets / "clickstream" / "clickstream.yaml").read_text())
    doc["zones"]["raw"]["crawl"] = True
    (datasets / "clickstream" / "clickstream.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    settings = type(settings)(**{**settings.__dict__, "domains": (datasets,)})
    deploy(settings)
    config = handlers.Config(
        settings=settings,
        contracts_uri=str(datasets),
        alert_topic_arn=wiring.find_alerts_topic(settings),
        dlq_url=wiring.find_queue_url(settings, "automation-dlq"),
    )
    first = handlers.on_raw_object(land(settings, KEY, b"{}"), None, config)
    second = handlers.on_raw_object(land(settings, KEY.replace("hour=10", "hour=11"), b"{}"), None, config)
    assert did(first)[1] == ("crawler", "started", "")
    assert did(second)[1] == ("crawler", "already_running", "")
    assert job_runs(settings, JOB_R2S) == []  # the job waits for the crawler


# on_crawler_state -----------------------------------------------------------------------------------


def crawler_event(settings, state: str, event_id: str = "e-1", name: str | None = None) -> dict:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Glue Crawler State Change",
        "source": "aws.glue",
        "account": "123456789012",
        "time": "2025-03-01T10:05:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "crawlerName": name or settings.crawler_name("clickstream"),
            "state": state,
            "message": "Crawler Succeeded" if state == "Succeeded" else "",
            "errorMessage": "Internal Service Exception" if state == "Failed" else "",
        },
    }


def test_crawler_succeeded_requests_the_job_failed_alerts(config):
    settings = config.settings
    assert handlers.on_crawler_state(crawler_event(settings, "Succeeded"), None, config)["processed"] == 1
    assert len(job_runs(settings, JOB_R2S)) == 1
    assert handlers.on_crawler_state(crawler_event(settings, "Succeeded"), None, config)["duplicates"] == 1
    handlers.on_crawler_state(crawler_event(settings, "Failed", "e-2"), None, config)
    (msg,) = alerts(settings)
    assert msg["Subject"] == "[lhtest local] crawler lhtest-local-clickstream-raw failed"
    assert json.loads(msg["Message"])["error"] == "Internal Service Exception"


def test_crawler_unknown_and_malformed(config):
    settings = config.settings
    assert (
        handlers.on_crawler_state(crawler_event(settings, "Succeeded", name="other"), None, config)["ignored"]
        == 1
    )
    assert (
        handlers.on_crawler_state({"detail-type": "Glue Crawler State Change"}, None, config)["malformed"]
        == 1
    )
    assert len(receive(settings, "automation-dlq")) == 1


# on_job_state ---------------------------------------------------------------------------------------


def test_failed_job_alert_is_readable_from_the_sqs_subscriber(config):
    settings = config.settings
    event = glue_event(settings, JOB_R2S, "FAILED", "jr_abc", "ReconciliationError: rows do not add up")
    assert handlers.on_job_state(event, None, config)["processed"] == 1
    (msg,) = alerts(settings)
    assert msg["Subject"] == f"[lhtest local] Glue job {JOB_R2S} FAILED"
    body = json.loads(msg["Message"])
    assert (body["job"], body["run_id"], body["error"]) == (
        JOB_R2S,
        "jr_abc",
        "ReconciliationError: rows do not add up",
    )
    assert body["console"].endswith(f"#/job/{JOB_R2S}/run/jr_abc")
    assert handlers.on_job_state(event, None, config)["duplicates"] == 1 and alerts(settings) == []


def test_succeeded_job_publishes_its_run_and_starts_the_next_stage(config):
    settings = config.settings
    from lakehouse.contract.tables import silver_table

    contract = handlers.project(config).contracts["clickstream"]
    silver = silver_table(contract, settings)
    location = f"{silver.location}_runs/jr_ok/event_date=2025-03-01/"
    Ledger(settings, "clickstream", "raw_to_silver").write(
        LedgerEntry(
            run_id="jr_ok",
            stage="raw_to_silver",
            dataset="clickstream",
            status="publishing",
            full=False,
            partitions={silver.qualified: {json.dumps(["2025-03-01"]): location}},
        )
    )  # the run died before publishing
    result = handlers.on_job_state(glue_event(settings, JOB_R2S, "SUCCEEDED", "jr_ok"), None, config)
    assert result["actions"][0] == {
        "action": "publish",
        "status": "published",
        "dataset": "clickstream",
        "stage": "raw_to_silver",
        "detail": "jr_ok: 1 partitions",
    }
    assert Catalog(settings).get_partitions(silver.database, silver.name) == [(("2025-03-01",), location)]
    assert Ledger(settings, "clickstream", "raw_to_silver").committed()[0].run_id == "jr_ok"
    assert len(job_runs(settings, JOB_S2G)) == 1


def test_job_unknown_and_malformed(config):
    settings = config.settings
    assert (
        # the environment's rule passes only its own prefix: a job of ours that no contract or model names
        handlers.on_job_state(glue_event(settings, settings.resource("retired-job"), "FAILED"), None, config)[
            "ignored"
        ]
        == 1
    )
    result = handlers.on_job_state(
        {"detail-type": "Glue Job State Change", "id": "x", "detail": {}}, None, config
    )
    assert result["malformed"] == 1 and alerts(settings) == []
    assert (
        json.loads(receive(settings, "automation-dlq")[0]["Body"])["error"]
        == "Glue state change without 'jobName'"
    )


# landed_alert -------------------------------------------------------------------------------------


def test_purchases_in_a_batch_make_one_message_with_ids_and_amounts_only(config):
    settings = config.settings
    lines = [
        EVENT,
        {**EVENT, "event_id": "p2", "metadata": {"order_id": "ORD-2", "amount": "20", "currency": "USD"}},
        {**EVENT, "event_id": "v1", "event_type": "page_view", "metadata": {}},
    ]
    a = land(settings, KEY, "\n".join(json.dumps(x) for x in lines).encode())
    b = land(
        settings,
        KEY.replace("my file ü.json", "b.json.gz"),
        gzip.compress(
            json.dumps(
                {**EVENT, "event_id": "p3", "metadata": {"order_id": "ORD-3", "amount": "oops"}}
            ).encode()
        ),
    )
    result = handlers.landed_alert({"Records": a["Records"] + b["Records"]}, None, config)
    assert result["processed"] == 2
    (msg,) = alerts(settings)
    body = json.loads(msg["Message"])
    assert (body["count"], body["totals"]) == (3, {"USD": "149.50"})  # summed per currency
    assert [(p["order_id"], p["amount"]) for p in body["purchases"]] == [
        ("ORD-1", "129.50"),
        ("ORD-2", "20.00"),
        ("ORD-3", None),
    ]
    assert "secret" not in msg["Message"]  # no user or session ids
    again = handlers.landed_alert(a, None, config)
    assert again["duplicates"] == 1 and alerts(settings) == []


def test_no_purchases_no_message_other_datasets_ignored_malformed_dead_lettered(config):
    settings = config.settings
    quiet = land(settings, KEY, json.dumps({**EVENT, "event_type": "page_view"}).encode())
    assert handlers.landed_alert(quiet, None, config)["processed"] == 1 and alerts(settings) == []
    assert handlers.landed_alert(land(settings, "orders/x.csv", b"a,b"), None, config)["ignored"] == 1
    assert handlers.landed_alert({"Records": [{"eventSource": "aws:s3"}]}, None, config)["malformed"] == 1
    assert len(receive(settings, "automation-dlq")) == 1


def test_crawler_succeeded_while_the_job_runs_keeps_the_request(config):
    settings = config.settings
    aws.client("glue", settings).start_job_run(JobName=JOB_R2S)  # a run already in progress
    result = handlers.on_crawler_state(crawler_event(settings, "Succeeded", "e-9"), None, config)
    assert did(result) == [("run", "running_request_kept", "raw_to_silver")]
    assert RunRequest(settings, "clickstream", "raw_to_silver").pending()
    assert len(job_runs(settings, JOB_R2S)) == 1


def test_a_dataset_without_a_star_mapping_ends_in_silver(settings, tmp_path):
    """No silver_to_gold job exists for it (Terraform, local deploy), so none is requested."""
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO / "domains", datasets)
    doc = yaml.safe_load((datasets / "clickstream" / "clickstream.yaml").read_text())
    doc.pop("star")
    (datasets / "clickstream" / "clickstream.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    settings = type(settings)(**{**settings.__dict__, "domains": (datasets,)})
    deploy(settings)
    hold_job_runs(settings.endpoint_url)
    config = handlers.Config(
        settings=settings,
        contracts_uri=str(datasets),
        alert_topic_arn=wiring.find_alerts_topic(settings),
        dlq_url=wiring.find_queue_url(settings, "automation-dlq"),
    )
    assert wiring.dataset_stages(handlers.project(config).contracts["clickstream"]) == ("raw_to_silver",)
    result = handlers.on_job_state(glue_event(settings, JOB_R2S, "SUCCEEDED", "jr_silver"), None, config)
    assert result["processed"] == 1 and not any(a["stage"] == "silver_to_gold" for a in result["actions"])
    jobs = aws.client("glue", settings).list_jobs()["JobNames"]
    assert JOB_R2S in jobs and JOB_S2G not in jobs


def test_a_lambda_container_keeps_one_config_across_invocations(monkeypatch):
    """The handlers' caches (project for a minute, account, ledger entries) live on the Config, so a
    warm container must reuse one: the Lambda entry points take it from container_config()."""
    monkeypatch.setenv("LAKEHOUSE_PROJECT", "lhcache")
    handlers.container_config.cache_clear()
    try:
        first = handlers.container_config()
        assert handlers.container_config() is first and first.settings.project == "lhcache"
    finally:
        handlers.container_config.cache_clear()
