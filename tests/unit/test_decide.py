"""Handler decisions as pure functions: no endpoint, no Spark, no AWS call (lakehouse.automation.decide)."""

from __future__ import annotations

import json

import pytest
from lakehouse_domains.clickstream.alerts import records_in as purchases_in
from lakehouse_domains.clickstream.alerts import summarize, totals

from lakehouse.automation import decide
from lakehouse.automation.actions import (
    Alert,
    PublishRun,
    RegisterPartition,
    RequestRun,
    StartCrawler,
    StartIfRequested,
)
from lakehouse.automation.events import GlueStateChange, ObjectCreated
from lakehouse.contract.registry import Project
from lakehouse.settings import Settings
from tests.plugin import REPO

S = Settings(project="lhtest", env="local")
PROJECT = Project.load(REPO / "domains")
RAW = S.bucket("raw")


def obj(key: str, bucket: str = RAW) -> ObjectCreated:
    return ObjectCreated(bucket, key, "etag", f"{bucket}/{key}/1")


def job(name: str, state: str, run_id: str = "jr_1") -> GlueStateChange:
    return GlueStateChange(
        "job", name, state, run_id, "boom" if state == "FAILED" else "", "e-1", "eu-west-1"
    )


def test_a_raw_object_registers_its_partition_and_requests_raw_to_silver():
    key = "clickstream/year=2025/month=03/day=01/hour=10/a.json"
    assert decide.on_raw_object(obj(key), PROJECT, S) == [
        RegisterPartition("clickstream", ("2025", "03", "01", "10")),
        RequestRun("clickstream", "raw_to_silver", f"s3://{RAW}/{key}"),
    ]


def test_a_crawled_dataset_starts_its_crawler_instead():
    import dataclasses

    crawled = dataclasses.replace(PROJECT.contracts["clickstream"], crawl=True)
    project = Project({**PROJECT.contracts, "clickstream": crawled}, PROJECT.models)
    actions = decide.on_raw_object(obj("clickstream/year=2025/month=03/day=01/hour=10/a.json"), project, S)
    assert actions[1] == StartCrawler("clickstream")


@pytest.mark.parametrize(
    ("key", "bucket"),
    [
        ("invoices/year=2025/x.json", RAW),  # no such dataset
        ("clickstream/no-partitions.json", RAW),  # outside the raw layout
        ("clickstream/year=2025/month=03/day=01/hour=10/a.json", "someone-elses-bucket"),
    ],
)
def test_objects_that_are_not_ours_are_ignored(key, bucket):
    with pytest.raises(decide.Ignored):
        decide.on_raw_object(obj(key, bucket), PROJECT, S)


def test_a_succeeded_source_of_a_model_publishes_then_requests_the_model():
    actions = decide.on_job_state(job(S.job_name("sales_orders", "raw_to_silver"), "SUCCEEDED"), PROJECT, S)
    assert actions == [
        PublishRun("sales_orders", "raw_to_silver", "jr_1"),
        RequestRun("sales", "build_model", "lhtest-local-sales_orders-raw_to_silver succeeded"),
        StartIfRequested("sales_orders", "raw_to_silver"),
    ]


def test_gold_that_keys_into_the_calendar_requests_its_one_owner():
    s2g = decide.on_job_state(job(S.job_name("clickstream", "silver_to_gold"), "SUCCEEDED"), PROJECT, S)
    model = decide.on_job_state(job(S.job_name("sales", "build_model"), "SUCCEEDED"), PROJECT, S)
    for actions in (s2g, model):
        assert [a for a in actions if isinstance(a, RequestRun)] == [
            RequestRun("calendar", "build_model", a.reason) for a in actions if isinstance(a, RequestRun)
        ]
        assert any(isinstance(a, RequestRun) and a.dataset == "calendar" for a in actions)
    calendar = decide.on_job_state(job(S.job_name("calendar", "build_model"), "SUCCEEDED"), PROJECT, S)
    assert not any(isinstance(a, RequestRun) for a in calendar)  # the owner requests nothing after itself


