"""The local stand-in for Lambda and Glue: feeds the endpoint's own events to the handlers, runs the jobs.

The local endpoint delivers S3 notifications and EventBridge events to SQS, but runs no Lambda code
and no Glue script. The dispatcher closes the loop with the same code AWS runs:

1. read the raw-events queue (S3 notifications) and call on_raw_object and landed_alert with the
   messages, in the SQS event shape Lambda would pass;
2. read the glue-events queue (EventBridge) and call on_job_state / on_crawler_state;
3. execute every Glue job run the handlers started (the local runner runs the job script with the
   run's id) and put its "Glue Job State Change" event on EventBridge, whose rule routes it back to
   the glue-events queue;

until nothing is left to do. Job runs are held in STARTING on moto while they execute, so a second
start meets Glue's concurrent-run limit exactly as on AWS.
"""

from __future__ import annotations

import json
import traceback
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse import aws
from lakehouse.automation import handlers
from lakehouse.contract.domains import mount
from lakehouse.contract.registry import Job, Project
from lakehouse.jobs.result import StageResult
from lakehouse.local.resources import find_alerts_topic, find_queue_url, queue_arn
from lakehouse.settings import Settings


@dataclass
class Handled:
    handler: str
    event: str
    actions: list[dict[str, str]]  # structured outcomes (lakehouse.automation.actions.Outcome)
    malformed: int = 0


@dataclass
class DispatchReport:
    handled: list[Handled] = field(default_factory=list)
    runs: list[StageResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def hold_job_runs(endpoint_url: str) -> bool:
    """Ask moto to keep job runs in STARTING until read (manual progression); False on other endpoints."""
    body = json.dumps(
        {"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 1}}
    ).encode()
    req = urllib.request.Request(
        f"{endpoint_url}/moto-api/state-manager/set-transition", data=body, method="POST"
    )
    try:
        urllib.request.urlopen(req, timeout=5).read()
        return True
    except OSError:
        return False


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        glue_dir: Path = Path("glue/jobs"),
        on_event: Callable[[Handled], None] | None = None,
        *,
        sqs: Any = None,
        glue: Any = None,
    ):
        self.settings, self.glue_dir = settings, glue_dir
        mount(settings.domains)  # handlers and launched jobs import the domains' modules from here
        self.project = Project.load(settings.domains)
        # one configuration for the dispatcher's life: what it looks up (the project, for a minute) is
        # kept on it, as a warm Lambda container keeps its own
        self.config = handlers.Config(
            settings=settings,
            contracts_uri=settings.domains,
            alert_topic_arn=find_alerts_topic(settings),
            dlq_url=find_queue_url(settings, "automation-dlq"),
            alert_dataset=self.project.alert_dataset(),
        )
        self.sqs = sqs if sqs is not None else aws.client("sqs", settings)
        self.glue = glue if glue is not None else aws.client("glue", settings)
        self.queues = {q: find_queue_url(settings, q) for q in ("raw-events", "glue-events")}
        self.on_event = on_event or (lambda handled: None)
        self.executed: set[str] = set()
        if settings.endpoint_url:
            hold_job_runs(settings.endpoint_url)

    def _receive(self, queue: str) -> list[dict]:
        resp = self.sqs.receive_message(
            QueueUrl=self.queues[queue], MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        return resp.get("Messages", [])

    def _as_lambda_event(self, queue: str, messages: list[dict]) -> dict:
        arn = queue_arn(self.settings, self.queues[queue])
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self.settings.region,
                }
                for m in messages
            ]
        }

    def _call(self, report: DispatchReport, name: str, fn, event: dict, *, label: str) -> None:
        result = fn(event, None, self.config)
        if result["processed"] or result["malformed"] or result["duplicates"]:
            handled = Handled(name, label, result["actions"], result["malformed"])
            report.handled.append(handled)
            self.on_event(handled)

    def _drain(self, report: DispatchReport) -> bool:
        busy = False
        while messages := self._receive("raw-events"):
            busy = True
            event = self._as_lambda_event("raw-events", messages)
            label = f"s3:ObjectCreated x{len(messages)}"
            self._call(report, "on_raw_object", handlers.on_raw_object, event, label=label)
            self._call(report, "landed_alert", handlers.landed_alert, event, label=label)
            self.sqs.delete_message_batch(
                QueueUrl=self.queues["raw-events"],
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        while messages := self._receive("glue-events"):
            busy = True
            for m in messages:
                body = json.loads(m["Body"])
                kind = body.get("detail-type", "?")
                fn = handlers.on_crawler_state if "Crawler" in kind else handlers.on_job_state
                detail = body.get("detail", {})
                label = f"{kind}: {detail.get('jobName') or detail.get('crawlerName')} {detail.get('state')}"
                self._call(report, fn.__name__, fn, self._as_lambda_event("glue-events", [m]), label=label)
            self.sqs.delete_message_batch(
                QueueUrl=self.queues["glue-events"],
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return busy

    def _pending_runs(self) -> list[tuple[str, Job, dict]]:
        """(job name, job, run) for job runs started but not executed yet."""
        out = []
        for spec in self.project.jobs():
            job = self.settings.job_name(spec.name, spec.stage)
            try:
                runs = self.glue.get_job_runs(JobName=job)["JobRuns"]
            except self.glue.exceptions.EntityNotFoundException:
                continue
            # the endpoint's run state is the record: a run we executed was moved past RUNNING
            out += [
                (job, spec, r)
                for r in runs
                if r.get("JobRunState") in ("STARTING", "RUNNING") and r["Id"] not in self.executed
            ]
        return sorted(out, key=lambda x: x[2].get("StartedOn", 0))

    def _execute(self, report: DispatchReport, job: str, spec: Job, run: dict) -> None:
        from lakehouse.local.launcher import run_defined

        self.executed.add(run["Id"])
        try:  # as Glue would: the job's definition (script, arguments) from the endpoint, with the run's
            result = run_defined(self.settings, job, run, self.glue_dir)
            report.runs.append(result)
            state, message = "SUCCEEDED", ""
        except Exception as exc:  # a failed job run: Glue reports it as FAILED with the error message
            state, message = "FAILED", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            report.failures.append(f"{job} {run['Id']}: {message}")
            traceback.print_exc()
        for _ in range(2):  # let moto move the run past STARTING/RUNNING so the next start is allowed
            self.glue.get_job_run(JobName=job, RunId=run["Id"])
        aws.client("events", self.settings).put_events(
            Entries=[
                {
                    "Source": "aws.glue",
                    "DetailType": "Glue Job State Change",
                    "Detail": json.dumps(
                        {
                            "jobName": job,
                            "severity": "INFO" if state == "SUCCEEDED" else "ERROR",
                            "state": state,
                            "jobRunId": run["Id"],
                            "message": message,
                        }
                    ),
                }
            ]
        )

    def run_until_idle(self, max_rounds: int = 100) -> DispatchReport:
        report = DispatchReport()
        for _ in range(max_rounds):
            busy = self._drain(report)
            pending = self._pending_runs()
            for job, spec, run in pending:
                self._execute(report, job, spec, run)
            if not busy and not pending:
                return report
        raise RuntimeError(f"the local automation did not settle within {max_rounds} rounds")
