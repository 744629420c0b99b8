"""The retail model on hand-made rows: item history from snapshots, the category tree, point-in-time events."""

from __future__ import annotations

import datetime as dt

import pytest
from lakehouse_domains.retail import transform as retail

T0 = dt.datetime(2015, 6, 1)


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


# the category tree: pure Python ------------------------------------------------------------------
def test_category_paths_levels_and_leaves():
    categories, rejected = retail.resolve_tree({"1": None, "2": "1", "3": "2", "4": "1", "9": None})
    got = {c.category_id: (c.path, c.level, c.top_category_id, c.is_leaf) for c in categories}
    assert got == {
        "1": ("1", 1, "1", False),
        "2": ("1 > 2", 2, "1", False),
        "3": ("1 > 2 > 3", 3, "1", True),
        "4": ("1 > 4", 2, "1", True),
        "9": ("9", 1, "9", True),
    }
    assert rejected == {}


def test_an_orphan_and_a_cycle_are_reported_with_their_descendants_not_fatal():
    parents = {"1": None, "2": "1", "5": "404", "6": "5", "7": "8", "8": "7", "10": "7"}
    categories, rejected = retail.resolve_tree(parents)
    assert sorted(c.category_id for c in categories) == ["1", "2"]
    assert rejected == {
        "5": "category_orphan:parentid:referential_integrity",
        "6": "category_orphan:parentid:referential_integrity",
        "7": "category_cycle:parentid:hierarchy",
        "8": "category_cycle:parentid:hierarchy",
        "10": "category_cycle:parentid:hierarchy",
    }
    # the parent's own parent is itself: a cycle of one
    assert retail.resolve_tree({"3": "3"})[1] == {"3": "category_cycle:parentid:hierarchy"}


# item history: Spark ------------------------------------------------------------------------------
PROPS = "timestamp timestamp, itemid string, property string, value string"


def items(spark, rows):
    dim = retail.dim_item(spark.createDataFrame(rows, PROPS))
    return [
        (r["item_id"], r["category_id"], r["is_available"], r["valid_from"], r["valid_to"], r["is_current"])
        for r in dim.orderBy("item_id", "valid_from").collect()
    ]


END = dt.datetime(9999, 12, 31)


@pytest.mark.spark
def test_item_history_from_out_of_order_repeated_snapshots_with_a_change_back(spark):
    rows = [  # given out of order, as the split files deliver them
        (at(14), "42", "available", "1"),  # change back
        (at(0), "42", "categoryid", "7"),
        (at(7), "42", "available", "0"),  # change
        (at(0), "42", "available", "1"),
        (at(3), "42", "categoryid", "7"),  # repeated snapshot: no change
        (at(3), "42", "888", "1338524 n552.000"),  # another property: not tracked
        (at(10), "42", "categoryid", "9"),  # category moves while unavailable
    ]
    assert items(spark, rows) == [
        ("42", "7", True, at(0), at(7), False),
        ("42", "7", False, at(7), at(10), False),
        ("42", "9", False, at(10), at(14), False),
        ("42", "9", True, at(14), END, True),
    ]
    # the same snapshots in another order (a full reload of other files) give the same history
    assert items(spark, list(reversed(rows))) == items(spark, rows)


@pytest.mark.spark
def test_events_join_the_item_version_valid_at_their_time(spark):
    dim = retail.dim_item(
        spark.createDataFrame(
            [
                (at(0), "42", "available", "1"),
                (at(5), "42", "available", "0"),
                (at(0), "42", "categoryid", "7"),
            ],
            PROPS,
        )
    ).cache()
    events = spark.createDataFrame(
        [
            (at(-1), "v1", "view", "42", None, "f", 1),  # before the first snapshot: no version
            (at(1), "v1", "addtocart", "42", "", "f", 2),
            (at(6), "v2", "view", "42", None, "f", 3),
            (at(2), "v3", "view", "77", None, "f", 4),  # an item never snapshotted
            (dt.datetime(1999, 12, 31), "v4", "view", "42", None, "f", 5),  # outside the calendar
        ],
        "timestamp timestamp, visitorid string, event string, itemid string, transactionid string, "
        "_source_file string, _source_line bigint",
    )
    fact, rejected = retail.fact_events(events, dim)
    versions = {r["item_key"]: r["is_available"] for r in dim.collect()}
    got = {r["event_ts"]: versions.get(r["item_key"]) if r["item_key"] else None for r in fact.collect()}
    assert got == {at(-1): None, at(1): True, at(6): False, at(2): None}
    assert [(r["_source_line"], r["_codes"]) for r in rejected.collect()] == [
        (5, ["fk_date:date_key:referential_integrity"])
    ]
    assert {r["transaction_id"] for r in fact.collect()} == {None}  # '' is no transaction id


