"""SCD type 2 histories as one pure DataFrame function, shared by every model with a versioned dimension.

`history` turns observations (a key, the tracked attributes, and the time each state was observed)
into validity ranges: one row per run of unchanged attributes, in time order. It depends only on the
set of observations, never on the order they arrived in, so an incremental load and a full reload of
the same inputs give the same history, and a late, older observation is placed at its own time
instead of overwriting a newer state. Used by dim_customer (sales), dim_user (activity) and dim_item
(retail).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

END_OF_TIME = "9999-12-31 00:00:00"  # valid_to of a current row: Athena compares it like any timestamp


def attributes_hash(tracked: Sequence[str]) -> Column:
    """One value per state of the tracked attributes (null and '' differ; the separator cannot occur)."""
    return F.sha2(
        F.concat_ws("\u001f", *[F.coalesce(F.col(c).cast("string"), F.lit("\u0000")) for c in tracked]), 256
    )


def carry_forward(observations: DataFrame, key: Sequence[str], at: str, columns: Sequence[str]) -> DataFrame:
    """Each column's last non-null value at or before each observation: for sources whose records or
    snapshots leave out what did not change (a missing object, a snapshot of one property)."""
    so_far = Window.partitionBy(*key).orderBy(at).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return observations.select(
        *[c for c in observations.columns if c not in columns],
        *[F.last(c, ignorenulls=True).over(so_far).alias(c) for c in columns],
    )


def history(
    observations: DataFrame,
    key: Sequence[str],
    tracked: Sequence[str],
    at: str,
    carry: Sequence[str] = (),
    prefer: Sequence[Column] = (),
) -> DataFrame:
    """Validity ranges of the tracked attributes per key.

    observations: rows with `key`, `tracked`, `at` (a non-null timestamp) and the `carry` columns.
    Several observations of one key at the same instant: the first by `prefer`, then by attributes
    hash, is kept (deterministic whatever the load order). A change closes the current row
    (valid_to = the change's time) and opens a new one; the same attributes again add nothing; a
    change back to earlier attributes is a new row. Returns key, tracked, attributes_hash, carry,
    valid_from, valid_to (END_OF_TIME when current) and is_current: exactly one current row per key,
    ranges that never overlap and leave no gap.
    """
    hashed = observations.withColumn("attributes_hash", attributes_hash(tracked))
    instant = Window.partitionBy(*key, at).orderBy(*prefer, "attributes_hash")
    one = hashed.withColumn("_n", F.row_number().over(instant)).where(F.col("_n") == 1)
    by_time = Window.partitionBy(*key).orderBy(at)
    changes = one.withColumn("_previous", F.lag("attributes_hash").over(by_time)).where(
        F.col("_previous").isNull() | (F.col("_previous") != F.col("attributes_hash"))
    )
    following = F.lead(at).over(by_time)
    return changes.select(
        *key,
        *tracked,
        "attributes_hash",
        *carry,
        F.col(at).alias("valid_from"),
        F.coalesce(following, F.to_timestamp(F.lit(END_OF_TIME))).alias("valid_to"),
        following.isNull().alias("is_current"),
    )


def as_of(
    facts: DataFrame, versions: DataFrame, key: Sequence[str], at: str, cover_before_first: bool
) -> DataFrame:
    """Each fact row with the columns of the version of its key valid at its time `at` (a
    point-in-time join; versions have valid_from/valid_to). `cover_before_first`: a key's first version
    also covers facts before it (a profile observed after the first action); else those get nulls."""
    v = versions
    if cover_before_first:
        first = F.min("valid_from").over(Window.partitionBy(*key))
        v = v.withColumn(
            "valid_from",
            F.when(F.col("valid_from") == first, F.to_timestamp(F.lit("0001-01-01 00:00:00"))).otherwise(
                F.col("valid_from")
            ),
        )
    v = v.select(*[F.col(c).alias(f"_v_{c}") for c in v.columns])
    cond = [F.col(k) == F.col(f"_v_{k}") for k in key]
    cond += [F.col(at) >= F.col("_v_valid_from"), F.col(at) < F.col("_v_valid_to")]
    joined = facts.join(v, cond, "left")
    return joined.select(
        *facts.columns,
        *[F.col(f"_v_{c}").alias(c) for c in versions.columns if c not in key and c not in facts.columns],
    )
