"""Silver -> gold star schema as pure DataFrame functions, driven by the contract's `star` mapping.

Surrogate keys are 64-bit hashes of the natural key (xxhash64 over the key values with a null marker):
the same natural key always gets the same key, so facts find their dimension rows without a lookup,
reruns and incremental loads keep keys stable, and a null natural key maps to one "unknown" member.
Calendar keys are yyyymmdd integers.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.contract.dataset import Contract, Dimension, Fact
from lakehouse.contract.tables import dimension_columns, fact_columns
from lakehouse.transforms import calendar

_NULL = "\u0000"
_SEP = "\u001f"


def surrogate_key(*natural_key: str) -> Column:
    """Deterministic bigint key of a natural key (null-safe: (a, null) and (null, a) differ)."""
    parts = [F.coalesce(F.col(f"`{c}`").cast("string"), F.lit(_NULL)) for c in natural_key]
    return F.xxhash64(F.concat_ws(_SEP, *parts))


date_key = calendar.date_key


def _conform(df: DataFrame, columns: tuple[tuple[str, str], ...]) -> DataFrame:
    """Exactly the declared columns, in order, cast to their declared types."""
    return df.select(*[F.col(f"`{n}`").cast(t).alias(n) for n, t in columns])


def build_dimension(silver: DataFrame, dim: Dimension, fiscal: DataFrame | None = None) -> DataFrame:
    """One row per natural key.

    `expr` columns depend on the key only, so they are computed once per key after grouping, not on
    every silver row (e.g. parse_url over a million page views for a hundred pages).
    """
    if dim.kind == "calendar":
        return build_calendar(silver, dim, fiscal)
    aggs, computed = [], []
    for c in dim.columns:
        if c.name in dim.natural_key and not (c.expr or c.agg):
            continue
        if c.agg:
            aggs.append(F.expr(c.agg).alias(c.name))
        elif c.expr:
            computed.append((c.name, F.expr(c.expr)))
        else:
            aggs.append(F.max(F.col(f"`{c.name}`")).alias(c.name))
    keys = [F.col(f"`{k}`") for k in dim.natural_key]
    grouped = silver.groupBy(*keys).agg(*aggs) if aggs else silver.select(*keys).distinct()
    for name, expr in computed:
        grouped = grouped.withColumn(name, expr)
    return _conform(
        grouped.withColumn(dim.surrogate_key, surrogate_key(*dim.natural_key)), dimension_columns(dim)
    )


def build_calendar(silver: DataFrame, dim: Dimension, fiscal: DataFrame | None = None) -> DataFrame:
    """The conformed calendar (see transforms.calendar); `source_column` only keys the facts to it."""
    return _conform(
        calendar.build_calendar(silver.sparkSession, fiscal, dim.surrogate_key), dimension_columns(dim)
    )


def build_fact(silver: DataFrame, fact: Fact, contract: Contract) -> DataFrame:
    """Fact rows at the grain of the silver rows, with a foreign key for each referenced dimension."""
    cols: dict[str, Column] = {fact.surrogate_key: surrogate_key(*fact.natural_key)}
    for ref in fact.references:
        dim = contract.dimension(ref)
        cols[dim.surrogate_key] = (
            date_key(F.col(f"`{dim.source_column}`"))
            if dim.kind == "calendar"
            else surrogate_key(*dim.natural_key)
        )
    for c in fact.columns:
        cols[c.name] = F.expr(c.expr) if c.expr else F.col(f"`{c.name}`")
    for p in fact.partitions:
        cols[p.name] = F.expr(p.expr)
    out = silver.select(*[expr.alias(name) for name, expr in cols.items()])
    return _conform(out, fact_columns(fact, contract) + tuple((p.name, p.type) for p in fact.partitions))
