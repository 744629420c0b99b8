"""The executor's job start with its clients passed in: S3 in the process (moto's mock_aws), Glue, SNS
and STS stubbed (botocore's Stubber). No endpoint, no Spark.

automation/test_handlers.py and automation/test_faults.py run the same paths on the local endpoint,
through the handlers; these pin each outcome of a start, fast.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from lakehouse.automation.actions import Outcome, RequestRun, StartIfRequested
from lakehouse.automation.execute import Config, Executor, handle, project
from lakehouse.aws.storage import Storage
from lakehouse.errors import StartFailed
from lakehouse.jobs.ledger import RunRequest
from lakehouse.settings import Settings
from tests.plugin import REPO

SETTINGS = Settings(project="lhunit", env="dev")  # no endpoint: moto answers in the process
JOB = SETTINGS.job_name("clickstream", "raw_to_silver")
TOPIC = "arn:aws:sns:us-east-1:123456789012:lhunit-dev-alerts"
REQUEST = RequestRun("clickstream", "raw_to_silver", "s3://lhunit-dev-raw/clickstream/a.json")


@pytest.fixture
def storage(monkeypatch):
    """A Storage on an in-process S3 holding the silver bucket (where run requests and markers live)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the endpoint fixture's, when the whole suite runs
    with mock_aws():
        s3 = boto3.client("s3", region_name=SETTINGS.region)
        s3.create_bucket(Bucket=SETTINGS.bucket("silver"))
        yield Storage(SETTINGS, s3=s3)


def stubbed(service: str) -> tuple[object, Stubber]:
    """A client whose every call is answered by its Stubber (nothing leaves the process)."""
    client = boto3.client(
        service, region_name=SETTINGS.region, aws_access_key_id="test", aws_secret_access_key="test"
    )
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


@pytest.fixture
def glue():
    client, stubber = stubbed("glue")
    yield client, stubber
    stubber.assert_no_pending_responses()


@pytest.fixture
def sns():
    client, stubber = stubbed("sns")
    yield client, stubber
    stubber.assert_no_pending_responses()


def executor(storage, glue, sns=None, topic: str | None = None) -> Executor:
    config = Config(settings=SETTINGS, contracts_uri="s3://unused/", alert_topic_arn=topic)
    return Executor(config, storage=storage, glue=glue[0], sns=sns[0] if sns else None)


def pending(storage) -> bool:
    return RunRequest(SETTINGS, "clickstream", "raw_to_silver", storage=storage).pending()


def test_a_request_starts_the_job_and_a_second_one_adds_nothing(storage, glue):
    glue[1].add_response("start_job_run", {"JobRunId": "jr_1"}, {"JobName": JOB})
    run = executor(storage, glue)
    assert run.one(REQUEST) == Outcome("run", "started", "clickstream", "raw_to_silver", "jr_1")
    assert pending(storage)  # the run clears it when it starts, not the executor
    # a later event finds the request: no second start (the stubber would refuse an unplanned call)
    assert run.one(REQUEST) == Outcome("run", "already_requested", "clickstream", "raw_to_silver")


def test_at_glues_concurrency_limit_the_request_stays(storage, glue):
    glue[1].add_client_error(
        "start_job_run", "ConcurrentRunsExceededException", "too many runs", expected_params={"JobName": JOB}
    )
    outcome = executor(storage, glue).one(REQUEST)
    assert outcome == Outcome("run", "running_request_kept", "clickstream", "raw_to_silver")
    assert pending(storage)  # the end of the running job starts the next run from it


