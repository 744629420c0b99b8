"""Synthetic sources for customer features: transactions and clickstream of the same customers, with truth.

Writes files of two existing contracts, so they land and parse as those datasets do:

- transactions_features.csv (the `transactions` contract: transaction_id, customer_id, product_id,
  product_name, product_family, amount, quantity, transaction_date "yyyy-MM-dd HH:mm:ss", region), sales and
  refunds (negative amount, positive quantity);
- clickstream-features-YYYYMM01.json (the `clickstream` contract; a file per month the session started
  in): several sessions per customer, user_id equal to the customer_id, each session's first and last
  event a whole number of seconds apart.

The point is the cut. `_generated.json` holds, for the snapshot date D and for D-7, each customer's
expected features "as of the end of day D, UTC" (an event counts when its UTC date is <= D), computed
plainly from the rows written. What tests the cut: transactions and sessions after D; a sale at D
23:59:59 and one at D+1 00:00:00; sales on D-30 (outside the last 30 days) and D-29 (inside); a refund
before D of a sale and a refund after D of another; sessions across midnight of D and of D-7 (only
the events dated <= D count, and the duration is theirs); a one-event session (0 s); one customer with
clickstream only (purchase_count 0, averages null) and one whose only activity is after D (absent).

Features: purchase_count (sales, amount > 0), total_spend (sum of all amounts, refunds included; "0.00"
string), avg_transaction_value (total_spend / purchase_count, half-up to 2 decimals, a string; null
without sales), recency_days (D minus the date of the last sale; null without sales), session_count
(sessions with an event dated <= D), avg_session_duration_seconds (mean of last minus first counted
event, half-up to 1 decimal, a number; null without sessions), transactions_last_30_days (sales with
D-30 < date <= D).
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

TX_COLUMNS = [
    "transaction_id",
    "customer_id",
    "product_id",
    "product_name",
    "product_family",
    "amount",
    "quantity",
    "transaction_date",
    "region",
]
PRODUCTS = (
    ("P001", "Classic Roadster", "Classic Cars"),
    ("P002", "Café Racer", "Motorcycles"),
    ("P003", "Spitfire 1:48", "Planes"),
    ("P004", "Clipper, three-masted", "Ships"),
    ("P005", "Orient Express", "Trains"),
    ("P006", "Tin Lizzie", "Vintage Cars"),
)
REGIONS = ("NA", "EMEA", "APAC", "Japan")
SITE = "https://shop.example.com"
PAGES = ("/", "/category/shoes", "/category/bags", "/search", "/product/SKU-1004", "/product/SKU-1042")


def _features(tx: list[tuple], sessions: list[tuple], day: date) -> dict[str, dict]:
    """Each customer's features as of the end of `day` (UTC), from the rows as written."""
    out = {}
    for cid in sorted({t[1] for t in tx} | {s[0] for s in sessions}):
        mine = [t for t in tx if t[1] == cid and t[0].date() <= day]
        sales = [t for t in mine if t[3] > 0]
        counted = [[e for e in s[3] if e.date() <= day] for s in sessions if s[0] == cid]
        counted = [times for times in counted if times]
        if not mine and not counted:
            continue
        spend = sum((t[3] for t in mine), Decimal(0))
        durations = [int((max(times) - min(times)).total_seconds()) for times in counted]
        out[cid] = {
            "purchase_count": len(sales),
            "total_spend": f"{spend:.2f}",
            "avg_transaction_value": (
                f"{(spend / len(sales)).quantize(Decimal('0.01'), ROUND_HALF_UP)}" if sales else None
            ),
            "recency_days": (day - max(t[0].date() for t in sales)).days if sales else None,
            "session_count": len(counted),
            "avg_session_duration_seconds": (
                float((Decimal(sum(durations)) / len(durations)).quantize(Decimal("0.1"), ROUND_HALF_UP))
                if counted
                else None
            ),
            "transactions_last_30_days": sum(1 for t in sales if day - timedelta(days=30) < t[0].date()),
        }
    return out


