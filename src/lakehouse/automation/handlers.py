"""The automation behind the Lambda functions in lambda/: plain functions of (event, context).

    on_raw_object     S3 object created -> register its raw partition; crawl (if the contract asks) or
                      request the raw->silver job
    on_crawler_state  crawler Succeeded -> request the job; Failed -> alert
    on_job_state      job FAILED/TIMEOUT/STOPPED -> alert; SUCCEEDED -> make sure the run's partitions
                      are published, request the next stage; any end -> start a run requested meanwhile
    purchase_alert    purchases in newly landed clickstream files -> one SNS message per batch

Every handler: reads its configuration from the environment (the names Terraform sets), logs one JSON
line per decision, processes each record of a batch on its own (a malformed one goes to the
dead-letter queue and is counted; the rest go on), and is idempotent on duplicate delivery.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from botocore.exceptions import ClientError

from lakehouse import aws
from lakehouse.automation.events import MalformedEvent, glue_state_change, object_created, records
from lakehouse.catalog import Catalog
from lakehouse.contracts import Contract, load_contracts, parse_contract
from lakehouse.jobs.ledger import Ledger, RunRequest, publish
from lakehouse.models import Model, load_model, load_models
from lakehouse.settings import Settings
from lakehouse.storage import Storage
from lakehouse.tables import gold_tables, model_tables, quarantine_table, raw_table, silver_table

RAW_TO_SILVER, SILVER_TO_GOLD, BUILD_MODEL = "raw_to_silver", "silver_to_gold", "build_model"
NEXT_STAGE = {RAW_TO_SILVER: SILVER_TO_GOLD}
FAILED_STATES = ("FAILED", "TIMEOUT", "STOPPED", "ERROR")

log = logging.getLogger("lakehouse.automation")


# configuration -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """What a handler needs, from the environment variables Terraform sets on every function."""

    settings: Settings
    contracts_uri: str  # LAKEHOUSE_CONTRACTS_URI: s3://<artifacts>/datasets/ (or a local directory)
    alert_topic_arn: str | None  # LAKEHOUSE_ALERT_TOPIC_ARN
    dlq_url: str | None  # LAKEHOUSE_DLQ_URL
    purchase_dataset: str = "clickstream"  # LAKEHOUSE_PURCHASE_DATASET

    @classmethod
    def from_env(cls) -> Config:
        settings = Settings.from_env(os.environ.get("LAKEHOUSE_ENV"))
        return cls(
            settings,
            os.environ.get("LAKEHOUSE_CONTRACTS_URI", f"s3://{settings.bucket('artifacts')}/datasets/"),
            os.environ.get("LAKEHOUSE_ALERT_TOPIC_ARN"),
            os.environ.get("LAKEHOUSE_DLQ_URL"),
            os.environ.get("LAKEHOUSE_PURCHASE_DATASET", "clickstream"),
        )


_CONTRACTS: dict[str, tuple[float, dict[str, Contract]]] = {}
CONTRACTS_TTL_S = 60.0  # a warm function sees a new contract within a minute


def contracts(config: Config) -> dict[str, Contract]:
    cached = _CONTRACTS.get(config.contracts_uri)
    if cached and time.monotonic() - cached[0] < CONTRACTS_TTL_S:
        return cached[1]
    if config.contracts_uri.startswith("s3://"):
        import yaml

        storage = Storage(config.settings)
        found = {}
        prefix = config.contracts_uri.split("/", 3)[3]
        for obj in storage.list(config.contracts_uri):
            if obj.key.endswith(".yaml") and "/" not in obj.key[len(prefix) :]:  # models/ holds models
                contract = parse_contract(yaml.safe_load(storage.read_bytes(obj.uri)), Path(obj.key).name)
                found[contract.name] = contract
    else:
        found = load_contracts(config.contracts_uri)
    _CONTRACTS[config.contracts_uri] = (time.monotonic(), found)
    return found


# shared actions ------------------------------------------------------------------------------------


@dataclass
class Summary:
    handler: str
    processed: int = 0
    duplicates: int = 0
    ignored: int = 0
    malformed: int = 0
    actions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _log(level: int, handler: str, message: str, **fields) -> None:
    log.log(
        level, json.dumps({"handler": handler, "message": message, **fields}, default=str, sort_keys=True)
    )


class _Seen:
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


def _dead_letter(config: Config, summary: Summary, record: object, error: Exception) -> None:
    summary.malformed += 1
    _log(logging.ERROR, summary.handler, "malformed event sent to the dead-letter queue", error=str(error))
    if config.dlq_url:
        body = json.dumps({"handler": summary.handler, "error": str(error), "record": record}, default=str)
        aws.client("sqs", config.settings).send_message(QueueUrl=config.dlq_url, MessageBody=body[:250_000])


def alert(config: Config, subject: str, message: dict) -> None:
    """One SNS message: a short subject and a JSON body."""
    if not config.alert_topic_arn:
        _log(logging.WARNING, "alert", "no LAKEHOUSE_ALERT_TOPIC_ARN: alert only logged", subject=subject)
        return
    aws.client("sns", config.settings).publish(
        TopicArn=config.alert_topic_arn,
        Subject=subject[:100],
        Message=json.dumps(message, default=str, indent=2),
    )


def request_run(config: Config, dataset: str, stage: str, reason: str) -> str:
    """Start the dataset's stage job unless a start is already requested (see RunRequest)."""
    settings = config.settings
    request = RunRequest(settings, dataset, stage)
    if not request.make(reason):
        return f"{stage} already requested"
    return _start_job(config, dataset, stage)


