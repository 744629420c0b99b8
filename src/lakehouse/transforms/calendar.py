"""The conformed date dimension: one `dim_date` for every domain, over a fixed range of days.

Every domain keys its facts by `date_key` (yyyymmdd). A calendar built from each domain's own
dates would make the two overwrite each other; a fixed range (2000-01-01 .. 2039-12-31, 14,610 rows)
built once, by its one owner (the calendar domain's model, domains/calendar/), does not. Fiscal
attributes come from a dataset of fiscal periods when one is loaded, and are null otherwise.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

CALENDAR_START, CALENDAR_END = date(2000, 1, 1), date(2039, 12, 31)
FISCAL_COLUMNS = ("fiscal_year", "fiscal_quarter", "fiscal_month", "fiscal_week")


def date_key(col) -> F.Column:
    return F.date_format(col, "yyyyMMdd").cast("int")


def build_calendar(spark: SparkSession, fiscal: DataFrame | None = None, key: str = "date_key") -> DataFrame:
    """One row per day of the range: calendar attributes (ISO weekday), and fiscal ones when known."""
    days = spark.sql(f"SELECT explode(sequence(DATE'{CALENDAR_START}', DATE'{CALENDAR_END}')) AS date")
    d = F.col("date")
    cal = days.select(
        date_key(d).alias(key),
        d.alias("date"),
        F.year(d).alias("year"),
        F.quarter(d).alias("quarter"),
        F.month(d).alias("month"),
        F.date_format(d, "MMMM").alias("month_name"),
        F.dayofmonth(d).alias("day"),
        ((F.dayofweek(d) + 5) % 7 + 1).alias("day_of_week"),  # ISO: Monday = 1 ... Sunday = 7
        F.date_format(d, "EEEE").alias("day_name"),
        F.dayofyear(d).alias("day_of_year"),
        F.weekofyear(d).alias("week_of_year"),
        F.dayofweek(d).isin(1, 7).alias("is_weekend"),
    )
    if fiscal is None:
        return cal.select("*", *[F.lit(None).cast("int").alias(c) for c in FISCAL_COLUMNS])
    periods = fiscal.select(
        F.col("date").cast("date").alias("date"), *[F.col(c).cast("int") for c in FISCAL_COLUMNS]
    )
    return cal.join(periods.dropDuplicates(["date"]), "date", "left").select(
        key, "date", *[c for c in cal.columns if c not in (key, "date")], *FISCAL_COLUMNS
    )
