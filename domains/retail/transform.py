"""The retail gold model as pure functions: item history from property snapshots, the category tree, events.

Sources (silver): retail_events (view / addtocart / transaction), item_properties (periodic snapshots of
each item's properties, out of order and repeated), category_tree (child -> parent). Rules:

- dim_item: SCD2 over (category_id, is_available) per item. At each snapshot time, a property the
  snapshot does not carry keeps its last value (the log snapshots properties separately); repeated
  snapshots add nothing, a change back opens a new version, order of arrival does not matter.
- dim_category: every category reachable from a root, with `path` (ids from the root, ' > ') and
  `level` (root = 1). A category whose chain of parents reaches a parent that does not exist is an
  orphan; one whose chain loops is in (or under) a cycle. Both go to the model's quarantine with
  their reason, never fail the run. The tree is small (RetailRocket's has 1,669 rows), so it is
  resolved on the driver, in plain Python (`resolve_tree`).
- fact_events: one row per distinct event, partitioned by event date; item_key is the dim_item
  version valid at the event, null for events before the item's first snapshot (the views call that
  availability unknown). An event outside the conformed calendar goes to quarantine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.contract.quality import Code
from lakehouse.transforms.calendar import CALENDAR_END, CALENDAR_START, date_key
from lakehouse.transforms.model_build import ModelBuild
from lakehouse.transforms.scd2 import as_of, carry_forward, history
from lakehouse.transforms.star import surrogate_key

FK_DATE = Code("fk_date", "date_key", "referential_integrity")
ORPHAN = Code("category_orphan", "parentid", "referential_integrity")
CYCLE = Code("category_cycle", "parentid", "hierarchy")
CHECKS = (
    (FK_DATE, "event time outside dim_date (2000-2039)"),
    (ORPHAN, "the category's chain of parents reaches a parent that does not exist"),
    (CYCLE, "the category's chain of parents loops (the category is in or under a cycle)"),
)
TRACKED = ("category_id", "is_available")


# item history ------------------------------------------------------------------------------------
def item_states(properties: DataFrame) -> DataFrame:
    """(item_id, at, category_id, is_available) per snapshot time, properties carried forward."""
    relevant = properties.where(F.col("property").isin("categoryid", "available"))
    value = F.trim(F.col("value"))
    per_time = relevant.groupBy(F.col("itemid").alias("item_id"), F.col("timestamp").alias("at")).agg(
        F.max(F.when(F.col("property") == "categoryid", value)).alias("category_id"),
        # two snapshots at one instant that disagree: available wins (max of 0/1), deterministically
        F.max(F.when(F.col("property") == "available", value)).alias("_available"),
    )
    states = per_time.select(
        "item_id",
        "at",
        "category_id",
        F.when(F.col("_available") == "1", True)
        .when(F.col("_available") == "0", False)
        .alias("is_available"),
    )
    return carry_forward(states, ["item_id"], "at", list(TRACKED))


def dim_item(properties: DataFrame) -> DataFrame:
    rows = history(item_states(properties), ["item_id"], list(TRACKED), "at")
    return rows.select(
        surrogate_key("item_id", "valid_from").alias("item_key"),
        "item_id",
        *TRACKED,
        "attributes_hash",
        "valid_from",
        "valid_to",
        "is_current",
    )


# category tree -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    category_id: str
    parent_id: str | None
    top_category_id: str
    path: str
    level: int
    is_leaf: bool


def resolve_tree(parents: dict[str, str | None]) -> tuple[list[Category], dict[str, str]]:
    """Categories reachable from a root, and {category: code} for the others (orphan or cycle).

    parents: category -> parent (None for a root). A category's chain is followed to a root; a parent
    id not in `parents` makes it (and everything under it) an orphan; a repeated id, a cycle.
    """
    resolved: dict[str, list[str]] = {}  # category -> ids from the root to it
    rejected: dict[str, str] = {}
    for start in sorted(parents):
        chain: list[str] = []
        seen: set[str] = set()
        node: str | None = start
        outcome: list[str] | str | None = None
        while node is not None:
            if node in resolved:
                outcome = resolved[node]
                break
            if node in rejected:
                outcome = rejected[node]
                break
            if node in seen:
                outcome = str(CYCLE)
                break
            if node not in parents:
                outcome = str(ORPHAN)
                break
            seen.add(node)
            chain.append(node)
            node = parents[node]
        if outcome is None or isinstance(outcome, list):  # reached a root, or a resolved ancestor
            path = list(outcome or [])
            for category in reversed(chain):
                path = [*path, category]
                resolved[category] = path
        else:
            for category in chain:
                rejected[category] = outcome
    has_children = {p for c, p in parents.items() if p is not None and c in resolved}
    categories = [
        Category(c, parents[c], path[0], " > ".join(path), len(path), c not in has_children)
        for c, path in sorted(resolved.items())
    ]
    return categories, rejected


def dim_category(spark: SparkSession, tree: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(dim_category rows, rejected tree rows with `_codes`), resolved on the driver (see module doc)."""
    rows = tree.select("categoryid", "parentid", "_source_file", "_source_line").collect()
    # ids exactly as silver keys them (its dedupe is on the exact categoryid); a blank parent is a root
    parents = {r.categoryid: r.parentid if (r.parentid or "").strip() else None for r in rows}
    categories, rejected = resolve_tree(parents)
    schema = "category_id string, parent_id string, top_category_id string, path string, level int, is_leaf boolean"
    dim = spark.createDataFrame([tuple(c.__dict__.values()) for c in categories], schema).select(
        surrogate_key("category_id").alias("category_key"), "*"
    )
    bad = [
        (
            r._source_file,
            r._source_line,
            [rejected[r.categoryid]],
            json.dumps(r.asDict(), sort_keys=True),
        )
        for r in tree.select("categoryid", "parentid", "_source_file", "_source_line").collect()
        if r.categoryid in rejected
    ]
    rejected_rows = spark.createDataFrame(
        bad, "_source_file string, _source_line bigint, _codes array<string>, _record string"
    )
    return dim, rejected_rows


