"""The one executor of handler decisions: configuration, idempotency, the AWS calls, dead letters, alerts.

Every handler: reads its configuration from the environment (the names Terraform sets), processes
each record of a batch on its own (a malformed one goes to the dead-letter queue and is counted; the
rest go on), is idempotent on duplicate delivery (a marker per delivery id, written after the
actions ran), and logs one JSON line per record with its structured outcomes.

What a configuration has looked up (the project, for a minute; the account; ledger entries) is kept
on it (`Config.cache`): a process that keeps its Config (a warm Lambda container, the local
dispatcher) asks once, and a new Config starts afresh. The executor, the idempotency markers and the
alerts take their AWS clients from their caller, by default the environment's.
"""

from __future__ import annotations

import hashlib
import json
import logging
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
from lakehouse.jobs.ledger import EntryCache, Ledger, RunRequest, complete
from lakehouse.settings import Settings, env_str

log = logging.getLogger("lakehouse.automation")


PROJECT_TTL_S = 60.0  # a warm function sees a new contract within a minute


class ConfigCache:
    """What a handler configuration has looked up, kept as long as the Config is: the deployment's
    project (for PROJECT_TTL_S), the account id (asked of STS once) and the ledger entries read."""

    def __init__(self) -> None:
        self.project: tuple[float, Project] | None = None  # (when loaded, the project)
        self.account: str | None = None
        self.entries = EntryCache()


@dataclass(frozen=True, kw_only=True)
class Config:
    """What a handler needs, from the environment variables Terraform sets on every function."""

    settings: Settings
    # LAKEHOUSE_CONTRACTS_URI: s3://<artifacts>/domains/ (or local folders of domains)
    contracts_uri: str | tuple[Path, ...]
    alert_topic_arn: str | None = None  # LAKEHOUSE_ALERT_TOPIC_ARN
    dlq_url: str | None = None  # LAKEHOUSE_DLQ_URL
    alert_dataset: str | None = (
        None  # LAKEHOUSE_ALERT_DATASET: whose landed files its domain's alerts.py reads
    )
    account_id: str | None = None  # LAKEHOUSE_ACCOUNT_ID: events from other accounts are ignored
    cache: ConfigCache = field(default_factory=ConfigCache, compare=False, repr=False)

    def account(self, sts: Any = None) -> str | None:
        """The account whose events these are: LAKEHOUSE_ACCOUNT_ID, else asked of STS once (`sts`: the
        client to ask, by default the environment's)."""
        if self.account_id:
            return self.account_id
        if self.cache.account is None:
            sts = sts if sts is not None else aws.client("sts", self.settings)
            self.cache.account = sts.get_caller_identity()["Account"]
        return self.cache.account

    @classmethod
    def from_env(cls) -> Config:
        settings = Settings.from_env()
        return cls(
            settings=settings,
            contracts_uri=env_str("LAKEHOUSE_CONTRACTS_URI")
            or f"s3://{settings.bucket('artifacts')}/domains/",
            alert_topic_arn=env_str("LAKEHOUSE_ALERT_TOPIC_ARN") or None,
            dlq_url=env_str("LAKEHOUSE_DLQ_URL") or None,
            alert_dataset=env_str("LAKEHOUSE_ALERT_DATASET") or None,
            account_id=env_str("LAKEHOUSE_ACCOUNT_ID") or None,
        )


def project(config: Config) -> Project:
    """The deployment's contracts and models (lakehouse.contract.registry's one loader), kept on the
    configuration for a minute."""
    cached = config.cache.project
    if cached and time.monotonic() - cached[0] < PROJECT_TTL_S:
        return cached[1]
    found = Project.load(config.contracts_uri, config.settings)
    config.cache.project = (time.monotonic(), found)
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

    def __init__(self, config: Config, handler: str, *, storage: Storage | None = None):
        self.storage = storage or Storage(config.settings)
        self.prefix = f"s3://{config.settings.bucket('silver')}/_automation/{handler}/"

    def _uri(self, delivery_id: str) -> str:
        return self.prefix + hashlib.sha256(delivery_id.encode()).hexdigest()

    def __contains__(self, delivery_id: str) -> bool:
        return self.storage.head(self._uri(delivery_id)) is not None

    def add(self, delivery_id: str) -> None:
        self.storage.put_bytes(self._uri(delivery_id), delivery_id.encode(), "text/plain")


