"""The activity gold model as pure DataFrame functions: SCD2 users, items, devices and the action fact.

Source: user_activity silver (nested profile objects already flattened by the contract). Each record
is one action plus the acting user's profile as of the record's `last_modified_at`; silver keeps
every distinct version of a record. Rules:

- dim_user: SCD2 over name, address and contact, versioned by last_modified_at. A value a record
  leaves out (a missing `user_address`, a null `Title`) means "not sent": the user's last known value
  carries forward, so an incomplete record does not open a version. An unchanged re-delivery adds
  nothing, a late older version is placed at its own time (it never becomes current over a newer
  one), a change back opens a new version; the history is a function of the set of records, so an
  incremental load equals a full reload.
- fact_user_activity: one row per action (user, time, type, item), its newest version; user_key is
  the dim_user version valid at the action (a user's first version also covers earlier actions).
- dim_activity_item: each item's name and category from its newest record; dim_device: one row per device.
- An action outside the conformed calendar (2000-2039) goes to the model's quarantine.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lakehouse.contract.quality import Code
from lakehouse.transforms.calendar import CALENDAR_END, CALENDAR_START, date_key
from lakehouse.transforms.model_build import ModelBuild
from lakehouse.transforms.scd2 import as_of, carry_forward, history
from lakehouse.transforms.star import surrogate_key

FK_DATE = Code("fk_date", "date_key", "referential_integrity")
CHECKS = ((FK_DATE, "action time outside dim_date (2000-2039)"),)

# dim_user column <- silver column (the contract's flattened structs)
PROFILE = {
    "first_name": "user_name_first_name",
    "last_name": "user_name_last_name",
    "title": "user_name_title",
    "street": "user_address_street",
    "city": "user_address_city",
    "state": "user_address_state",
    "country": "user_address_country",
    "zip_code": "user_address_zip_code",
    "contact_type": "user_contact_type",
    "contact_value": "user_contact_value",
}
ACTION = ("user_id", "action_ts", "action_type", "item_id")  # what identifies an action


def _blank_to_null(name: str):
    return F.when(F.trim(F.col(name)) == "", None).otherwise(F.trim(F.col(name)))


def user_versions(activity: DataFrame) -> DataFrame:
    """Every observed profile of every user at its last_modified_at, missing values carried forward.

    Records of one user with the same last_modified_at are one observation first (each attribute's
    greatest non-null value), so what carries into a gap does not depend on the order rows are read."""
    observed = activity.groupBy("user_id", "last_modified_at").agg(
        *[F.max(_blank_to_null(src)).alias(dst) for dst, src in PROFILE.items()]
    )
    return carry_forward(observed, ["user_id"], "last_modified_at", list(PROFILE))


def dim_user(activity: DataFrame) -> DataFrame:
    rows = history(user_versions(activity), ["user_id"], list(PROFILE), "last_modified_at")
    return rows.select(
        surrogate_key("user_id", "valid_from").alias("user_key"),
        "user_id",
        *PROFILE,
        "attributes_hash",
        "valid_from",
        "valid_to",
        "is_current",
    )


def latest_actions(activity: DataFrame) -> DataFrame:
    """One row per action: its newest version (by last_modified_at, then source file and line); a
    missing device is `unknown` (a member of dim_device, so every action has a device_key)."""
    newest = Window.partitionBy(*ACTION).orderBy(
        F.col("last_modified_at").desc(), F.col("_source_file").desc(), F.col("_source_line").desc()
    )
    latest = activity.withColumn("_n", F.row_number().over(newest)).where(F.col("_n") == 1).drop("_n")
    return latest.withColumn("device", F.coalesce(_blank_to_null("device"), F.lit("unknown")))


def dim_item(actions: DataFrame) -> DataFrame:
    newest = Window.partitionBy("item_id").orderBy(
        F.col("last_modified_at").desc(),
        F.col("action_ts").desc(),
        F.col("_source_file").desc(),  # a tie: the same choice whatever order rows are read in
        F.col("_source_line").desc(),
    )
    return (
        actions.withColumn("_n", F.row_number().over(newest))
        .where(F.col("_n") == 1)
        .select(surrogate_key("item_id").alias("item_key"), "item_id", "item_name", "item_category")
    )


def dim_device(actions: DataFrame) -> DataFrame:
    return actions.select("device").distinct().select(surrogate_key("device").alias("device_key"), "device")


def fact_user_activity(actions: DataFrame, users: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(fact rows, rejected rows with `_codes`) from the newest version of each action and dim_user."""
    versions = users.select("user_id", "user_key", "valid_from", "valid_to")
    joined = as_of(actions, versions, ["user_id"], "action_ts", cover_before_first=True)
    in_calendar = F.to_date("action_ts").between(F.lit(CALENDAR_START), F.lit(CALENDAR_END))
    checked = joined.withColumn("_code", F.when(~in_calendar, F.lit(str(FK_DATE))))
    fact = checked.where(F.col("_code").isNull()).select(
        surrogate_key(*ACTION).alias("activity_key"),
        "user_key",
        "user_id",
        surrogate_key("item_id").alias("item_key"),
        surrogate_key("device").alias("device_key"),
        date_key(F.col("action_ts")).alias("date_key"),
        "action_type",
        "action_ts",
        F.col("b2c").alias("is_b2c"),
        "last_modified_at",
        F.date_format("action_ts", "yyyy-MM").alias("action_month"),
    )
    rejected = checked.where(F.col("_code").isNotNull()).select(
        "_source_file",
        "_source_line",
        F.array("_code").alias("_codes"),
        F.to_json(F.struct(*[F.col(c).cast("string").alias(c) for c in ACTION])).alias("_record"),
    )
    return fact, rejected


def build(
    spark: SparkSession, sources: dict[str, DataFrame | None], params: dict[str, Any]
) -> ModelBuild | None:
    """The activity model; None until user_activity has landed."""
    activity = sources.get("user_activity")
    if activity is None:
        return None
    actions = latest_actions(activity).cache()
    users = dim_user(activity).cache()
    fact, rejected = fact_user_activity(actions, users)
    tables = {
        "dim_user": users,
        "dim_activity_item": dim_item(actions),
        "dim_device": dim_device(actions),
        "fact_user_activity": fact,
    }
    return ModelBuild(tables, actions, "fact_user_activity", rejected, CHECKS)