def _start_job(config: Config, dataset: str, stage: str) -> str:
    glue, job = aws.client("glue", config.settings), config.settings.job_name(dataset, stage)
    try:
        run_id = glue.start_job_run(JobName=job)["JobRunId"]
        return f"started {job} run {run_id}"
    except glue.exceptions.ConcurrentRunsExceededException:
        return f"{job} is running: the request stays and its end starts the next run"


def _dataset_of_key(config: Config, key: str) -> Contract | None:
    prefix = key.split("/", 1)[0]
    return contracts(config).get(prefix) if "/" in key else None


def _partition_of_key(contract: Contract, key: str) -> tuple[str, ...] | None:
    pairs = dict(re.findall(r"([a-z_]+)=([^/]+)/", key))
    values = tuple(pairs.get(p) for p in contract.raw_partitions)
    return None if None in values else values


def models(config: Config) -> dict[str, Model]:
    """The gold models next to the contracts (`<contracts>/models/*.yaml`)."""
    if config.contracts_uri.startswith("s3://"):
        import tempfile

        storage, out = Storage(config.settings), {}
        for obj in storage.list(config.contracts_uri.rstrip("/") + "/models/"):
            if obj.key.endswith(".yaml"):
                local = Path(tempfile.mkdtemp()) / Path(obj.key).name
                local.write_bytes(storage.read_bytes(obj.uri))
                model = load_model(local)
                out[model.name] = model
        return out
    return load_models(config.contracts_uri)


def _dataset_stage_of_job(config: Config, job: str) -> tuple[str, str] | None:
    for name in contracts(config):
        for stage in (RAW_TO_SILVER, SILVER_TO_GOLD):
            if config.settings.job_name(name, stage) == job:
                return name, stage
    for name in models(config):
        if config.settings.job_name(name, BUILD_MODEL) == job:
            return name, BUILD_MODEL
    return None


def _handle(handler: str, event: dict, config: Config | None, each) -> dict:
    """Run `each(record, summary, config)` for every record; malformed records go to the DLQ."""
    config = config or Config.from_env()
    summary = Summary(handler)
    for record in records(event):
        try:
            if "_unreadable" in record:
                raise MalformedEvent("not JSON")
            each(record, summary, config)
        except MalformedEvent as exc:
            _dead_letter(config, summary, record, exc)
    _log(logging.INFO, handler, "done", **{k: v for k, v in summary.as_dict().items() if k != "handler"})
    return summary.as_dict()


# handlers ------------------------------------------------------------------------------------------