@pytest.mark.spark
def test_epoch_millisecond_events_are_typed_and_a_bad_timestamp_is_quarantined(spark, tmp_path):
    from lakehouse.contract.dataset import load_contract
    from lakehouse.landing.ingest import _parse_time
    from lakehouse.transforms import silver as r2s
    from lakehouse.transforms.csv_records import parse_csv_files
    from tests.plugin import REPO

    contract = load_contract(REPO / "domains" / "retail" / "retail_events.yaml")
    text = (
        "timestamp,visitorid,event,itemid,transactionid\n"
        "1433221332117,257597,view,355908,\n"
        "1433224214164,992329,transaction,248676,4000\n"
        "yesterday,1,view,2,\n"
        "1433224214164,992329,wishlist,248676,\n"
        "1433224214164,992329,transaction,248676,\n"
        "1433221332117.0,257597,view,355908,\n"
        "-70000000000000,257597,view,355908,\n"
    )
    local = tmp_path / "events.csv"
    local.write_text(text)
    files = [(str(local), "s3://raw/retail_events/events.csv", local.stat().st_size)]
    checked = r2s.validate(parse_csv_files(spark, files, contract), contract)
    rows = {r["_source_line"]: r for r in checked.collect()}
    assert rows[2]["timestamp"] == dt.datetime(2015, 6, 2, 5, 2, 12, 117000) and rows[2]["_reasons"] == []
    assert rows[3]["_reasons"] == []
    assert rows[4]["_reasons"] == ["type_timestamp:timestamp:unparseable"]
    assert rows[5]["_reasons"] == ["known_event:event:accepted_values"]
    assert rows[6]["_reasons"] == ["transaction_has_id:transactionid:expression"]
    assert rows[7]["_reasons"] == ["type_timestamp:timestamp:unparseable"]  # not a whole number
    assert rows[8]["_reasons"] == ["type_timestamp:timestamp:unparseable"]  # before year 1
    # `lakehouse check` reads each value as the job does
    from lakehouse.landing.check import parses_as

    column = contract.column("timestamp")
    values = ("1433221332117", "+5", "-5", "1433221332117.0", "yesterday", "-70000000000000")
    assert [parses_as(v, column) for v in values] == ["epoch_millis"] * 3 + [None] * 3
    # ingest places the file by the same reading of the time
    assert _parse_time("1433221332117", ("epoch_millis",)) == dt.datetime(
        2015, 6, 2, 5, 2, 12, 117000, tzinfo=dt.UTC
    )


@pytest.mark.spark
def test_every_tree_row_is_in_dim_category_or_quarantined_even_ids_differing_by_spaces(spark):
    tree = spark.createDataFrame(
        [("1", "", "f", 2), ("5", "1", "f", 3), ("5 ", "1", "f", 4), ("6", "404", "f", 5)],
        "categoryid string, parentid string, _source_file string, _source_line bigint",
    )
    dim, rejected = retail.dim_category(spark, tree)
    assert sorted(r["category_id"] for r in dim.collect()) == ["1", "5", "5 "]  # as silver keys them
    assert [r["_source_line"] for r in rejected.collect()] == [5]


def test_a_streamed_csv_numbers_lines_across_read_chunks_and_quoted_line_breaks():
    """The parser reads lines as it needs them: records whose quoted fields span lines, with CRLF and
    a BOM, keep their first line's number and their exact text, far past the reader's first chunk."""
    import io

    from lakehouse.transforms.csv_records import parse_csv_stream

    lines, expected, at = ["\ufeffid,note\r\n"], [], 2
    for i in range(20_000):
        note = f'"two\r\nlines {i}"' if i % 97 == 0 else f"n{i}"
        lines.append(f"r{i},{note}\r\n")
        expected.append((at, f"r{i},{note}"))
        at += 2 if i % 97 == 0 else 1
    data = "".join(lines).encode()
    rows = list(parse_csv_stream("f.csv", lambda: io.BytesIO(data), ("id", "note")))
    assert [(r[1], r[2]) for r in rows] == expected
    assert rows[97][5] == "two\r\nlines 97" and all(r[3] is None for r in rows)
