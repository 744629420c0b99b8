"""Point-in-time customer features as pure DataFrame functions (the customer_features model).

For each snapshot day D and each customer with any transaction or clickstream event dated on or before
D (UTC), from that history only:

- purchase_count: sales (amount > 0); total_spend: the sum of all amounts, refunds negative;
  avg_transaction_value: total_spend / purchase_count (null without sales), rounded half up to cents;
- recency_days: days from the last sale to D (null without sales);
- transactions_last_30_days: sales dated after D - recent_days and on or before D;
- session_count and avg_session_duration_seconds: the customer's clickstream sessions with an event
  dated on or before D, each from its first to its last such event (later events of a session do not
  count: they had not happened yet), rounded to 0.1 s.

Nothing after D counts: each day's features are computed from rows dated <= D only, whatever else
silver holds. A backfill computes every day of a range in one job (the history joined to the days).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.errors import ContractError
from lakehouse.transforms.model_build import ModelBuild


class SnapshotError(ContractError):
    """A snapshot argument that is not a date, in the future, or a range that is empty or too long (a
    ContractError: the job reports its message, which names arguments and dates, never data)."""

    def __init__(self, argument: str, problem: str):
        super().__init__("customer_features run", argument, problem)


def snapshot_days(params: dict[str, Any], today: date | None = None) -> list[date]:
    """The days a run builds: snapshot_date (default yesterday, the last complete UTC day, so the
    automation's builds see a whole day) through snapshot_to (default the same). A day after today
    would be computed from today's data, so it is refused."""
    today = today or datetime.now(UTC).date()

    def day(name: str, default: date) -> date:
        value = params.get(name)
        if value in (None, ""):
            return default
        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            raise SnapshotError(name, f"must be a date, YYYY-MM-DD, got {str(value)[:40]!r}") from None
        if parsed > today:
            raise SnapshotError(name, f"{parsed} is in the future (today is {today}, UTC)")
        return parsed

    first = day("snapshot_date", today - timedelta(days=1))
    last = day("snapshot_to", first)
    if last < first:
        raise SnapshotError("snapshot_to", f"{last} is before snapshot_date {first}")
    limit = int(params.get("max_backfill_days", 366))
    if (last - first).days + 1 > limit:
        raise SnapshotError(
            "snapshot_to", f"{(last - first).days + 1} days from {first} to {last}: at most {limit} per run"
        )
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _days(spark: SparkSession, days: list[date]) -> DataFrame:
    return spark.createDataFrame([(d,) for d in days], "snapshot_date date")


def purchase_features(transactions: DataFrame, days: DataFrame, recent_days: int) -> DataFrame:
    """Per (customer, snapshot day): the transaction features, from transactions dated <= the day."""
    t = transactions.select("customer_id", "amount", F.to_date("transaction_date").alias("_day"))
    history = t.join(F.broadcast(days), t["_day"] <= days["snapshot_date"])
    sale = F.col("amount") > 0
    recent = sale & (F.col("_day") > F.date_sub("snapshot_date", recent_days))
    agg = history.groupBy("customer_id", "snapshot_date").agg(
        F.count(F.when(sale, 1)).alias("purchase_count"),
        F.sum("amount").cast("decimal(14,2)").alias("total_spend"),
        F.max(F.when(sale, F.col("_day"))).alias("_last_sale"),
        F.count(F.when(recent, 1)).alias("transactions_last_30_days"),
    )
    return agg.select(
        "customer_id",
        "snapshot_date",
        "purchase_count",
        "total_spend",
        F.when(F.col("purchase_count") > 0, F.round(F.col("total_spend") / F.col("purchase_count"), 2))
        .cast("decimal(14,2)")
        .alias("avg_transaction_value"),
        F.datediff("snapshot_date", "_last_sale").alias("recency_days"),
        "transactions_last_30_days",
    )


def session_features(clicks: DataFrame, days: DataFrame) -> DataFrame:
    """Per (customer, snapshot day): sessions and their mean duration, from events dated <= the day."""
    c = clicks.select(
        F.col("user_id").alias("customer_id"),
        "session_id",
        "event_timestamp",
        F.to_date("event_timestamp").alias("_day"),
    )
    history = c.join(F.broadcast(days), c["_day"] <= days["snapshot_date"])
    sessions = history.groupBy("customer_id", "snapshot_date", "session_id").agg(
        (F.max("event_timestamp").cast("double") - F.min("event_timestamp").cast("double")).alias("_seconds")
    )
    return sessions.groupBy("customer_id", "snapshot_date").agg(
        F.count("*").alias("session_count"),
        F.round(F.avg("_seconds"), 1).alias("avg_session_duration_seconds"),
    )


def customer_features(
    transactions: DataFrame | None, clicks: DataFrame | None, days: DataFrame, recent_days: int
) -> DataFrame | None:
    parts = []
    if transactions is not None:
        parts.append(purchase_features(transactions, days, recent_days))
    if clicks is not None:
        parts.append(session_features(clicks, days))
    if not parts:
        return None
    joined = parts[0]
    for p in parts[1:]:
        joined = joined.join(p, ["customer_id", "snapshot_date"], "full")
    columns = {
        "purchase_count": F.lit(0).cast("bigint"),
        "total_spend": F.lit(0).cast("decimal(14,2)"),
        "avg_transaction_value": F.lit(None).cast("decimal(14,2)"),
        "recency_days": F.lit(None).cast("int"),
        "transactions_last_30_days": F.lit(0).cast("bigint"),
        "session_count": F.lit(0).cast("bigint"),
        "avg_session_duration_seconds": F.lit(None).cast("double"),
    }
    filled = [
        (F.coalesce(F.col(n), default) if n in joined.columns else default).alias(n)
        for n, default in columns.items()
    ]
    return joined.select("customer_id", *filled, "snapshot_date")


def build(
    spark: SparkSession, sources: dict[str, DataFrame | None], params: dict[str, Any]
) -> ModelBuild | None:
    """The snapshot days of this run (see snapshot_days); None until transactions or clickstream landed."""
    days = _days(spark, snapshot_days(params))
    features = customer_features(
        sources.get("transactions"), sources.get("clickstream"), days, int(params.get("recent_days", 30))
    )
    if features is None:
        return None
    features = features.cache()
    return ModelBuild({"customer_features": features}, features, "customer_features")


def check_arguments(params: dict[str, Any]) -> None:
    """`lakehouse run customer_features --snapshot-date D [--snapshot-to D2]` calls this before any job
    runs (the CLI asks every model's transform for it), so a bad range is refused at once."""
    if params.get("snapshot_to") and not params.get("snapshot_date"):
        raise SnapshotError("snapshot_to", "needs snapshot_date (the first day of the backfill)")
    snapshot_days(params)
