"""Synthetic user activity: weekly JSON-lines deliveries of user actions, each carrying the user's profile.

One line is one action (a post or a reply on an item) with the user's name, address and contact as they
were at the line's `last_modified_at`. A record is identified by (user_id, action_ts, action_type,
item_id). Three deliveries, user_activity_2025-03-01/-08/-15.json, each holding actions from before
its date. The mess, every piece deterministic and counted in `_generated.json`:

- profile gaps: one user has no address on file (no `user_address` key), one has `"user_contact": null`,
  two have no `Title`, one has `"ZipCode": null`. A gap belongs to the user, not to the line, so all of
  that user's lines have the same shape and the profile history stays unambiguous: the records are
  valid and the gaps read as nulls.
- delivery 2 re-sends some delivery-1 lines byte for byte (an export window that overlaps the last one);
- three users move or change contact during delivery 2's week (a newer last_modified_at), and one of
  them changes back during delivery 3's, so an SCD2 dimension must show A, B, A (three versions),
  not merge the two A's;
- delivery 3 carries a late action of another changed user, last modified before that user's change and
  so carrying the OLD profile: it is history and must not become the current profile;
- one delivery-1 record is corrected upstream (item_name) and re-sent in delivery 3 with a newer
  last_modified_at: same identity, the newer version wins;
- four bad lines: one not JSON, one without user_id, one with action_ts "sometime", one with
  action_type "Liked".
"""

from __future__ import annotations

import json
import random
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

# names and places (the sales domain's sample uses the same ones; each domain keeps its own copy)
FIRST = ("Ana", "Björn", "Chloé", "Dmitri", "Elif", "François", "Greta", "Hiro", "Inés", "José", "Kai", "Léa")
LAST = ("García", "Müller", "Okafor", "Smith", "Nguyen", "Rossi", "Dubois", "Kowalski", "Silva", "Brown")
CITIES = (
    ("Boston", "MA", "USA"),
    ("Lyon", "", "France"),
    ("München", "", "Germany"),
    ("Austin", "TX", "USA"),
    ("Toronto", "ON", "Canada"),
    ("São Paulo", "SP", "Brazil"),
)
DELIVERIES = ("2025-03-01", "2025-03-08", "2025-03-15")
# the actions each delivery holds: all before its date, the last modification at most 3 hours later
WINDOWS = (
    (datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 2, 27, 20, tzinfo=UTC)),
    (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 6, 20, tzinfo=UTC)),
    (datetime(2025, 3, 8, tzinfo=UTC), datetime(2025, 3, 13, 20, tzinfo=UTC)),
)
CHANGE_AT = datetime(2025, 3, 3, 12, 0, 30, tzinfo=UTC)  # changer k changes k hours later
BACK_AT = datetime(2025, 3, 10, 12, 0, 30, tzinfo=UTC)  # on :30 s, never equal to a line's time
ITEM_NAMES = "Trail Runner|Rain Shell|City Tote|Wool Beanie|Ankle Socks 3-pack|Hiking Boot|Down Parka"
ITEM_NAMES += "|Laptop Sleeve|Sun Visor|Crew Socks"
ITEMS = tuple(zip(ITEM_NAMES.split("|"), ("shoes", "jackets", "bags", "hats", "socks") * 2, strict=True))
STREETS = ("Main St", "Rue Haute", "Hauptstraße", "Rua Augusta", "Queen St W", "Calle Mayor")
BAD_KINDS = ("not_json", "missing_user_id", "bad_action_ts", "unknown_action_type")
GAPS = ("no_user_address", "null_user_contact", "no_title", "null_zip_code")


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _profile(rng: random.Random, i: int) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, state, country = rng.choice(CITIES)
    return {
        "user_name": {"FirstName": first, "LastName": last, "Title": rng.choice(("Mr", "Ms", "Dr"))},
        "user_address": {
            "Street": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
            "City": city,
            "State": state,
            "Country": country,
            "ZipCode": f"{rng.randint(1000, 99999):05d}",
        },
        "user_contact": {"type": "email", "value": f"{_ascii(first)}.{_ascii(last)}{i}@example.com"},
    }


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _identity(r: dict) -> tuple:
    return (r["user_id"], r["action_ts"], r["action_type"], r["item_id"])


