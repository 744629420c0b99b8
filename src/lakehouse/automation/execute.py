"""The one executor of handler decisions: configuration, idempotency, the AWS calls, dead letters, alerts.

Every handler: reads its configuration from the environment (the names Terraform sets), processes
each record of a batch on its own (a malformed one goes to the dead-letter queue and is counted; the
rest go on), is idempotent on duplicate delivery (a marker per delivery id, written after the
actions ran), and logs one JSON line per record with its structured outcomes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse import aws
from lakehouse.automation.actions import (
    Action,
    Alert,
    Outcome,
    PublishRun,
    RegisterPartition,
    RequestRun,
    StartCrawler,
    StartIfRequested,
)
from lakehouse.automation.events import sourced
from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.registry import BUILD_MODEL, Project
from lakehouse.contract.tables import model_tables, raw_table, tables_for
from lakehouse.errors import Ignored, MalformedEvent, StartFailed
from lakehouse.jobs.ledger import Ledger, RunRequest, complete
from lakehouse.settings import Settings

log = logging.getLogger("lakehouse.automation")


@dataclass(frozen=True)
class Config:
    """What a handler needs, from the environment variables Terraform sets on every function."""

    settings: Settings
    # LAKEHOUSE_CONTRACTS_URI: s3://<artifacts>/domains/ (or local folders of domains)
    contracts_uri: str | tuple[Path, ...]
    alert_topic_arn: str | None  # LAKEHOUSE_ALERT_TOPIC_ARN
    dlq_url: str | None  # LAKEHOUSE_DLQ_URL
    alert_dataset: str | None = (
        None  # LAKEHOUSE_ALERT_DATASET: whose landed files its domain's alerts.py reads
    )
    account_id: str | None = None  # LAKEHOUSE_ACCOUNT_ID: events from other accounts are ignored

    def account(self) -> str | None:
        """The account whose events these are: LAKEHOUSE_ACCOUNT_ID, else asked of STS once."""
        if self.account_id:
            return self.account_id
        key = f"{self.settings.endpoint_url}|{self.settings.region}"
        if key not in _ACCOUNTS:
            _ACCOUNTS[key] = aws.client("sts", self.settings).get_caller_identity()["Account"]
        return _ACCOUNTS[key]

    @classmethod
    def from_env(cls) -> Config:
        settings = Settings.from_env(os.environ.get("LAKEHOUSE_ENV"))
        return cls(
            settings,
            os.environ.get("LAKEHOUSE_CONTRACTS_URI", f"s3://{settings.bucket('artifacts')}/domains/"),
            os.environ.get("LAKEHOUSE_ALERT_TOPIC_ARN"),
            os.environ.get("LAKEHOUSE_DLQ_URL"),
            os.environ.get("LAKEHOUSE_ALERT_DATASET") or None,
            os.environ.get("LAKEHOUSE_ACCOUNT_ID") or None,
        )


_ACCOUNTS: dict[str, str] = {}


_PROJECTS: dict[str | tuple[Path, ...], tuple[float, Project]] = {}
PROJECT_TTL_S = 60.0  # a warm function sees a new contract within a minute


def project(config: Config) -> Project:
    """The deployment's contracts and models (lakehouse.contract.registry's one loader), cached for a minute."""
    cached = _PROJECTS.get(config.contracts_uri)
    if cached and time.monotonic() - cached[0] < PROJECT_TTL_S:
        return cached[1]
    found = Project.load(config.contracts_uri, config.settings)
    _PROJECTS[config.contracts_uri] = (time.monotonic(), found)
    return found


@dataclass
class Summary:
    handler: str
    processed: int = 0
    duplicates: int = 0
    ignored: int = 0
    malformed: int = 0
    failed: int = 0  # records whose handling raised: not marked seen, their SQS messages redelivered
    actions: list[dict[str, str]] = field(default_factory=list)  # Outcome.as_dict() of every action
    batchItemFailures: list[dict[str, str]] = field(default_factory=list)  # the SQS reply

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def log_json(level: int, handler: str, message: str, **fields: Any) -> None:
    log.log(
        level, json.dumps({"handler": handler, "message": message, **fields}, default=str, sort_keys=True)
    )


class Seen:
    """Idempotency on duplicate delivery: a marker object per handled delivery id."""

    def __init__(self, config: Config, handler: str):
        self.storage = Storage(config.settings)
        self.prefix = f"s3://{config.settings.bucket('silver')}/_automation/{handler}/"

    def _uri(self, delivery_id: str) -> str:
        return self.prefix + hashlib.sha256(delivery_id.encode()).hexdigest()

    def __contains__(self, delivery_id: str) -> bool:
        return self.storage.head(self._uri(delivery_id)) is not None

    def add(self, delivery_id: str) -> None:
        self.storage.put_bytes(self._uri(delivery_id), delivery_id.encode(), "text/plain")


class Executor:
    """Carries out actions against AWS and reports their outcomes."""

    def __init__(self, config: Config):
        self.config, self.settings = config, config.settings

    def run(self, actions: Iterable[Action]) -> list[Outcome]:
        return [self.one(a) for a in actions]

    def one(self, action: Action) -> Outcome:
        if isinstance(action, RegisterPartition):
            return self.register_partition(action)
        if isinstance(action, StartCrawler):
            return self.start_crawler(action)
        if isinstance(action, RequestRun):
            return self.request_run(action)
        if isinstance(action, StartIfRequested):
            if not RunRequest(self.settings, action.dataset, action.stage).pending():
                return Outcome("run", "none_requested", action.dataset, action.stage)
            return self.start_job(action.dataset, action.stage)
        if isinstance(action, PublishRun):
            return self.publish_run(action)
        return self.alert(action)

    def register_partition(self, action: RegisterPartition) -> Outcome:
        contract = project(self.config).contracts[action.dataset]
        spec = raw_table(contract, self.settings)
        location = spec.location + "/".join(
            f"{k}={v}" for k, v in zip(contract.raw_partitions, action.values, strict=True)
        )
        counts = Catalog(self.settings).register_partitions(spec, {action.values: location + "/"})
        status = "registered" if counts["created"] else "known"
        return Outcome("partition", status, action.dataset, "", "/".join(action.values))

    def start_crawler(self, action: StartCrawler) -> Outcome:
        glue = aws.client("glue", self.settings)
        try:
            glue.start_crawler(Name=self.settings.crawler_name(action.dataset))
            return Outcome("crawler", "started", action.dataset)
        except glue.exceptions.CrawlerRunningException:
            return Outcome("crawler", "already_running", action.dataset)

    def request_run(self, action: RequestRun) -> Outcome:
        if not RunRequest(self.settings, action.dataset, action.stage).make(action.reason):
            return Outcome("run", "already_requested", action.dataset, action.stage)
        return self.start_job(action.dataset, action.stage)

    def start_job(self, dataset: str, stage: str) -> Outcome:
        """Start the job. At the concurrency limit the request stays (the end of the running job starts
        the next run); any other failure (throttling, access denied, a missing job) clears the request,
        alerts, and raises StartFailed so the record is retried, never left as "already requested"."""
        glue, job = aws.client("glue", self.settings), self.settings.job_name(dataset, stage)
        try:
            run_id = glue.start_job_run(JobName=job)["JobRunId"]
            return Outcome("run", "started", dataset, stage, run_id)
        except glue.exceptions.ConcurrentRunsExceededException:
            return Outcome("run", "running_request_kept", dataset, stage)
        except (ClientError, BotoCoreError) as exc:
            RunRequest(self.settings, dataset, stage).clear()
            code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
            send_alert(
                self.config,
                f"[{self.settings.project} {self.settings.env}] could not start Glue job {job}",
                {
                    "job": job,
                    "dataset": dataset,
                    "stage": stage,
                    "error": code,
                    "request": "cleared; retried",
                },
            )
            raise StartFailed(f"could not start {job}: {code}") from exc

    def publish_run(self, action: PublishRun) -> Outcome:
        """Make sure a succeeded run's partitions are in the catalog (completing its publish if it died)."""
        ledger = Ledger(self.settings, action.dataset, action.stage)
        entry = next((e for e in ledger.entries() if e.run_id == action.run_id), None)
        if entry is None:
            return Outcome("publish", "nothing_new", action.dataset, action.stage, action.run_id)
        stale: list[str] = []
        if (
            entry.status != "committed"
        ):  # the run died before its commit (or, FAILED, mid-publish): complete it
            proj = project(self.config)
            model, contract = proj.models.get(action.dataset), proj.contracts.get(action.dataset)
            if action.stage == BUILD_MODEL:
                specs = model_tables(model, self.settings) if model else ()
            else:
                specs = tables_for(contract, self.settings) if contract else ()
            stale = complete(ledger, Catalog(self.settings), {s.qualified: s for s in specs}, entry)
        parts = sum(len(p) for p in entry.partitions.values())
        detail = f"{action.run_id}: {parts} partitions" + (
            f"; {len(stale)} removed tables skipped" if stale else ""
        )
        return Outcome("publish", "published", action.dataset, action.stage, detail)

    def alert(self, action: Alert) -> Outcome:
        send_alert(self.config, action.subject, dict(action.body))
        return Outcome(
            "alert", "sent" if self.config.alert_topic_arn else "logged_only", detail=action.subject
        )