def test_a_throttled_start_clears_the_request_alerts_and_raises(storage, glue, sns):
    glue[1].add_client_error("start_job_run", "ThrottlingException", "Rate exceeded")
    body = {
        "job": JOB,
        "dataset": "clickstream",
        "stage": "raw_to_silver",
        "error": "ThrottlingException",
        "request": "cleared; retried",
    }
    sns[1].add_response(
        "publish",
        {"MessageId": "m1"},
        {
            "TopicArn": TOPIC,
            "Subject": f"[lhunit dev] could not start Glue job {JOB}",
            "Message": json.dumps(body, indent=2),
        },
    )
    with pytest.raises(StartFailed, match=rf"^could not start {JOB}: ThrottlingException$"):
        executor(storage, glue, sns, TOPIC).one(REQUEST)
    assert not pending(storage)  # cleared: the retried record makes a new one and starts again


def test_without_a_topic_a_failed_start_is_only_logged(storage, glue, caplog):
    glue[1].add_client_error("start_job_run", "AccessDeniedException", "no")
    with pytest.raises(StartFailed, match="AccessDeniedException"):
        executor(storage, glue).one(REQUEST)  # no SNS client is made or called
    assert not pending(storage)
    assert "no LAKEHOUSE_ALERT_TOPIC_ARN: alert only logged" in caplog.text


def test_a_run_requested_meanwhile_is_started_and_none_is_not(storage, glue):
    again = StartIfRequested("clickstream", "raw_to_silver")
    run = executor(storage, glue)
    assert run.one(again) == Outcome("run", "none_requested", "clickstream", "raw_to_silver")
    RunRequest(SETTINGS, "clickstream", "raw_to_silver", storage=storage).make("late object")
    glue[1].add_response("start_job_run", {"JobRunId": "jr_2"}, {"JobName": JOB})
    assert run.one(again) == Outcome("run", "started", "clickstream", "raw_to_silver", "jr_2")


def test_a_record_whose_start_fails_is_retried_alone_and_not_marked_seen(storage, glue):
    glue[1].add_client_error("start_job_run", "ThrottlingException", "Rate exceeded")
    glue[1].add_response("start_job_run", {"JobRunId": "jr_3"}, {"JobName": JOB})
    event = {
        "Records": [
            {"eventSource": "aws:sqs", "messageId": m, "body": json.dumps({"delivery": d})}
            for m, d in (("m1", "d1"), ("m2", "d2"))
        ]
    }
    run = executor(storage, glue)

    def decide(record, config):
        return record["delivery"], [REQUEST]

    summary = handle("on_raw_object", event, run.config, decide, executor=run)
    assert (summary["processed"], summary["failed"]) == (1, 1)
    assert summary["batchItemFailures"] == [{"itemIdentifier": "m1"}]
    assert summary["actions"] == [Outcome("run", "started", "clickstream", "raw_to_silver", "jr_3").as_dict()]
    # the failed delivery is handled when redelivered; the handled one is a duplicate
    glue[1].add_response("start_job_run", {"JobRunId": "jr_4"}, {"JobName": JOB})
    RunRequest(SETTINGS, "clickstream", "raw_to_silver", storage=storage).clear()  # jr_3 started
    again = handle("on_raw_object", event, run.config, decide, executor=run)
    assert (again["processed"], again["duplicates"], again["failed"]) == (1, 1, 0)


def test_the_account_and_the_project_are_kept_on_the_configuration_not_the_process():
    sts, stubber = stubbed("sts")
    identity = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x", "UserId": "x"}
    stubber.add_response("get_caller_identity", identity)
    config = Config(settings=SETTINGS, contracts_uri=str(REPO / "domains"))
    assert config.account(sts) == "123456789012"
    assert config.account(sts) == "123456789012"  # asked once
    stubber.add_response("get_caller_identity", dict(identity, Account="210987654321"))
    fresh = Config(settings=SETTINGS, contracts_uri=str(REPO / "domains"))
    assert fresh.account(sts) == "210987654321"  # a new configuration asks again
    stubber.assert_no_pending_responses()
    assert Config(settings=SETTINGS, contracts_uri="x", account_id="111").account(sts) == "111"

    loaded = project(config)
    assert project(config) is loaded  # within the minute
    assert project(fresh) is not loaded and "clickstream" in project(fresh).contracts
    assert config == fresh  # the cache is not part of what a configuration is
