"""A file lands in the raw bucket; only the endpoint's own events, fed to the handlers, take it to gold."""

from __future__ import annotations

import json

import pytest

from lakehouse import aws
from lakehouse.aws.catalog import Catalog
from lakehouse.engine.local import LocalEngine
from lakehouse.local.dispatcher import Dispatcher
from tests.plugin import REPO
from tests.support import wiring

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def test_landed_file_reaches_gold_through_the_handlers(deployed, spark):
    settings = deployed
    events = [
        {
            "event_id": f"a{i}",
            "user_id": "u1",
            "session_id": "s1",
            "event_type": "page_view",
            "event_timestamp": f"2025-04-0{1 + i % 2}T10:00:00Z",
            "device_type": "mobile",
            "page_url": "https://shop.example.com/",
            "metadata": {},
        }
        for i in range(19)
    ]
    body = "\n".join(json.dumps(e) for e in events) + "\n{broken\n"  # 1 of 20: the 5% limit, not beyond
    aws.client("s3", settings).put_object(
        Bucket=settings.bucket("raw"),
        Body=body.encode(),
        Key="clickstream/year=2025/month=04/day=01/hour=10/landed.json",
    )
    seen = []
    report = Dispatcher(settings, REPO / "glue" / "jobs", on_event=seen.append).run_until_idle()

    assert [(h.handler, h.event.split(":")[0]) for h in seen if h.handler != "landed_alert"] == [
        ("on_raw_object", "s3"),
        *[("on_job_state", "Glue Job State Change")] * 4,
    ]
    runs = [(r.dataset, r.stage, r.rows_read, r.rows_written, r.rows_quarantined) for r in report.runs]
    assert runs[0] == ("clickstream", "raw_to_silver", 20, 19, 1)
    assert sorted(runs[1:]) == [  # requested by the silver run (both at once), then by the gold build
        ("calendar", "build_model", 0, 0, 0),  # dim_date's one owner
        ("clickstream", "silver_to_gold", 19, 19, 0),
        ("customer_features", "build_model", 1, 1, 0),  # clickstream feeds it too: one customer, u1
    ]
    assert report.failures == []
    gold = Catalog(settings).get_partitions(settings.database("gold"), "fact_clicks")
    assert [values for values, _ in gold] == [("2025-04-01",), ("2025-04-02",)]
    engine = LocalEngine(settings)
    assert engine.query("SELECT event_date, count(*) FROM fact_clicks GROUP BY 1 ORDER BY 1").rows == [
        (__import__("datetime").date(2025, 4, 1), 10),
        (__import__("datetime").date(2025, 4, 2), 9),
    ]
    engine.close()
    assert Dispatcher(settings, REPO / "glue" / "jobs").run_until_idle().handled == []  # nothing left
    assert (
        aws.client("sqs", settings)
        .receive_message(QueueUrl=wiring.find_queue_url(settings, "automation-dlq"))
        .get("Messages")
        is None
    )


def test_a_failing_job_run_is_reported_through_sns(deployed, spark, monkeypatch):
    settings = deployed
    monkeypatch.setenv("LAKEHOUSE_FAILPOINT", "")
    aws.client("s3", settings).put_object(
        Bucket=settings.bucket("raw"),
        Body=b'{"event_id": "x"}\n',
        Key="clickstream/year=2025/month=04/day=01/hour=10/one.json",
    )
    import lakehouse.jobs.stages as stages

    def explode(ctx):
        raise stages.ReconciliationError("rows do not add up (injected)")

    stage = stages.STAGES["raw_to_silver"]
    monkeypatch.setitem(stages.STAGES, "raw_to_silver", stages.Stage(explode, stage.specs))
    report = Dispatcher(settings, REPO / "glue" / "jobs").run_until_idle()
    assert len(report.failures) == 1 and "ReconciliationError" in report.failures[0]
    inbox = aws.client("sqs", settings).receive_message(
        QueueUrl=wiring.find_queue_url(settings, "alerts-inbox"), MaxNumberOfMessages=10
    )["Messages"]
    (alert,) = [json.loads(m["Body"]) for m in inbox if "Glue job" in json.loads(m["Body"])["Subject"]]
    body = json.loads(alert["Message"])
    assert body["state"] == "FAILED" and body["job"] == settings.job_name("clickstream", "raw_to_silver")
    assert body["run_id"].startswith("jr_") and "rows do not add up (injected)" in body["error"]
