"""landed_alert: what a dataset's domain wants to hear of in newly landed raw files -> one SNS message per batch.

The kit knows no business event: the dataset (`LAKEHOUSE_ALERT_DATASET`, set by Terraform) belongs to
a domain whose `alerts.py` (lakehouse.contract.domains) says what to look for and what to say: `records_in(text)`
returns the records of interest of one file's text (ids and amounts, never personal data),
`summarize(dataset, objects, records)` the message, and `NOUN` names the records in the subject. Both
are pure; this handler only reads the objects, splits the message under SNS's size limit, sends it,
and marks the objects seen once it is out.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.automation.actions import Outcome
from lakehouse.automation.events import foreign, object_created, sourced
from lakehouse.automation.execute import Config, Seen, Summary, dead_letter, log_json, project, send_alert
from lakehouse.aws.storage import Storage
from lakehouse.errors import ContractError, MalformedEvent

SNS_MESSAGE_LIMIT = 262_144  # bytes, SNS's maximum message size
MESSAGE_BUDGET = 240_000  # per message: room left for the envelope


def domain_alerts(config: Config) -> ModuleType | None:
    """The alert dataset's domain module `alerts`, or None when the dataset is unset or its domain has none."""
    found = project(config)
    if not config.alert_dataset:
        return None
    if config.alert_dataset not in found.contracts:  # a misconfiguration, never silent
        log_json(logging.WARNING, "landed_alert", "alert dataset unknown", dataset=config.alert_dataset)
        return None
    try:
        return found.domain_of(config.alert_dataset).module("alerts")
    except ContractError:  # its domain has no alerts.py: nothing to alert on, and said so
        log_json(logging.WARNING, "landed_alert", "its domain has no alerts.py", dataset=config.alert_dataset)
        return None


def render(message: dict[str, Any]) -> str:
    """The message as sent (lakehouse.automation.execute.send_alert's JSON)."""
    return json.dumps(message, default=str, indent=2)


def messages(
    summarize: Callable[..., dict[str, Any]], dataset: str, objects: list[str], records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The batch's alert split into messages under SNS's size limit, each with its part number and the
    domain's summary of its part; together they list every record once, in order."""

    def fits(chunk: list[dict[str, Any]]) -> bool:
        return (
            len(render(summarize(dataset, objects, chunk) | {"part": 999, "parts": 999}).encode())
            <= MESSAGE_BUDGET
        )

    chunks: list[list[dict[str, Any]]] = []
    pending = [records]
    while pending:
        chunk = pending.pop(0)
        if fits(chunk) or len(chunk) == 1:
            chunks.append(chunk)
        else:  # halve until each part fits: O(n log n) serialisation, not one trial per record
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
    return [
        summarize(dataset, objects, chunk) | {"part": i, "parts": len(chunks)}
        for i, chunk in enumerate(chunks, 1)
    ]


def _read_text(storage: Storage, uri: str) -> str:
    try:
        body = storage.read_bytes(uri)
        return (gzip.decompress(body) if uri.endswith(".gz") else body).decode("utf-8", errors="replace")
    except (ClientError, OSError, EOFError):
        return ""


def landed_alert(
    event: dict[str, Any],
    context: object = None,
    config: Config | None = None,
    *,
    storage: Storage | None = None,
    sns: Any = None,
) -> dict[str, Any]:
    """`storage` (the objects read, the idempotency markers) and `sns` (the messages): the caller's
    clients, by default the environment's."""
    config = config or Config.from_env()
    settings = config.settings
    storage = storage or Storage(settings)
    summary, seen = Summary("landed_alert"), Seen(config, "landed_alert", storage=storage)
    module = domain_alerts(config)
    dataset = config.alert_dataset or ""
    records: list[dict[str, Any]] = []
    objects: list[str] = []
    delivered: list[str] = []
    for _, record in sourced(event):
        try:
            if "_unreadable" in record:
                raise MalformedEvent("not JSON")
            obj = object_created(record)
        except MalformedEvent as exc:
            dead_letter(config, summary, record, exc)
            continue
        if (
            obj.bucket != settings.bucket("raw")
            or module is None
            or not obj.key.startswith(dataset + "/")
            or foreign(obj, "s3", settings.region, config.account())
        ):
            summary.ignored += 1
            continue
        if obj.delivery_id in seen:
            summary.duplicates += 1
            continue
        found = module.records_in(_read_text(storage, obj.uri))
        records.extend(found)
        objects.append(obj.uri)
        delivered.append(obj.delivery_id)
        summary.processed += 1
        summary.actions.append(Outcome("records", "found", dataset, "", str(len(found))).as_dict())
    if records and module is not None:
        parts = messages(module.summarize, dataset, objects, records)
        for message in parts:  # a failed publish raises before anything is marked seen: all retried
            subject = f"[{settings.project} {settings.env}] {len(records)} {module.NOUN} landed"
            if len(parts) > 1:
                subject += f" ({message['part']}/{len(parts)})"
            send_alert(config, subject, message, sns=sns)
        summary.actions.append(
            Outcome(
                "alert",
                "sent",
                dataset,
                "",
                f"{len(records)} {module.NOUN}, {len(parts)} messages",
            ).as_dict()
        )
    for delivery_id in delivered:  # marked seen only once the alert is out: a failed publish is retried
        seen.add(delivery_id)
    log_json(
        logging.INFO,
        summary.handler,
        "done",
        **{k: v for k, v in summary.as_dict().items() if k != "handler"},
    )
    return summary.as_dict()