def on_raw_object(event: dict, context=None, config: Config | None = None) -> dict:
    def each(record: dict, summary: Summary, config: Config) -> None:
        obj = object_created(record)
        settings = config.settings
        contract = _dataset_of_key(config, obj.key) if obj.bucket == settings.bucket("raw") else None
        if contract is None:
            summary.ignored += 1
            _log(logging.INFO, summary.handler, "object of no known dataset: ignored", object=obj.uri)
            return
        seen = _Seen(config, summary.handler)
        if obj.delivery_id in seen:
            summary.duplicates += 1
            _log(logging.INFO, summary.handler, "duplicate delivery: skipped", object=obj.uri)
            return
        values = _partition_of_key(contract, obj.key)
        if values is None:
            summary.ignored += 1
            _log(logging.WARNING, summary.handler, "object outside the raw layout: ignored", object=obj.uri)
            return
        spec = raw_table(contract, settings)
        location = spec.location + "/".join(
            f"{k}={v}" for k, v in zip(contract.raw_partitions, values, strict=True)
        )
        counts = Catalog(settings).register_partitions(spec, {values: location + "/"})
        action = (
            f"{contract.name}: partition {'/'.join(values)} {'registered' if counts['created'] else 'known'}"
        )
        if contract.crawl:
            glue = aws.client("glue", settings)
            try:
                glue.start_crawler(Name=settings.crawler_name(contract.name))
                action += "; crawler started"
            except glue.exceptions.CrawlerRunningException:
                action += "; crawler already running"
        else:
            action += "; " + request_run(config, contract.name, RAW_TO_SILVER, obj.uri)
        seen.add(obj.delivery_id)
        summary.processed += 1
        summary.actions.append(action)
        _log(logging.INFO, summary.handler, action, object=obj.uri)

    return _handle("on_raw_object", event, config, each)


def on_crawler_state(event: dict, context=None, config: Config | None = None) -> dict:
    def each(record: dict, summary: Summary, config: Config) -> None:
        change = glue_state_change(record)
        if change.kind != "crawler":
            raise MalformedEvent(f"not a crawler state change: {change.kind}")
        settings = config.settings
        dataset = next((n for n in contracts(config) if settings.crawler_name(n) == change.name), None)
        if dataset is None:
            summary.ignored += 1
            _log(logging.INFO, summary.handler, "crawler of no known dataset: ignored", crawler=change.name)
            return
        seen = _Seen(config, summary.handler)
        if change.event_id in seen:
            summary.duplicates += 1
            return
        if change.state == "Succeeded":
            action = request_run(config, dataset, RAW_TO_SILVER, f"crawler {change.name} succeeded")
        elif change.state == "Failed":
            alert(
                config,
                f"[{settings.project} {settings.env}] crawler {change.name} failed",
                {"crawler": change.name, "state": change.state, "error": change.message},
            )
            action = "alerted: crawler failed"
        else:
            action = f"state {change.state}: nothing to do"
        seen.add(change.event_id)
        summary.processed += 1
        summary.actions.append(action)
        _log(logging.INFO, summary.handler, action, crawler=change.name)

    return _handle("on_crawler_state", event, config, each)


def _console_link(region: str, job: str, run_id: str) -> str:
    region = region or "us-east-1"
    return f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}#/job/{job}/run/{run_id}"


def on_job_state(event: dict, context=None, config: Config | None = None) -> dict:
    def each(record: dict, summary: Summary, config: Config) -> None:
        change = glue_state_change(record)
        if change.kind != "job":
            raise MalformedEvent(f"not a job state change: {change.kind}")
        settings = config.settings
        found = _dataset_stage_of_job(config, change.name)
        if found is None:
            summary.ignored += 1
            _log(logging.INFO, summary.handler, "job of no known dataset: ignored", job=change.name)
            return
        dataset, stage = found
        seen = _Seen(config, summary.handler)
        if change.event_id in seen:
            summary.duplicates += 1
            return
        actions = []
        if change.state in FAILED_STATES:
            alert(
                config,
                f"[{settings.project} {settings.env}] Glue job {change.name} {change.state}",
                {
                    "job": change.name,
                    "run_id": change.run_id,
                    "state": change.state,
                    "error": change.message,
                    "dataset": dataset,
                    "stage": stage,
                    "console": _console_link(change.region, change.name, change.run_id),
                },
            )
            actions.append(f"alerted: {change.name} {change.state}")
        elif change.state == "SUCCEEDED":
            actions.append(_publish_run(config, dataset, stage, change.run_id))
            feeds = contracts(config)[dataset].model if stage == RAW_TO_SILVER else None
            if feeds:  # a source of a gold model: the model's build is the next stage
                actions.append(request_run(config, feeds, BUILD_MODEL, f"{change.name} succeeded"))
            elif stage in NEXT_STAGE and contracts(config)[dataset].gold_tables:
                actions.append(request_run(config, dataset, NEXT_STAGE[stage], f"{change.name} succeeded"))
        if change.state in (*FAILED_STATES, "SUCCEEDED") and RunRequest(settings, dataset, stage).pending():
            actions.append("requested meanwhile: " + _start_job(config, dataset, stage))
        seen.add(change.event_id)
        summary.processed += 1
        summary.actions.extend(actions)
        _log(logging.INFO, summary.handler, "; ".join(actions) or f"state {change.state}", job=change.name)

    return _handle("on_job_state", event, config, each)