def test_a_failed_job_alerts_with_a_console_link_and_starts_a_run_requested_meanwhile():
    name = S.job_name("clickstream", "raw_to_silver")
    publish, alert, start = decide.on_job_state(job(name, "FAILED", "jr_9"), PROJECT, S)
    assert publish == PublishRun("clickstream", "raw_to_silver", "jr_9")  # a half-switched publish completes
    assert isinstance(alert, Alert) and alert.subject == f"[lhtest local] Glue job {name} FAILED"
    body = dict(alert.body)
    assert (body["run_id"], body["error"], body["stage"]) == ("jr_9", "boom", "raw_to_silver")
    assert body["console"].startswith("https://eu-west-1.console.aws.amazon.com/")
    assert start == StartIfRequested("clickstream", "raw_to_silver")


def test_unknown_jobs_and_crawlers_are_ignored_and_running_states_do_nothing():
    with pytest.raises(decide.Ignored):
        decide.on_job_state(job("someone-elses-job", "FAILED"), PROJECT, S)
    assert decide.on_job_state(job(S.job_name("clickstream", "raw_to_silver"), "RUNNING"), PROJECT, S) == []
    crawler = GlueStateChange("crawler", "other", "Succeeded", "", "", "e", "")
    with pytest.raises(decide.Ignored):
        decide.on_crawler_state(crawler, PROJECT, S)


def test_purchases_are_summed_per_currency_never_across():
    def buy(order: str, amount: str, currency: str | None = None) -> str:
        meta = {"order_id": order, "amount": amount} | ({"currency": currency} if currency else {})
        return json.dumps(
            {"event_type": "purchase", "event_id": order, "user_id": "secret", "metadata": meta}
        )

    text = "\n".join(
        [
            buy("1", "10.5", "USD"),
            buy("2", "4", "EUR"),
            buy("3", "1", "USD"),
            buy("4", "x"),
            '{"event_type": "page_view", "event_id": "e"}',
            "not json",
        ]
    )
    found = purchases_in(text)
    assert [p["order_id"] for p in found] == ["1", "2", "3", "4"]
    assert totals(found) == {"EUR": "4.00", "USD": "11.50"}
    message = summarize("clickstream", ["s3://b/k"], found)
    assert message["count"] == 4 and "secret" not in str(message)


@pytest.mark.parametrize(
    "key",
    [
        "clickstream/year=2025/month=99/day=01/hour=10/a.json",  # month out of range
        "clickstream/year=2025/month=03/day=01/hour=ab/a.json",  # not a number
        "clickstream/year=" + "9" * 900 + "/month=03/day=01/hour=10/a.json",  # a 900-digit year
        "clickstream/year=\uff12\uff10\uff12\uff15/month=03/day=01/hour=10/a.json",  # full-width digits
        "clickstream/year=2025/month=02/day=30/hour=10/a.json",  # no such date
        "clickstream/xyear=2025/month=03/day=01/hour=10/a.json",  # unanchored: `year=` inside a name
        "clickstream/other/year=2025/month=03/day=01/hour=10/a.json",  # not right after the dataset
        "clickstream/year=2025/month=3/day=01/hour=10/a.json",  # not zero-padded as ingest writes
        "clickstream/year=2025/month=03/day=01/hour=10/",  # a folder marker, not a file
    ],
)
def test_partition_values_from_keys_are_anchored_and_range_checked(key):
    """Issue 15, point 9: an unanchored regex registered partitions from any of these keys."""
    with pytest.raises(decide.Ignored):
        decide.on_raw_object(obj(key), PROJECT, S)


def test_events_from_another_source_region_or_account_are_foreign():
    from lakehouse.automation.events import foreign

    mine = ObjectCreated(RAW, "k", "e", "d", "us-east-1", "111122223333", "aws.s3")
    assert foreign(mine, "s3", "us-east-1", "111122223333") is None
    assert "another account" in (foreign(mine, "s3", "us-east-1", "444455556666") or "")
    assert "region" in (foreign(mine, "s3", "eu-west-1", "111122223333") or "")
    forged = ObjectCreated(RAW, "k", "e", "d", "us-east-1", "111122223333", "my.app")
    assert "source" in (foreign(forged, "s3", "us-east-1", "111122223333") or "")
    glue = GlueStateChange("job", "j", "FAILED", "jr_1", "", "e", "us-east-1", "444455556666", "aws.glue")
    assert "another account" in (foreign(glue, "glue", "us-east-1", "111122223333") or "")