def _profile_of(r: dict) -> dict:
    return {k: r.get(k) for k in ("user_name", "user_address", "user_contact")}


def generate_user_activity(out: Path, seed: int = 42, users: int = 12, activities: int = 90) -> dict:
    """Write three JSON-lines deliveries of user actions to `out`; return the ground truth."""
    if users < 8 or activities < users + 8:
        raise ValueError("user_activity needs at least 8 users and users + 8 activities")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    uid = [f"U{i:04d}" for i in range(users)]
    roles = rng.sample(range(users), users)
    changers = roles[:3]
    gap_users = dict(zip(GAPS, (roles[3:4], roles[4:5], roles[5:7], roles[7:8]), strict=True))
    reverted, late_user = changers[0], changers[1]
    b2c = [rng.random() < 0.7 for _ in range(users)]
    base = [_profile(rng, i) for i in range(users)]
    for u in gap_users["no_user_address"]:
        del base[u]["user_address"]
    for u in gap_users["null_user_contact"]:
        base[u]["user_contact"] = None
    for u in gap_users["no_title"]:
        del base[u]["user_name"]["Title"]
    for u in gap_users["null_zip_code"]:
        base[u]["user_address"]["ZipCode"] = None
    # each user's profile history: (from, profile); changers get a new one in delivery 2's week
    history = {u: [(WINDOWS[0][0], base[u])] for u in range(users)}
    change_at = {}
    for k, u in enumerate(changers):
        change_at[u] = CHANGE_AT + timedelta(hours=k)
        new = json.loads(json.dumps(base[u]))
        if k % 2 == 0:
            city, state, country = rng.choice([c for c in CITIES if c[0] != new["user_address"]["City"]])
            new["user_address"].update(
                Street=f"{rng.randint(1, 250)} {rng.choice(STREETS)}", City=city, State=state, Country=country
            )
        else:
            new["user_contact"] = {"type": "phone", "value": f"+1-555-{rng.randint(1000, 9999)}"}
        history[u].append((change_at[u], new))
    history[reverted].append((BACK_AT, base[reverted]))

    def record(u: int, when: datetime, lmt: datetime | None = None) -> dict:
        lmt = lmt or when + timedelta(minutes=rng.randint(1, 180))
        profile = [p for since, p in history[u] if since <= lmt][-1]
        item = rng.randrange(len(ITEMS))
        return (
            {"user_id": uid[u]}
            | profile
            | {
                "action_type": rng.choice(("Post", "Replied")),
                "action_ts": _iso(when),
                "item_id": f"I{item:04d}",
                "item_name": ITEMS[item][0],
                "item_category": ITEMS[item][1],
                "device": rng.choice(("mobile", "mobile", "desktop", "tablet")),
                "b2c": b2c[u],
                "last_modified_at": _iso(lmt),
            }
        )

    # what each delivery holds: every user in delivery 1, each changer before and after its change,
    # the change back, the late old-profile action, then random actions (delivery 1 the busiest)
    plan = [(0, u, *WINDOWS[0]) for u in range(users)]
    plan += [(1, u, change_at[u] + timedelta(seconds=30), WINDOWS[1][1]) for u in changers]
    plan += [(2, reverted, BACK_AT + timedelta(seconds=30), WINDOWS[2][1])]
    plan += [(2, late_user, WINDOWS[1][0], change_at[late_user] - timedelta(hours=4))]  # the late one
    while len(plan) < activities:
        d = rng.choices((0, 1, 2), weights=(2, 1, 1))[0]
        plan.append((d, rng.randrange(users), *WINDOWS[d]))
    deliveries: list[list[dict]] = [[], [], []]
    seen: set[tuple] = set()
    for d, u, lo, hi in plan:
        rec = None
        while rec is None or _identity(rec) in seen:
            rec = record(u, lo + timedelta(minutes=rng.randint(0, int((hi - lo).total_seconds()) // 60)))
        seen.add(_identity(rec))
        deliveries[d].append(rec)
    late = deliveries[2][1]  # the plan's fourth fixed entry: second in delivery 3

    # delivery 1's record corrected upstream, and delivery 1's lines re-sent unchanged in delivery 2
    first = deliveries[0]
    old = rng.choice([r for r in first if r["user_id"] not in {uid[c] for c in changers}])
    lmt = datetime(2025, 3, 12, 8, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 600))
    profile = [p for since, p in history[uid.index(old["user_id"])] if since <= lmt][-1]
    corrected = (
        old | profile | {"item_name": old["item_name"] + " (2025 edition)", "last_modified_at": _iso(lmt)}
    )
    resent = rng.sample([r for r in first if r is not old], max(3, len(first) // 8))
    lines: list[list[str]] = [
        [_line(r) for r in first],
        [_line(r) for r in deliveries[1] + resent],
        [_line(r) for r in deliveries[2] + [corrected]],
    ]
    # one bad line of each kind, each from a fresh action that is not counted
    bad_in = (0, 1, 1, 2)  # the delivery each bad kind is in
    for kind, d in zip(BAD_KINDS, bad_in, strict=True):
        bad = record(rng.randrange(users), WINDOWS[d][0] + timedelta(hours=rng.randint(1, 100)))
        if kind == "not_json":
            whole = _line(bad)
            lines[d].append(whole[: len(whole) * 2 // 3])  # a truncated write
            continue
        if kind == "missing_user_id":
            bad.pop("user_id")
        elif kind == "bad_action_ts":
            bad["action_ts"] = "sometime"
        else:
            bad["action_type"] = "Liked"
        lines[d].append(_line(bad))
    files = {}
    for d, (name, text) in enumerate(zip(DELIVERIES, lines, strict=True)):
        rng.shuffle(text)
        files[f"user_activity_{name}.json"] = {"lines": len(text), "bad": bad_in.count(d)}
        (out / f"user_activity_{name}.json").write_text("\n".join(text) + "\n", encoding="utf-8")

    # the truth, plainly from the records written
    versions = {(_identity(r), r["last_modified_at"]): r for r in first + deliveries[1] + deliveries[2]}
    versions[(_identity(corrected), corrected["last_modified_at"])] = corrected
    profile_versions, current = {}, {}
    for user in sorted({r["user_id"] for r in versions.values()}):
        mine = sorted(
            (r for r in versions.values() if r["user_id"] == user), key=lambda r: r["last_modified_at"]
        )
        shapes = [_profile_of(r) for r in mine]
        profile_versions[user] = sum(1 for i, p in enumerate(shapes) if i == 0 or p != shapes[i - 1])
        current[user] = shapes[-1] | {"last_modified_at": mine[-1]["last_modified_at"]}
    earlier = [r for r in first + deliveries[1] if r["user_id"] == uid[late_user]]
    truth = {
        "seed": seed,
        "files": files,
        "lines": sum(f["lines"] for f in files.values()),
        "records": len({i for i, _ in versions}),
        "record_versions": len(versions),
        "redelivered_unchanged": len(resent),
        "bad_lines": dict.fromkeys(BAD_KINDS, 1),
        "gaps": {
            gap: {
                "users": sorted(uid[u] for u in us),
                "records": len({i for i, _ in versions if i[0] in {uid[u] for u in us}}),
            }
            for gap, us in gap_users.items()
        },
        "changed_users": sorted(uid[u] for u in changers),
        "changed_back_user": uid[reverted],
        "late_older": {
            "user_id": uid[late_user],
            "action_ts": late["action_ts"],
            "last_modified_at": late["last_modified_at"],
            "newest_already_delivered": max(r["last_modified_at"] for r in earlier),
        },
        "corrected_record": {
            "user_id": old["user_id"],
            "action_ts": old["action_ts"],
            "action_type": old["action_type"],
            "item_id": old["item_id"],
            "item_name": [old["item_name"], corrected["item_name"]],
            "last_modified_at": [old["last_modified_at"], corrected["last_modified_at"]],
        },
        "profile_versions": profile_versions,
        "current_profile": current,
    }
    (out / "_generated.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return truth


def generate(out: Path, seed: int = 42) -> str:
    """`lakehouse generate` (lakehouse.landing.samples): the files, and one summary line."""
    t = generate_user_activity(out, seed)
    return (
        f"wrote 3 user_activity deliveries, {t['lines']} lines to {out}: {t['records']} records, "
        f"{t['redelivered_unchanged']} re-delivered unchanged, {sum(t['bad_lines'].values())} bad lines"
    )
