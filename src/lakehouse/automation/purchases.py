"""purchase_alert: purchases in newly landed clickstream files -> one SNS message per batch.

`purchases_in` (parse a file's text) and `summarize` (the message: ids and amounts, summed per
currency, no user or session ids) are pure; the handler only reads the objects and sends it.
"""

from __future__ import annotations

import gzip
import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.automation.actions import Outcome
from lakehouse.automation.events import MalformedEvent, foreign, object_created, sourced
from lakehouse.automation.execute import Config, Seen, Summary, dead_letter, log_json, send_alert
from lakehouse.storage import Storage

UNKNOWN_CURRENCY = "unknown"
SNS_MESSAGE_LIMIT = 262_144  # bytes, SNS's maximum message size
MESSAGE_BUDGET = 240_000  # per message: room left for the envelope
MAX_OBJECTS_LISTED = 100


def purchases_in(text: str) -> list[dict[str, Any]]:
    """Purchase events of a raw clickstream file's text: ids and amounts only, no personal data."""
    out = []
    for line in text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if not isinstance(e, dict) or e.get("event_type") != "purchase":
            continue
        found = e.get("metadata")
        meta: dict[str, Any] = found if isinstance(found, dict) else {}
        try:
            amount: str | None = str(Decimal(str(meta.get("amount"))).quantize(Decimal("0.01")))
        except (InvalidOperation, ValueError):
            amount = None
        currency = meta.get("currency")
        out.append(
            {
                "event_id": e.get("event_id"),
                "order_id": meta.get("order_id"),
                "amount": amount,
                "currency": currency if isinstance(currency, str) and currency else None,
            }
        )
    return out


def totals(purchases: list[dict[str, Any]]) -> dict[str, str]:
    """Amounts summed per currency (never across currencies); purchases without an amount are not summed."""
    sums: dict[str, Decimal] = {}
    for p in purchases:
        if p["amount"] is not None:
            key = p["currency"] or UNKNOWN_CURRENCY
            sums[key] = sums.get(key, Decimal("0")) + Decimal(p["amount"])
    return {k: str(v) for k, v in sorted(sums.items())}


def summarize(dataset: str, objects: list[str], purchases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "objects": objects[:MAX_OBJECTS_LISTED],
        "objects_count": len(objects),
        "count": len(purchases),
        "totals": totals(purchases),
        "purchases": purchases,
    }


def render(message: dict[str, Any]) -> str:
    """The message as sent (lakehouse.automation.execute.send_alert's JSON)."""
    return json.dumps(message, default=str, indent=2)


def messages(dataset: str, objects: list[str], purchases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch's alert split into messages under SNS's size limit, each with its part number, count
    and per-currency totals; together they list every purchase once, in order."""

    def fits(chunk: list[dict[str, Any]]) -> bool:
        return (
            len(render(summarize(dataset, objects, chunk) | {"part": 999, "parts": 999}).encode())
            <= MESSAGE_BUDGET
        )

    chunks: list[list[dict[str, Any]]] = []
    pending = [purchases]
    while pending:
        chunk = pending.pop(0)
        if fits(chunk) or len(chunk) == 1:
            chunks.append(chunk)
        else:  # halve until each part fits: O(n log n) serialisation, not one trial per purchase
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


def purchase_alert(
    event: dict[str, Any], context: object = None, config: Config | None = None
) -> dict[str, Any]:
    config = config or Config.from_env()
    settings = config.settings
    summary, seen, storage = Summary("purchase_alert"), Seen(config, "purchase_alert"), Storage(settings)
    purchases: list[dict[str, Any]] = []
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
            or not obj.key.startswith(config.purchase_dataset + "/")
            or foreign(obj, "s3", settings.region, config.account())
        ):
            summary.ignored += 1
            continue
        if obj.delivery_id in seen:
            summary.duplicates += 1
            continue
        found = purchases_in(_read_text(storage, obj.uri))
        purchases.extend(found)
        objects.append(obj.uri)
        delivered.append(obj.delivery_id)
        summary.processed += 1
        summary.actions.append(
            Outcome("purchases", "found", config.purchase_dataset, "", str(len(found))).as_dict()
        )
    if purchases:
        parts = messages(config.purchase_dataset, objects, purchases)
        for message in parts:  # a failed publish raises before anything is marked seen: all retried
            subject = f"[{settings.project} {settings.env}] {len(purchases)} purchases landed"
            if len(parts) > 1:
                subject += f" ({message['part']}/{len(parts)})"
            send_alert(config, subject, message)
        summary.actions.append(
            Outcome(
                "alert",
                "sent",
                config.purchase_dataset,
                "",
                f"{len(purchases)} purchases, {len(parts)} messages",
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
