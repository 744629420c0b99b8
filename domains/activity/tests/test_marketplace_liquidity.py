"""marketplace_liquidity on hand-built gold rows: the view file rendered with its reply window, transpiled
by the local Athena (lakehouse.engine.sql.to_duckdb) and created over in-memory DuckDB tables with the
activity model's gold columns, then queried through lakehouse.engine.local.run, as `lakehouse views` and
`lakehouse query` do (no endpoint, no Spark). Every expected value is worked out by hand below.

A post is a 'Post'; it is replied within the window when another user's 'Replied' on the same item
follows it, strictly after the post and at most `liquidity_reply_window_hours` later (48 here).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from lakehouse.contract.model import load_models
from lakehouse.contract.tables import model_tables
from lakehouse.deploy.views import load_views
from lakehouse.engine.local import connect, run
from lakehouse.engine.sql import glue_to_duckdb_type, to_duckdb
from lakehouse.settings import Settings
from tests.plugin import REPO

VIEW = REPO / "domains" / "activity" / "views" / "marketplace_liquidity.sql"
SETTINGS = Settings(project="lhtest", env="local", domains=(REPO / "domains",))
GOLD = SETTINGS.database("gold")
MODEL = load_models(SETTINGS.domains)["activity"]

# item_key -> (item_id, category); I5 has no category
ITEMS = {1: ("I1", "shoes"), 2: ("I2", "shoes"), 3: ("I3", "bags"), 4: ("I4", "bags"), 5: ("I5", None)}


def ts(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute)


# (activity_key, user_id, item_key, action_type, action_ts)
ACTIONS = [
    # 03-10, shoes: P1 replied by B after 1 h -> replied
    (1, "A", 1, "Post", ts(10, 9)),
    (2, "B", 1, "Replied", ts(10, 10)),
    # 03-10, shoes: P2 replied by A itself after 1 h (no), by C after 49 h (outside 48 h) -> not replied
    (3, "A", 2, "Post", ts(10, 12)),
    (4, "A", 2, "Replied", ts(10, 13)),
    (5, "C", 2, "Replied", ts(12, 13)),
    # 03-10, shoes: P3 by B on I1; B's reply at 10:00 came before it; C replies exactly 48 h later
    # (the window's end, inclusive) -> replied. That reply is 59 h after P1: it does not matter to P1.
    (6, "B", 1, "Post", ts(10, 20)),
    (7, "C", 1, "Replied", ts(12, 20)),
    # 03-10, bags: P4 on I3, no reply at all -> not replied
    (8, "C", 3, "Post", ts(10, 8)),
    # 03-11, shoes: P7 by B on I2; C's reply of 03-12 13:00 (outside P2's window) is 28 h after it -> replied
    (9, "B", 2, "Post", ts(11, 9)),
    # 03-11, bags: P6 by A on I4: D replied before it (09:00), B at the same instant (not after), A
    # itself an hour later -> not replied
    (10, "D", 4, "Replied", ts(11, 9)),
    (11, "A", 4, "Post", ts(11, 10)),
    (12, "B", 4, "Replied", ts(11, 10)),
    (13, "A", 4, "Replied", ts(11, 11)),
    # 03-11, bags: P5 by D on I4 at 23:30, A replies 45 min later on 03-12 -> replied, counted on the
    # post's day (03-11). For P6 that reply is A's own: still not replied.
    (14, "D", 4, "Post", ts(11, 23, 30)),
    (15, "A", 4, "Replied", ts(12, 0, 15)),
    # 03-11, no category: P8 on I5, no reply -> 'unknown', not replied
    (16, "D", 5, "Post", ts(11, 15)),
]
NEWEST = ts(12, 20)  # action 7: the newest action loaded

# By hand, 48 h window (window_complete: the group's last post + 48 h <= NEWEST, 2025-03-12 20:00):
# 03-10 bags:    P4            -> 1 post, 0 replied, 0/1; P4 08:00 + 48 h = 03-12 08:00 <= NEWEST: complete
# 03-10 shoes:   P1, P2, P3    -> 3 posts, 2 replied (P1, P3), 2/3; P3 20:00 + 48 h = 03-12 20:00: complete
# 03-11 bags:    P6, P5        -> 2 posts, 1 replied (P5), 1/2; P5 23:30 + 48 h = 03-13 23:30: open
# 03-11 shoes:   P7            -> 1 post, 1 replied, 1/1; P7 09:00 + 48 h = 03-13 09:00: open
# 03-11 unknown: P8            -> 1 post, 0 replied, 0/1; P8 15:00 + 48 h = 03-13 15:00: open
EXPECTED_48H = [
    (date(2025, 3, 10), "bags", 1, 0, 0.0, True),
    (date(2025, 3, 10), "shoes", 3, 2, 2 / 3, True),
    (date(2025, 3, 11), "bags", 2, 1, 0.5, False),
    (date(2025, 3, 11), "shoes", 1, 1, 1.0, False),
    (date(2025, 3, 11), "unknown", 1, 0, 0.0, False),
]


@pytest.fixture
def gold():
    """An in-memory local Athena holding the activity model's gold tables (its columns and types) and
    the hand-built rows."""
    con = connect()
    con.execute(f'CREATE SCHEMA "{GOLD}"')
    for spec in model_tables(MODEL, SETTINGS):
        if spec.database == GOLD:
            cols = ", ".join(f'"{n}" {glue_to_duckdb_type(t)}' for n, t in spec.columns + spec.partition_keys)
            con.execute(f'CREATE TABLE "{GOLD}"."{spec.name}" ({cols})')
    con.execute(f'SET schema = "{GOLD}"')
    con.executemany(
        "INSERT INTO fact_user_activity (activity_key, user_id, item_key, action_type, action_ts) "
        "VALUES (?, ?, ?, ?, ?)",
        ACTIONS,
    )
    con.executemany(
        "INSERT INTO dim_activity_item (item_key, item_id, item_name, item_category) VALUES (?, ?, ?, ?)",
        [(k, item_id, f"item {item_id}", category) for k, (item_id, category) in ITEMS.items()],
    )
    yield con
    con.close()


def liquidity(con, window_hours: int):
    """The view file with the given reply window, created as the local engine creates catalog views,
    then read back with Athena SQL."""
    parameters = {"activity": {**MODEL.parameters, "liquidity_reply_window_hours": window_hours}}
    [view] = load_views([VIEW], parameters)
    con.execute(f'CREATE OR REPLACE VIEW "{GOLD}"."{view.name}" AS {to_duckdb(view.select_sql, con, GOLD)}')
    return run(con, "SELECT * FROM marketplace_liquidity ORDER BY activity_date, item_category", GOLD)


def test_the_model_declares_the_reply_window():
    window = MODEL.parameter("liquidity_reply_window_hours")
    assert isinstance(window, int) and window > 0
    [view] = load_views([VIEW], {"activity": MODEL.parameters})
    assert f"'HOUR', {window}," in view.select_sql and "${" not in view.select_sql


def test_share_of_posts_replied_by_another_user_within_the_window(gold):
    assert max(a[4] for a in ACTIONS) == NEWEST
    result = liquidity(gold, 48)
    assert result.columns == [
        "activity_date",
        "item_category",
        "posts",
        "posts_replied_within_window",
        "liquidity",
        "window_complete",
    ]
    assert result.types == ["date", "varchar", "bigint", "bigint", "double", "boolean"]
    assert result.rows == EXPECTED_48H


def test_the_window_comes_from_the_parameter(gold):
    # 72 h: P2's reply by C after 49 h now counts (03-10 shoes: 3 of 3); nothing else changes, and
    # no group's window has closed by 03-12 20:00 (P4 08:00 + 72 h = 03-13 08:00)
    rows = liquidity(gold, 72).rows
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        (date(2025, 3, 10), "bags", 0, 0.0, False),
        (date(2025, 3, 10), "shoes", 3, 1.0, False),
        (date(2025, 3, 11), "bags", 1, 0.5, False),
        (date(2025, 3, 11), "shoes", 1, 1.0, False),
        (date(2025, 3, 11), "unknown", 0, 0.0, False),
    ]
    # 1 h: only P1 (reply after exactly 1 h) and P5 (45 min) are replied
    assert [r[3] for r in liquidity(gold, 1).rows] == [0, 1, 1, 0, 0]
