"""Synthetic clickstream: realistic sessions and funnels, returning users, duplicates, late and bad events.

Deterministic: the same arguments and seed write byte-identical files. Writes one JSON-lines file per
arrival hour plus `_generated.json` with the ground truth (events, duplicates, late, bad records),
which tests use to check the pipeline's counts independently of the pipeline.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lakehouse.errors import UsageError

DEFAULT_START = date(2025, 1, 6)
SITE = "https://shop.example.com"
CATEGORIES = ("shoes", "jackets", "bags", "hats", "socks")
DEVICES = (("desktop", 0.48), ("mobile", 0.40), ("tablet", 0.07), ("app", 0.05))
REFERRERS = (
    ("https://www.google.com/", 0.45),
    (None, 0.30),
    ("https://newsletter.example.com/", 0.15),
    ("https://www.facebook.com/", 0.10),
)
BAD_KINDS = ("malformed_json", "bad_timestamp", "missing_user_id")


@dataclass
class GenerationStats:
    files: int = 0
    lines: int = 0
    events: int = 0  # distinct valid events
    duplicates: int = 0  # extra copies of valid events
    late: int = 0  # events written to a later hour's file than their event time
    bad_records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_KINDS, 0))
    purchases: int = 0
    revenue: str = "0.00"

    @property
    def bad(self) -> int:
        return sum(self.bad_records.values())


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _diurnal(hour: int) -> float:
    """Traffic shape over a day, mean 1.0: quiet at night, peaks in the evening."""
    return 1.0 + 0.6 * math.sin((hour - 13) / 24 * 2 * math.pi)


class _Session:
    def __init__(self, rng: random.Random, user: str, start: datetime):
        self.rng, self.user, self.t = rng, user, start
        self.id = f"s-{rng.getrandbits(48):012x}"
        self.device = _pick(rng, DEVICES)
        self.referrer = _pick(rng, REFERRERS)

    def events(self) -> list[dict]:
        rng = self.rng
        out: list[dict] = []
        page, cart = "/", []

        def emit(event_type: str, url: str, metadata: dict[str, str]) -> None:
            nonlocal page
            out.append(
                {
                    "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "user_id": self.user,
                    "session_id": self.id,
                    "event_type": event_type,
                    "event_timestamp": _iso(self.t),
                    "device_type": self.device,
                    "page_url": SITE + url,
                    "referrer_url": self.referrer if not out else SITE + page,
                    "metadata": metadata,
                }
            )
            page = url
            self.t += timedelta(seconds=rng.randint(4, 90), milliseconds=rng.randint(0, 999))

        emit("page_view", rng.choice(["/", f"/category/{rng.choice(CATEGORIES)}"]), {})
        for _ in range(rng.randint(0, 5)):
            if rng.random() < 0.3:
                emit("search", "/search", {"query": rng.choice(CATEGORIES)})
            sku = f"SKU-{rng.randint(1000, 1099)}"
            emit("click", page, {"element": "product-card", "product_id": sku})
            emit("page_view", f"/product/{sku}", {"product_id": sku})
            if rng.random() < 0.35:
                price = f"{rng.choice([19, 29, 49, 79, 129])}.{rng.choice(['00', '50', '99'])}"
                cart.append(price)
                emit("add_to_cart", f"/product/{sku}", {"product_id": sku, "price": price, "quantity": "1"})
        if cart and rng.random() < 0.6:
            emit("page_view", "/cart", {})
            emit("checkout", "/checkout", {"items": str(len(cart))})
            if rng.random() < 0.75:
                amount = sum(float(p) for p in cart)
                order = f"ORD-{rng.getrandbits(32):08X}"
                emit(
                    "purchase",
                    "/checkout/confirmation",
                    {
                        "order_id": order,
                        "amount": f"{amount:.2f}",
                        "currency": "USD",
                        "items": str(len(cart)),
                    },
                )
        return out


def generate_clickstream(
    out: Path,
    days: int = 2,
    events_per_hour: int = 60,
    seed: int = 42,
    start: date = DEFAULT_START,
    duplicate_rate: float = 0.01,
    late_rate: float = 0.005,
    bad_rate: float = 0.002,
) -> GenerationStats:
    """Write hourly JSON-lines files of synthetic clickstream events to `out`."""
    if days < 1 or events_per_hour < 1:
        raise ValueError("days and events-per-hour must be at least 1")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    hours = days * 24
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    # a pool of users where a few come back often (returning users) and many come once
    users = [f"u-{i:05d}" for i in range(max(10, events_per_hour * days // 3))]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(users))]
    files: dict[int, list[str]] = {h: [] for h in range(hours)}
    stats = GenerationStats()
    revenue = 0.0

    for h in range(hours):
        hour_start = t0 + timedelta(hours=h)
        target = max(1, round(events_per_hour * _diurnal(hour_start.hour)))
        produced = 0
        while produced < target:
            start_at = hour_start + timedelta(seconds=rng.randint(0, 3599))
            session = _Session(rng, rng.choices(users, weights=weights)[0], start_at)
            for event in session.events():
                ts = datetime.strptime(event["event_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                arrival = min(int((ts - t0).total_seconds() // 3600), hours - 1)
                if rng.random() < late_rate and arrival < hours - 1:
                    arrival = min(hours - 1, arrival + rng.randint(1, 30))
                    stats.late += 1
                line = json.dumps(event, separators=(",", ":"))
                files[arrival].append(line)
                stats.events += 1
                produced += 1
                if event["event_type"] == "purchase":
                    stats.purchases += 1
                    revenue += float(event["metadata"]["amount"])
                if (
                    rng.random() < duplicate_rate
                ):  # the tracker retried: same event again, maybe an hour later
                    files[min(hours - 1, arrival + rng.randint(0, 1))].append(line)
                    stats.duplicates += 1
                if rng.random() < bad_rate:
                    kind = BAD_KINDS[sum(stats.bad_records.values()) % len(BAD_KINDS)]
                    files[arrival].append(_bad_record(rng, event, kind))
                    stats.bad_records[kind] += 1

    for h, lines in files.items():
        if not lines:
            continue
        name = (t0 + timedelta(hours=h)).strftime("clickstream-%Y%m%d-%H.json")
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        stats.files += 1
        stats.lines += len(lines)
    stats.revenue = f"{revenue:.2f}"
    summary = asdict(stats) | {
        "bad": stats.bad,
        "seed": seed,
        "days": days,
        "events_per_hour": events_per_hour,
        "start": start.isoformat(),
    }
    (out / "_generated.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return stats


def _bad_record(rng: random.Random, event: dict, kind: str) -> str:
    """A broken copy of a real event, with a fresh id so it is not a duplicate."""
    bad = dict(event, event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    if kind == "malformed_json":
        text = json.dumps(bad, separators=(",", ":"))
        return text[: len(text) // 2]  # a truncated write
    if kind == "bad_timestamp":
        bad["event_timestamp"] = "yesterday at noon"
    else:
        bad.pop("user_id")
    return json.dumps(bad, separators=(",", ":"))


def generate(
    out: Path, seed: int = 42, days: int = 2, events_per_hour: int = 60, start: date | None = None
) -> str:
    """`lakehouse generate` (lakehouse.landing.samples): the files, and one summary line."""
    if days < 1 or events_per_hour < 1:
        raise UsageError("lakehouse generate: --days and --events-per-hour must be at least 1")
    stats = generate_clickstream(out, days, events_per_hour, seed, start or DEFAULT_START)
    return (
        f"wrote {stats.files} files, {stats.lines} lines to {out}: {stats.events} events, "
        f"{stats.duplicates} duplicates, {stats.late} late, {stats.bad} bad records"
    )
