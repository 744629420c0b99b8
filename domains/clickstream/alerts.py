"""The clickstream domain's landed-file alert: purchases in newly landed clickstream files.

lakehouse.automation.alerts (the `landed_alert` handler) reads the new raw objects of the alert
dataset and calls these pure functions: `records_in` finds the purchases of one file's text (ids and
amounts only: no user or session ids), `summarize` makes the message with totals per currency.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

NOUN = "purchases"
UNKNOWN_CURRENCY = "unknown"
MAX_OBJECTS_LISTED = 100


def records_in(text: str) -> list[dict[str, Any]]:
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