# events ------------------------------------------------------------------------------------------
def fact_events(events: DataFrame, items: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(fact rows, rejected rows with `_codes`) from distinct events and dim_item."""
    typed = events.select(
        F.col("timestamp").alias("event_ts"),
        F.col("visitorid").alias("visitor_id"),
        F.col("event").alias("event_type"),
        F.col("itemid").alias("item_id"),
        F.when(F.trim("transactionid") != "", F.trim("transactionid")).alias("transaction_id"),
        "_source_file",
        "_source_line",
    )
    versions = items.select("item_id", "item_key", "valid_from", "valid_to")
    joined = as_of(typed, versions, ["item_id"], "event_ts", cover_before_first=False)
    in_calendar = F.to_date("event_ts").between(F.lit(CALENDAR_START), F.lit(CALENDAR_END))
    checked = joined.withColumn("_code", F.when(~in_calendar, F.lit(str(FK_DATE))))
    fact = checked.where(F.col("_code").isNull()).select(
        surrogate_key("event_ts", "visitor_id", "event_type", "item_id", "transaction_id").alias("event_key"),
        "event_ts",
        "visitor_id",
        "event_type",
        "item_id",
        "item_key",
        "transaction_id",
        date_key(F.col("event_ts")).alias("date_key"),
        F.to_date("event_ts").alias("event_date"),
    )
    rejected = checked.where(F.col("_code").isNotNull()).select(
        "_source_file",
        "_source_line",
        F.array("_code").alias("_codes"),
        F.to_json(
            F.struct(F.col("event_ts").cast("string").alias("timestamp"), "visitor_id", "item_id")
        ).alias("_record"),
    )
    return fact, rejected


def build(
    spark: SparkSession, sources: dict[str, DataFrame | None], params: dict[str, Any]
) -> ModelBuild | None:
    """The retail model; None until events have landed (items and categories may come later)."""
    events = sources.get("retail_events")
    if events is None:
        return None
    empty_props = spark.createDataFrame(
        [], "timestamp timestamp, itemid string, property string, value string"
    )
    properties = sources.get("item_properties")
    items = dim_item(empty_props if properties is None else properties).cache()
    events = events.cache()
    fact, rejected = fact_events(events, items)
    tables = {"dim_item": items, "fact_events": fact}
    more: tuple[tuple[DataFrame, str], ...] = ()
    tree = sources.get("category_tree")
    if tree is not None:
        tree = tree.cache()
        categories, bad_categories = dim_category(spark, tree)
        tables["dim_category"] = categories
        rejected = rejected.unionByName(bad_categories)
        more = ((tree, "dim_category"),)
    return ModelBuild(tables, events, "fact_events", rejected, CHECKS, more)
