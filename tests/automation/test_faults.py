"""Issue 15 on the handlers: faults and untrusted events, each reproduced on the local endpoint.

A failed job start never stalls a dataset; one bad record never aborts a batch; partition values
from keys are anchored and range-checked; foreign events are not acted on; a stale publish intent is
resolved, not fatal; a FAILED job's half-switched publish is completed; purchase alerts are split
under SNS's limit and marked seen only once sent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lakehouse import aws
from lakehouse.automation import handlers
from lakehouse.automation.execute import Executor
from lakehouse.aws.catalog import Catalog
from lakehouse.contract.tables import silver_table
from lakehouse.jobs.ledger import Ledger, LedgerEntry, RunRequest
from tests.automation import test_handlers
from tests.automation.test_handlers import JOB_R2S, KEY, alerts, did, job_runs, land
from tests.plugin import REPO

config = test_handlers.config  # the deployed environment with its alerts topic and dead-letter queue


def test_a_failed_job_start_clears_its_request_alerts_and_is_retried(config):
    """Point 1: a start that fails (here: the job is missing) used to leave the request, so every later
    event and the retry answered "already requested" and the dataset stalled with 0 runs."""
    settings = config.settings
    glue = aws.client("glue", settings)
    job = glue.get_job(JobName=JOB_R2S)["Job"]
    glue.delete_job(JobName=JOB_R2S)
    alerts(settings)
    events = [land(settings, KEY.replace("hour=10", f"hour=1{i}"), b"{}") for i in range(3)]
    for event in events:
        result = handlers.on_raw_object(event, None, config)
        assert (result["processed"], result["failed"]) == (0, 1)
        assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
        assert not RunRequest(settings, "clickstream", "raw_to_silver").pending()
    sent = [json.loads(m["Message"]) for m in alerts(settings)]
    assert [(a["job"], a["error"]) for a in sent] == [(JOB_R2S, "EntityNotFoundException")] * 3

    glue.create_job(Name=JOB_R2S, Role=job["Role"], Command=job["Command"])
    retried = handlers.on_raw_object(events[-1], None, config)  # SQS redelivers the failed message
    assert (retried["processed"], retried["failed"]) == (1, 0)
    assert ("run", "started", "raw_to_silver") in did(retried)
    assert len(job_runs(settings, JOB_R2S)) == 1


def test_a_request_left_by_a_start_that_never_happened_expires(config):
    """Point 1: a Lambda killed between writing the request and starting the job left it for ever."""
    settings = config.settings
    request = RunRequest(settings, "clickstream", "raw_to_silver")
    old = (datetime.now(UTC) - timedelta(minutes=16)).isoformat(timespec="seconds")
    request.storage.put_bytes(request.uri, json.dumps({"reason": "killed", "at": old}).encode())
    result = handlers.on_raw_object(land(settings, KEY, b"{}"), None, config)
    assert ("run", "started", "raw_to_silver") in did(result)
    assert len(job_runs(settings, JOB_R2S)) == 1
    again = handlers.on_raw_object(land(settings, KEY.replace("hour=10", "hour=11"), b"{}"), None, config)
    assert ("run", "already_requested", "raw_to_silver") in did(again)  # a fresh request still debounces
    assert len(job_runs(settings, JOB_R2S)) == 1


# point 7: purchase alerts ---------------------------------------------------------------------------


def purchases_file(n: int) -> bytes:
    return "\n".join(
        json.dumps(
            {
                "event_id": f"p{i}",
                "event_type": "purchase",
                "user_id": "u-secret",
                "event_timestamp": "2025-03-01T10:00:00Z",
                "metadata": {"order_id": f"ORD-{i:05d}", "amount": "19.99", "currency": "EUR"},
            }
        )
        for i in range(n)
    ).encode()


def test_a_large_batch_of_purchases_is_split_under_the_sns_limit(config):
    """2,500 purchases made one message over 256 KB: SNS refused it and the alert was lost."""
    settings = config.settings
    event = land(settings, KEY, purchases_file(2500))
    result = handlers.landed_alert(event, None, config)
    assert result["processed"] == 1
    sent = alerts(settings)
    assert len(sent) > 1 and all(len(m["Message"].encode()) < 256 * 1024 for m in sent)
    bodies = sorted((json.loads(m["Message"]) for m in sent), key=lambda b: b["part"])
    assert [b["part"] for b in bodies] == list(range(1, len(sent) + 1)) and {b["parts"] for b in bodies} == {
        len(sent)
    }
    ids = [p["order_id"] for b in bodies for p in b["purchases"]]
    assert ids == [f"ORD-{i:05d}" for i in range(2500)]  # every purchase once, in order
    assert sum(b["count"] for b in bodies) == 2500
    assert all("u-secret" not in m["Message"] for m in sent)


def test_a_landed_alert_that_fails_to_publish_is_sent_on_the_retry(config):
    """The object must be marked seen only once its alert is out, or the retry skips it."""
    settings = config.settings
    event = land(settings, KEY, purchases_file(3))
    broken = handlers.Config(
        settings=settings,
        contracts_uri=config.contracts_uri,
        alert_topic_arn=config.alert_topic_arn + "-gone",
        dlq_url=config.dlq_url,
        alert_dataset=config.alert_dataset,
    )
    with pytest.raises(Exception, match=r"NotFound|does not exist"):
        handlers.landed_alert(event, None, broken)
    assert alerts(settings) == []
    retried = handlers.landed_alert(event, None, config)
    assert (retried["processed"], retried["duplicates"]) == (1, 0)
    (msg,) = alerts(settings)
    assert json.loads(msg["Message"])["count"] == 3


# point 9: loose handlers ----------------------------------------------------------------------------


def test_one_failing_record_does_not_abort_the_rest_of_the_batch(config, monkeypatch):
    settings = config.settings
    keys = [KEY.replace("hour=10", f"hour=1{i}") for i in range(3)]
    records = [land(settings, k, b"{}")["Records"][0] for k in keys]
    real = Executor.register_partition

    def flaky(self, action):
        if action.values[-1] == "11":
            raise RuntimeError("catalog throttled")
        return real(self, action)

    monkeypatch.setattr(Executor, "register_partition", flaky)
    result = handlers.on_raw_object({"Records": records}, None, config)
    assert (result["processed"], result["failed"]) == (2, 1)
    assert result["batchItemFailures"] == [{"itemIdentifier": records[1]["messageId"]}]
    parts = Catalog(settings).get_partitions(settings.database("raw"), "clickstream")
    assert sorted(v[-1] for v, _ in parts) == ["10", "12"]
    monkeypatch.setattr(Executor, "register_partition", real)
    again = handlers.on_raw_object({"Records": records}, None, config)  # SQS redelivers; only it is new
    assert (again["processed"], again["duplicates"], again["failed"]) == (1, 2, 0)


def test_events_from_another_account_are_not_acted_on(config):
    settings = config.settings
    aws.client("s3", settings).put_object(Bucket=settings.bucket("raw"), Key=KEY, Body=b"{}")
    event = {
        "id": "forged-1",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "999999999999",
        "region": settings.region,
        "detail": {"bucket": {"name": settings.bucket("raw")}, "object": {"key": KEY, "etag": "x"}},
    }
    result = handlers.on_raw_object(event, None, config)
    assert (result["ignored"], result["processed"]) == (1, 0)
    assert Catalog(settings).get_partitions(settings.database("raw"), "clickstream") == []
    assert (
        handlers.on_raw_object(dict(event, account=config.account(), id="real-1"), None, config)["processed"]
        == 1
    )


def half_published(settings, run_id: str, extra: dict | None = None) -> tuple[str, list[str]]:
    """A raw_to_silver run that recorded its intent (two partitions) and switched only the first."""
    contract = handlers.project(
        handlers.Config(settings=settings, contracts_uri=str(REPO / "domains"))
    ).contracts["clickstream"]
    silver = silver_table(contract, settings)
    locations = [f"{silver.location}_runs/{run_id}/event_date=2025-03-0{d}/" for d in (1, 2)]
    entry = LedgerEntry(
        run_id=run_id,
        stage="raw_to_silver",
        dataset="clickstream",
        status="publishing",
        full=False,
        partitions={
            silver.qualified: {
                json.dumps([f"2025-03-0{d}"]): loc for d, loc in zip((1, 2), locations, strict=True)
            },
            **(extra or {}),
        },
    )
    Ledger(settings, "clickstream", "raw_to_silver").write(entry)
    Catalog(settings).register_partitions(silver, {("2025-03-01",): locations[0]})
    return silver.qualified, locations


def test_a_failed_job_completes_its_half_switched_publish(config):
    settings = config.settings
    table, locations = half_published(settings, "jr_half")
    result = handlers.on_job_state(
        test_handlers.glue_event(settings, JOB_R2S, "FAILED", "jr_half"), None, config
    )
    assert ("publish", "published", "raw_to_silver") in did(result)
    db, name = table.split(".")
    assert sorted(loc for _, loc in Catalog(settings).get_partitions(db, name)) == locations
    assert Ledger(settings, "clickstream", "raw_to_silver").entry("jr_half").status == "committed"
    assert [json.loads(m["Message"])["run_id"] for m in alerts(settings)] == ["jr_half"]  # still alerted


def test_an_intent_naming_a_removed_table_is_resolved_not_fatal(config):
    settings = config.settings
    gone = {f"{settings.database('silver')}.clickstream_v0": {json.dumps(["x"]): "s3://nowhere/"}}
    table, locations = half_published(settings, "jr_stale", gone)
    result = handlers.on_job_state(
        test_handlers.glue_event(settings, JOB_R2S, "SUCCEEDED", "jr_stale"), None, config
    )
    assert result["failed"] == 0 and ("publish", "published", "raw_to_silver") in did(result)
    entry = Ledger(settings, "clickstream", "raw_to_silver").entry("jr_stale")
    assert entry.status == "committed" and list(entry.partitions) == [table]
    db, name = table.split(".")
    assert sorted(loc for _, loc in Catalog(settings).get_partitions(db, name)) == locations
