"""Synthetic e-commerce events in the RetailRocket layout, with its item-property snapshots and category tree.

Files (CSV, header row, comma-separated, as RetailRocket publishes them):

- events.csv `timestamp,visitorid,event,itemid,transactionid`: epoch MILLISECONDS; event is view,
  addtocart or transaction; transactionid only on transaction rows (empty otherwise; the items bought
  together share one). Funnels: visitors view several items, put some in the cart, buy some carts.
  Rows are in the tracker's order (per visitor), not sorted by time. Mess: some rows written twice
  (exact duplicates), and one bad row of each kind: a timestamp that is not a number (a formatted date),
  the unknown event "wishlist", an empty visitorid.
- item_properties_part1.csv / _part2.csv `timestamp,itemid,property,value`: a SNAPSHOT log. Each round
  writes every item's properties again, changed or not: `categoryid`, `available` ("0"/"1") and
  hashed properties (888, 790, 283) whose tokens are ids, or `n` and a number (`n552.000`). RetailRocket
  snapshots weekly; here a round every 3 days from a week before `start`, so a few demo days see
  changes. Some items change category once; some go unavailable and come back (1 -> 0 -> 1); one goes
  unavailable for good. The two parts are NOT split by time (part2 holds snapshots older than some in
  part1) and neither file is sorted: the state at time T is, per item and property, the value of the
  latest snapshot at or before T, wherever it is.
- category_tree.csv `categoryid,parentid`: a 3-level tree under a few roots (empty parentid), plus an
  ORPHAN whose parent does not exist (with a child of its own) and a 2-node CYCLE (a -> b -> a).

`_generated.json` holds the truth: valid distinct events, duplicates, bad rows by kind, events per day
and type, the tree's roots, orphans and cycle, and each item's (categoryid, available) at checkpoints.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

EVENTS_HEADER = ["timestamp", "visitorid", "event", "itemid", "transactionid"]
PROPERTIES_HEADER = ["timestamp", "itemid", "property", "value"]
EVENT_TYPES = ("view", "addtocart", "transaction")
BAD_KINDS = ("bad_timestamp", "unknown_event", "missing_visitorid")
HASHED = ("888", "790", "283")
SNAPSHOT_EVERY = timedelta(days=3)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(milliseconds=1)


def _when(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def _csv(header: list[str], rows: list) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _hashed(rng: random.Random) -> str:
    """A RetailRocket-style hashed value: ids, and numbers as `n` + decimal."""
    tokens = [str(rng.randint(100000, 1400000)) for _ in range(rng.randint(1, 3))]
    tokens.insert(rng.randrange(len(tokens) + 1), f"n{rng.randint(1, 9000)}.000")
    return " ".join(tokens)


def _tree(rng: random.Random) -> tuple[list[tuple[str, str]], dict]:
    ids = [str(i) for i in rng.sample(range(100, 1700), 26)]
    roots, mids, leaves = ids[:3], ids[3:9], ids[9:21]
    orphan, orphan_child, cycle_a, cycle_b, missing = ids[21:26]
    rows = [(r, "") for r in roots]
    rows += [(m, roots[i // 2]) for i, m in enumerate(mids)]
    rows += [(leaf, mids[i // 2]) for i, leaf in enumerate(leaves)]
    rows += [(orphan, missing), (orphan_child, orphan), (cycle_a, cycle_b), (cycle_b, cycle_a)]
    rng.shuffle(rows)
    info = {
        "categories": len(rows),
        "roots": sorted(roots),
        "leaves": sorted(leaves),
        "orphans": [orphan, orphan_child],
        "missing_parent": missing,
        "cycle": sorted([cycle_a, cycle_b]),
    }
    return rows, info


def generate_retail(
    out: Path,
    seed: int = 42,
    visitors: int = 40,
    items: int = 24,
    days: int = 3,
    start: date = date(2015, 6, 1),
) -> dict:
    """Write events.csv, item_properties_part1/2.csv and category_tree.csv to `out`; return the truth."""
    if visitors < 5 or items < 8 or days < 1:
        raise ValueError("retail needs at least 5 visitors, 8 items and 1 day")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)

    tree, tree_info = _tree(rng)
    (out / "category_tree.csv").write_text(_csv(["categoryid", "parentid"], tree), encoding="utf-8")

    # item properties: snapshot rounds from a week before start to the last event day
    item_ids = [str(i) for i in sorted(rng.sample(range(1, 470000), items))]
    rounds: list[datetime] = []
    while t0 - timedelta(days=7) + len(rounds) * SNAPSHOT_EVERY <= t0 + timedelta(days=days):
        rounds.append(t0 - timedelta(days=7) + len(rounds) * SNAPSHOT_EVERY)
    n = len(rounds)  # at least 3
    roles = rng.sample(item_ids, items)
    k = max(2, items // 6)
    movers, flippers, gone = roles[:k], roles[k : 2 * k], roles[2 * k]
    rows: list[tuple[int, str, str, str]] = []
    change_ts = {}
    for item in item_ids:
        cat = rng.choice(tree_info["leaves"])
        new_cat = rng.choice([c for c in tree_info["leaves"] if c != cat])
        change_round = rng.randint(1, n - 1)  # a mover's new category, or when `gone` goes
        off_at = rng.randint(1, n - 2)
        back_at = rng.randint(off_at + 1, n - 1)
        hashed = {"888": _hashed(rng), "790": f"n{rng.randint(100, 90000)}.000", "283": _hashed(rng)}
        offset = timedelta(hours=rng.randint(0, 20))  # each item is snapshot at its own time of day
        for r, when in enumerate(rounds):
            ts = _ms(when + offset + timedelta(seconds=rng.randint(0, 3599)))
            category = new_cat if item in movers and r >= change_round else cat
            if item in movers and r == change_round:
                change_ts[item] = ts
            available = "1"
            if (item in flippers and off_at <= r < back_at) or (item == gone and r >= change_round):
                available = "0"
            props = {"categoryid": category, "available": available} | hashed
            rows += [(ts, item, p, v) for p, v in props.items()]
    rng.shuffle(rows)  # unsorted, and the split below is not by time
    oldest, newest = min(rows), max(rows)  # make sure: the oldest snapshot row in part2, the newest in part1
    pool = [r for r in rows if r not in (oldest, newest)]
    part1, part2 = pool[: len(pool) // 2], pool[len(pool) // 2 :]
    part1.insert(rng.randrange(len(part1) + 1), newest)
    part2.insert(rng.randrange(len(part2) + 1), oldest)
    (out / "item_properties_part1.csv").write_text(_csv(PROPERTIES_HEADER, part1), encoding="utf-8")
    (out / "item_properties_part2.csv").write_text(_csv(PROPERTIES_HEADER, part2), encoding="utf-8")
    first_move = movers[0]
    checkpoints = [_ms(t0 - timedelta(days=5)), change_ts[first_move]]  # the second: exactly a snapshot
    checkpoints += [_ms(t0 + timedelta(days=d)) - 1 for d in range(1, days + 1)]  # end of each event day
    checkpoints.sort()
    states: dict[str, dict] = {}
    in_time_order = sorted(rows)
    for cp in checkpoints:
        state: dict[str, dict] = {item: {"categoryid": None, "available": None} for item in item_ids}
        for ts, item, prop, value in in_time_order:
            if ts <= cp and prop in ("categoryid", "available"):
                state[item][prop] = value
        states[str(cp)] = state

    # events: sessions of views, some carts, some purchases
    people = [str(v) for v in rng.sample(range(1, 1_500_000), visitors)]
    popularity = [1 / (i + 1) ** 0.7 for i in range(items)]
    events: list[tuple[int, str, str, str, str]] = []
    seen: set[tuple] = set()
    tid = rng.randint(1000, 5000)

    def emit(t: datetime, visitor: str, event: str, item: str, transaction: str = "") -> None:
        row = (_ms(t), visitor, event, item, transaction)
        while row in seen:
            row = (row[0] + 1, *row[1:])
        seen.add(row)
        events.append(row)

    for visitor in people:
        for _ in range(rng.choice((1, 1, 2, 3))):
            t = t0 + timedelta(
                days=rng.randrange(days), seconds=rng.randint(0, 82800), milliseconds=rng.randint(0, 999)
            )
            cart = []
            for _ in range(rng.randint(1, 6)):
                item = rng.choices(roles, popularity)[0]
                emit(t, visitor, "view", item)
                t += timedelta(seconds=rng.randint(5, 120), milliseconds=rng.randint(0, 999))
                if rng.random() < 0.3:
                    emit(t, visitor, "addtocart", item)
                    cart.append(item)
                    t += timedelta(seconds=rng.randint(5, 60), milliseconds=rng.randint(0, 999))
            if cart and rng.random() < 0.5:
                tid += rng.randint(1, 40)
                for item in dict.fromkeys(cart):
                    emit(t, visitor, "transaction", item, str(tid))
                    t += timedelta(milliseconds=rng.randint(1, 400))
    valid = list(events)
    lines: list[tuple] = list(events)
    copies = rng.sample(valid, max(2, len(valid) // 40))
    for row in copies:  # the tracker retried: the same row again, somewhere later in the file
        lines.insert(rng.randint(lines.index(row) + 1, len(lines)), row)
    bad: tuple
    for kind in BAD_KINDS:
        ts, visitor, event, item, transaction = rng.choice(valid)
        if kind == "bad_timestamp":
            bad = (_when(ts).strftime("%Y-%m-%d %H:%M:%S"), visitor, event, item, transaction)
        elif kind == "unknown_event":
            bad = (ts + 7, visitor, "wishlist", item, "")
        else:
            bad = (ts + 11, "", event, item, transaction)
        lines.insert(rng.randrange(len(lines) + 1), bad)
    (out / "events.csv").write_text(_csv(EVENTS_HEADER, lines), encoding="utf-8")

    by_day: dict[str, dict[str, int]] = {}
    for ts, _v, event, _i, _t in valid:
        day = by_day.setdefault(_when(ts).date().isoformat(), dict.fromkeys(EVENT_TYPES, 0))
        day[event] += 1
    truth = {
        "seed": seed,
        "start": start.isoformat(),
        "days": days,
        "events": {
            "lines": len(lines),
            "valid": len(valid),
            "duplicates": len(copies),
            "bad": dict.fromkeys(BAD_KINDS, 1),
            "by_day": dict(sorted(by_day.items())),
            "visitors": len({v for _, v, *_ in valid}),
            "transactions": len({t for *_, t in valid if t}),
        },
        "items": items,
        "item_properties": {
            "rows": len(rows),
            "part1_rows": len(part1),
            "part2_rows": len(part2),
            "snapshot_rounds": n,
            "properties": ["categoryid", "available", *HASHED],
            "category_changed": sorted(movers),
            "availability_back": sorted(flippers),
            "unavailable_for_good": gone,
        },
        "category_tree": tree_info,
        "checkpoints": [
            {"timestamp": cp, "utc": _when(cp).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
            for cp in checkpoints
        ],
        "item_state": states,
    }
    (out / "_generated.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def generate(out: Path, seed: int = 42, start: date | None = None) -> str:
    """`lakehouse generate` (lakehouse.landing.samples): the files, and one summary line."""
    t = generate_retail(out, seed, **({"start": start} if start else {}))
    e = t["events"]
    return (
        f"wrote events.csv, item_properties_part1/2.csv and category_tree.csv to {out}: "
        f"{e['valid']} events, {e['duplicates']} duplicates, {sum(e['bad'].values())} bad rows, "
        f"{t['item_properties']['rows']} property rows, {t['category_tree']['categories']} categories"
    )