def send_alert(config: Config, subject: str, message: dict[str, Any]) -> None:
    """One SNS message: a short subject and a JSON body."""
    if not config.alert_topic_arn:
        log_json(logging.WARNING, "alert", "no LAKEHOUSE_ALERT_TOPIC_ARN: alert only logged", subject=subject)
        return
    aws.client("sns", config.settings).publish(
        TopicArn=config.alert_topic_arn,
        Subject=subject[:100],
        Message=json.dumps(message, default=str, indent=2),
    )


def dead_letter(config: Config, summary: Summary, record: object, error: Exception) -> None:
    summary.malformed += 1
    log_json(
        logging.ERROR, summary.handler, "malformed event sent to the dead-letter queue", error=str(error)
    )
    if config.dlq_url:
        body = json.dumps({"handler": summary.handler, "error": str(error), "record": record}, default=str)
        aws.client("sqs", config.settings).send_message(QueueUrl=config.dlq_url, MessageBody=body[:250_000])


# (record, config) -> (delivery id, actions)
Decision = Callable[[dict[str, Any], Config], tuple[str, list[Action]]]


def handle(handler: str, event: dict[str, Any], config: Config | None, decide: Decision) -> dict[str, Any]:
    """Decide and execute per record; duplicates skipped, malformed records dead-lettered, the rest go on.

    Each record is isolated: an unexpected error in one is logged, counted in `failed`, and its SQS
    message reported in `batchItemFailures` (redelivered alone; it is not marked seen), and the rest
    of the batch goes on."""
    config = config or Config.from_env()
    summary, executor, seen = Summary(handler), Executor(config), Seen(config, handler)
    for message_id, record in sourced(event):
        try:
            if not isinstance(record, dict) or "_unreadable" in record:
                raise MalformedEvent("not JSON")
            delivery_id, actions = decide(record, config)
        except MalformedEvent as exc:
            dead_letter(config, summary, record, exc)
            continue
        except Ignored as why:
            summary.ignored += 1
            log_json(logging.INFO, handler, f"{why}: ignored")
            continue
        except Exception as exc:  # one bad record never aborts the batch
            failed(summary, message_id, exc)
            continue
        if delivery_id in seen:
            summary.duplicates += 1
            log_json(logging.INFO, handler, "duplicate delivery: skipped", delivery=delivery_id)
            continue
        try:
            outcomes = [o.as_dict() for o in executor.run(actions)]
        except Exception as exc:
            failed(summary, message_id, exc)
            continue
        seen.add(delivery_id)
        summary.processed += 1
        summary.actions.extend(outcomes)
        log_json(logging.INFO, handler, "handled", outcomes=outcomes)
    log_json(logging.INFO, handler, "done", **{k: v for k, v in summary.as_dict().items() if k != "handler"})
    return summary.as_dict()


def failed(summary: Summary, message_id: str, exc: Exception) -> None:
    """A record whose handling raised: counted, logged (the error type and message, no record), retried."""
    summary.failed += 1
    if message_id and {"itemIdentifier": message_id} not in summary.batchItemFailures:
        summary.batchItemFailures.append({"itemIdentifier": message_id})
    log_json(
        logging.ERROR, summary.handler, "record failed: retried", error=f"{type(exc).__name__}: {exc}"[:500]
    )