class Executor:
    """Carries out actions against AWS and reports their outcomes.

    Its clients (S3 through `storage`, the Glue catalog through `catalog`, Glue's job and crawler API
    through `glue`, SNS for alerts through `sns`) are the caller's when given, else the environment's,
    each made when first used (SNS only when there is a topic to send to)."""

    def __init__(
        self,
        config: Config,
        *,
        storage: Storage | None = None,
        catalog: Catalog | None = None,
        glue: Any = None,
        sns: Any = None,
    ):
        self.config, self.settings = config, config.settings
        self._storage, self._catalog, self._glue, self._sns = storage, catalog, glue, sns

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = Storage(self.settings)
        return self._storage

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(self.settings)
        return self._catalog

    @property
    def glue(self) -> Any:
        if self._glue is None:
            self._glue = aws.client("glue", self.settings)
        return self._glue

    def request(self, dataset: str, stage: str) -> RunRequest:
        return RunRequest(self.settings, dataset, stage, storage=self.storage)

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
            if not self.request(action.dataset, action.stage).pending():
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
        counts = self.catalog.register_partitions(spec, {action.values: location + "/"})
        status = "registered" if counts["created"] else "known"
        return Outcome("partition", status, action.dataset, "", "/".join(action.values))

    def start_crawler(self, action: StartCrawler) -> Outcome:
        glue = self.glue
        try:
            glue.start_crawler(Name=self.settings.crawler_name(action.dataset))
            return Outcome("crawler", "started", action.dataset)
        except glue.exceptions.CrawlerRunningException:
            return Outcome("crawler", "already_running", action.dataset)

    def request_run(self, action: RequestRun) -> Outcome:
        if not self.request(action.dataset, action.stage).make(action.reason):
            return Outcome("run", "already_requested", action.dataset, action.stage)
        return self.start_job(action.dataset, action.stage)

    def start_job(self, dataset: str, stage: str) -> Outcome:
        """Start the job. At the concurrency limit the request stays (the end of the running job starts
        the next run); any other failure (throttling, access denied, a missing job) clears the request,
        alerts, and raises StartFailed so the record is retried, never left as "already requested"."""
        glue, job = self.glue, self.settings.job_name(dataset, stage)
        try:
            run_id = glue.start_job_run(JobName=job)["JobRunId"]
            return Outcome("run", "started", dataset, stage, run_id)
        except glue.exceptions.ConcurrentRunsExceededException:
            return Outcome("run", "running_request_kept", dataset, stage)
        except (ClientError, BotoCoreError) as exc:
            self.request(dataset, stage).clear()
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
                sns=self._sns,
            )
            raise StartFailed(f"could not start {job}: {code}") from exc

    def publish_run(self, action: PublishRun) -> Outcome:
        """Make sure a succeeded run's partitions are in the catalog (completing its publish if it died)."""
        ledger = Ledger(
            self.settings, action.dataset, action.stage, storage=self.storage, cache=self.config.cache.entries
        )
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
            stale = complete(ledger, self.catalog, {s.qualified: s for s in specs}, entry)
        parts = sum(len(p) for p in entry.partitions.values())
        detail = f"{action.run_id}: {parts} partitions" + (
            f"; {len(stale)} removed tables skipped" if stale else ""
        )
        return Outcome("publish", "published", action.dataset, action.stage, detail)

    def alert(self, action: Alert) -> Outcome:
        send_alert(self.config, action.subject, dict(action.body), sns=self._sns)
        return Outcome(
            "alert", "sent" if self.config.alert_topic_arn else "logged_only", detail=action.subject
        )


def send_alert(config: Config, subject: str, message: dict[str, Any], *, sns: Any = None) -> None:
    """One SNS message: a short subject and a JSON body (`sns`: the client, by default the environment's)."""
    if not config.alert_topic_arn:
        log_json(logging.WARNING, "alert", "no LAKEHOUSE_ALERT_TOPIC_ARN: alert only logged", subject=subject)
        return
    (sns if sns is not None else aws.client("sns", config.settings)).publish(
        TopicArn=config.alert_topic_arn,
        Subject=subject[:100],
        Message=json.dumps(message, default=str, indent=2),
    )


def dead_letter(
    config: Config, summary: Summary, record: object, error: Exception, *, sqs: Any = None
) -> None:
    summary.malformed += 1
    log_json(
        logging.ERROR, summary.handler, "malformed event sent to the dead-letter queue", error=str(error)
    )
    if config.dlq_url:
        body = json.dumps({"handler": summary.handler, "error": str(error), "record": record}, default=str)
        sqs = sqs if sqs is not None else aws.client("sqs", config.settings)
        sqs.send_message(QueueUrl=config.dlq_url, MessageBody=body[:250_000])


# (record, config) -> (delivery id, actions)
Decision = Callable[[dict[str, Any], Config], tuple[str, list[Action]]]


def handle(
    handler: str,
    event: dict[str, Any],
    config: Config | None,
    decide: Decision,
    *,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Decide and execute per record; duplicates skipped, malformed records dead-lettered, the rest go on.

    Each record is isolated: an unexpected error in one is logged, counted in `failed`, and its SQS
    message reported in `batchItemFailures` (redelivered alone; it is not marked seen), and the rest
    of the batch goes on. `executor`: the one carrying out the actions (and whose S3 client keeps the
    idempotency markers); by default one for the configuration with the environment's clients."""
    config = config or Config.from_env()
    executor = executor or Executor(config)
    summary, seen = Summary(handler), Seen(config, handler, storage=executor.storage)
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