def generate_customer_features(
    out: Path, seed: int = 42, customers: int = 8, snapshot: date = date(2025, 3, 31)
) -> dict:
    """Write transactions_features.csv and clickstream-features-*.json to `out`; return the truth."""
    if customers < 5:
        raise ValueError("customer_features needs at least 5 customers")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    day0 = datetime(snapshot.year, snapshot.month, snapshot.day, tzinfo=UTC)  # the start of day D
    ids = [f"C{i:04d}" for i in range(customers)]
    clicks_only, future_only = ids[-2], ids[-1]
    tx: list[tuple] = []  # (when, customer, product, amount, quantity, region)
    sessions: list[tuple] = []  # (customer, session_id, device, [event times])

    def anytime() -> datetime:  # from D-60 to the end of D+7
        return day0 + timedelta(days=-60, seconds=rng.randint(0, 68 * 86400 - 1))

    def sale(cid: str, when: datetime) -> tuple:
        product, qty = rng.choice(PRODUCTS), rng.randint(1, 4)
        tx.append(
            (when, cid, product, Decimal(rng.randint(500, 25000)) / 100 * qty, qty, rng.choice(REGIONS))
        )
        return tx[-1]

    def refund(of: tuple, when: datetime) -> None:
        tx.append((when, of[1], of[2], -of[3], of[4], of[5]))

    def session(cid: str, start: datetime, offsets: list[int]) -> None:
        sid = f"s-{rng.getrandbits(48):012x}"
        device = rng.choice(("desktop", "mobile", "mobile", "tablet", "app"))
        sessions.append((cid, sid, device, [start + timedelta(seconds=s) for s in offsets]))

    for cid in ids[:-2]:
        for _ in range(rng.randint(3, 7)):
            s = sale(cid, anytime())
            if rng.random() < 0.15:
                refund(s, s[0] + timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600)))
    sale(ids[0], day0 + timedelta(hours=23, minutes=59, seconds=59))  # the last second of D: counts
    sale(ids[0], day0 + timedelta(days=1))  # the first second after D: does not
    sale(ids[1], day0 - timedelta(days=30) + timedelta(hours=12))  # D-30: not in the last 30 days
    sale(ids[1], day0 - timedelta(days=29))  # D-29 00:00: in them
    refund(sale(ids[2], day0 - timedelta(days=20)), day0 - timedelta(days=3))  # refunded before D
    refund(sale(ids[2], day0 - timedelta(days=2)), day0 + timedelta(days=2))  # refunded after D
    sale(future_only, day0 + timedelta(days=2, hours=10))

    for cid in ids[:-1]:
        for _ in range(rng.randint(2, 5)):
            n = rng.randint(1, 6)
            length = rng.randint(20, 1800)
            middle = sorted(rng.sample(range(1, length), max(0, n - 2)))
            session(
                cid,
                anytime() + timedelta(milliseconds=rng.randint(0, 999)),
                [0, *middle, length][:n],  # one event: 0 s
            )
    session(ids[0], day0 + timedelta(hours=23, minutes=55, milliseconds=250), [0, 120, 290, 310, 1020])
    session(ids[2], day0 - timedelta(days=7) + timedelta(hours=23, minutes=50), [0, 400, 700, 900])
    session(clicks_only, day0 - timedelta(days=10) + timedelta(hours=9, milliseconds=730), [0])  # 0 s
    session(future_only, day0 + timedelta(days=3, hours=14, milliseconds=5), [0, 75, 240])

    tx.sort(key=lambda t: (t[0], t[1]))
    rows = [
        [
            f"TF{i:04d}",
            cid,
            p[0],
            p[1],
            p[2],
            f"{amount:.2f}",
            qty,
            when.strftime("%Y-%m-%d %H:%M:%S"),
            region,
        ]
        for i, (when, cid, p, amount, qty, region) in enumerate(tx, start=1)
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TX_COLUMNS)
    writer.writerows(rows)
    (out / "transactions_features.csv").write_text(buf.getvalue(), encoding="utf-8")

    files: dict[str, list[tuple[str, str]]] = {}
    for cid, sid, device, times in sessions:
        page = "/"
        name = times[0].strftime("clickstream-features-%Y%m01.json")
        for i, when in enumerate(times):
            referrer = None if i == 0 else SITE + page
            page = rng.choice(PAGES)
            kind = "page_view" if i == 0 else rng.choice(("page_view", "click", "add_to_cart", "search"))
            metadata = {"product_id": page.rsplit("/", 1)[1]} if page.startswith("/product/") else {}
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
            event = {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "user_id": cid,
                "session_id": sid,
                "event_type": kind,
                "event_timestamp": stamp,
                "device_type": device,
                "page_url": SITE + page,
                "referrer_url": referrer,
                "metadata": metadata,
            }
            files.setdefault(name, []).append((stamp, json.dumps(event, separators=(",", ":"))))
    for name, lines in files.items():
        (out / name).write_text("\n".join(line for _, line in sorted(lines)) + "\n", encoding="utf-8")

    earlier = snapshot - timedelta(days=7)
    truth = {
        "seed": seed,
        "snapshot": snapshot.isoformat(),
        "files": {"transactions_features.csv": len(rows)} | {n: len(v) for n, v in sorted(files.items())},
        "transactions": {
            "rows": len(tx),
            "refunds": sum(1 for t in tx if t[3] < 0),
            "after_snapshot": sum(1 for t in tx if t[0].date() > snapshot),
        },
        "sessions": {
            "count": len(sessions),
            "events": sum(len(s[3]) for s in sessions),
            "after_snapshot": sum(1 for s in sessions if min(s[3]).date() > snapshot),
            "across_midnight_of_snapshot": sum(
                1 for s in sessions if min(s[3]).date() <= snapshot < max(s[3]).date()
            ),
        },
        "clickstream_only": [clicks_only],
        "after_snapshot_only": [future_only],
        "features": {
            snapshot.isoformat(): _features(tx, sessions, snapshot),
            earlier.isoformat(): _features(tx, sessions, earlier),
        },
    }
    (out / "_generated.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def generate(out: Path, seed: int = 42) -> str:
    """`lakehouse generate` (lakehouse.landing.samples): the files, and one summary line."""
    t = generate_customer_features(out, seed)
    return (
        f"wrote transactions_features.csv and {len(t['files']) - 1} clickstream-features files to "
        f"{out}: {t['transactions']['rows']} transactions, {t['sessions']['count']} sessions, "
        f"features of {len(t['features'][t['snapshot']])} customers as of {t['snapshot']}"
    )