def _publish_run(config: Config, dataset: str, stage: str, run_id: str) -> str:
    """Make sure a succeeded run's partitions are in the catalog (completing its publish if it died)."""
    settings = config.settings
    ledger = Ledger(settings, dataset, stage)
    entry = next((e for e in ledger.entries() if e.run_id == run_id), None)
    if entry is None:
        return f"{stage} run {run_id}: no ledger entry (nothing new to publish)"
    if stage == BUILD_MODEL:
        specs = {s.qualified: s for s in model_tables(models(config)[dataset], settings)}
    else:
        contract = contracts(config)[dataset]
        specs = {
            s.qualified: s
            for s in (
                gold_tables(contract, settings)
                if stage == SILVER_TO_GOLD
                else (silver_table(contract, settings), quarantine_table(contract, settings))
            )
        }
    if entry.status != "committed":
        publish(Catalog(settings), specs, entry)
        entry.status = "committed"
        ledger.write(entry)
    parts = sum(len(p) for p in entry.partitions.values())
    return f"{stage} run {run_id}: {parts} partitions published"


def purchase_alert(event: dict, context=None, config: Config | None = None) -> dict:
    config = config or Config.from_env()
    purchases: list[dict] = []
    objects: list[str] = []

    def each(record: dict, summary: Summary, config: Config) -> None:
        obj = object_created(record)
        if obj.bucket != config.settings.bucket("raw") or not obj.key.startswith(
            config.purchase_dataset + "/"
        ):
            summary.ignored += 1
            return
        seen = _Seen(config, summary.handler)
        if obj.delivery_id in seen:
            summary.duplicates += 1
            return
        found = _purchases(Storage(config.settings), obj.uri)
        purchases.extend(found)
        objects.append(obj.uri)
        seen.add(obj.delivery_id)
        summary.processed += 1
        summary.actions.append(f"{obj.uri}: {len(found)} purchases")

    result = _handle("purchase_alert", event, config, each)
    if purchases:
        total = sum((Decimal(p["amount"]) for p in purchases if p["amount"] is not None), Decimal("0"))
        settings = config.settings
        alert(
            config,
            f"[{settings.project} {settings.env}] {len(purchases)} purchases landed",
            {
                "dataset": config.purchase_dataset,
                "objects": objects,
                "count": len(purchases),
                "total": str(total),
                "purchases": purchases,
            },
        )
        result["actions"].append(f"alerted: {len(purchases)} purchases, total {total}")
    return result


def _purchases(storage: Storage, uri: str) -> list[dict]:
    """Purchase events of a raw clickstream file: ids and amounts only, no personal data."""
    try:
        body = storage.read_bytes(uri)
        text = (gzip.decompress(body) if uri.endswith(".gz") else body).decode("utf-8", errors="replace")
    except (ClientError, OSError, EOFError):
        return []
    out = []
    for line in text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if not isinstance(e, dict) or e.get("event_type") != "purchase":
            continue
        meta = e.get("metadata") if isinstance(e.get("metadata"), dict) else {}
        try:
            amount = str(Decimal(str(meta.get("amount"))).quantize(Decimal("0.01")))
        except (InvalidOperation, ValueError):
            amount = None
        out.append(
            {
                "event_id": e.get("event_id"),
                "order_id": meta.get("order_id"),
                "amount": amount,
                "currency": meta.get("currency"),
            }
        )
    return out
