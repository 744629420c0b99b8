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
from lakehouse.jobs.ledger import RunRequest
from tests.automation import test_handlers
from tests.automation.test_handlers import JOB_R2S, KEY, alerts, did, job_runs, land

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
    result = handlers.purchase_alert(event, None, config)
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


def test_a_purchase_alert_that_fails_to_publish_is_sent_on_the_retry(config):
    """The object must be marked seen only once its alert is out, or the retry skips it."""
    settings = config.settings
    event = land(settings, KEY, purchases_file(3))
    broken = handlers.Config(settings, config.contracts_uri, config.alert_topic_arn + "-gone", config.dlq_url)
    with pytest.raises(Exception, match=r"NotFound|does not exist"):
        handlers.purchase_alert(event, None, broken)
    assert alerts(settings) == []
    retried = handlers.purchase_alert(event, None, config)
    assert (retried["processed"], retried["duplicates"]) == (1, 0)
    (msg,) = alerts(settings)
    assert json.loads(msg["Message"])["count"] == 3
