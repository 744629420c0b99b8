"""The sales gold model as pure DataFrame functions: SCD2 customers, products, and the transaction fact.

Sources (silver, any of them may be missing): customers (CRM exports, one row per version),
transactions (point of sale), sales_orders (flat order-line export). Business rules, with the
model's parameters:

- total_amount is the source's own line amount (SALES, or amount): never recomputed.
- transaction_type: Refund when total_amount < 0, else Sale.
- restocking_fee: rate x |total_amount| on refunds, 0 on sales; net_amount = total_amount + fee
  (a refund of -100 nets -90: the customer gets 90 back).
- deal_size: the export's DEALSIZE when present, else from |total_amount|: Small below 3,000,
  Medium 3,000 to 7,000, Large above 7,000.
- is_large_order: total_amount >= 5,000.
- unit_price: PRICEEACH as exported (the export caps it; the fact keeps it as the source says), or
  amount / quantity for point-of-sale lines.
- customer_key: the dim_customer version valid at the order date (a customer's first version also
  covers orders placed before it). A line whose customer or date cannot be resolved goes to the
  model's quarantine with the failed rule's code; dim_product is built from the lines, so products resolve.

`build` is the model's entry point (models/sales.yaml names this module); dim_date is the
conformed calendar, built by the calendar model.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.contract.quality import Code
from lakehouse.transforms.calendar import CALENDAR_END, CALENDAR_START, date_key
from lakehouse.transforms.model_build import ModelBuild
from lakehouse.transforms.scd2 import history
from lakehouse.transforms.star import surrogate_key

FK_CUSTOMER = Code("fk_customer", "customer_key", "referential_integrity")
FK_DATE = Code("fk_date", "date_key", "referential_integrity")
CHECKS = (
    (FK_CUSTOMER, "no dim_customer version of the line's customer at its order date"),
    (FK_DATE, "order date outside dim_date (2000-2039)"),
)

TRACKED = ("customer_name", "email", "phone", "address", "city", "state", "postal_code", "country")
_VERSION_COLUMNS = ("customer_id", *TRACKED, "valid_from", "source")


def _blank_to_null(col: Column) -> Column:
    return F.when(F.trim(col) == "", None).otherwise(F.trim(col))


def customer_versions(customers: DataFrame | None, orders: DataFrame | None) -> DataFrame | None:
    """Every observed state of every customer, with the time it was observed.

    CRM exports carry an id and updated_at; the order-line export has no customer id, so its
    CUSTOMERNAME is the key and each order line is an observation at its order date.
    """
    parts = []
    if customers is not None:
        parts.append(
            customers.select(
                F.col("customer_id"),
                _blank_to_null(F.concat_ws(" ", "first_name", "last_name")).alias("customer_name"),
                F.lower(_blank_to_null(F.col("email"))).alias("email"),
                _blank_to_null(F.col("phone")).alias("phone"),
                _blank_to_null(F.col("address")).alias("address"),
                _blank_to_null(F.col("city")).alias("city"),
                _blank_to_null(F.col("state")).alias("state"),
                _blank_to_null(F.col("zip_code")).alias("postal_code"),
                _blank_to_null(F.col("country")).alias("country"),
                F.col("updated_at").alias("valid_from"),
                F.lit("customers").alias("source"),
            )
        )
    if orders is not None:
        parts.append(
            orders.select(
                F.trim("customer_name").alias("customer_id"),
                F.trim("customer_name").alias("customer_name"),
                F.lit(None).cast("string").alias("email"),
                _blank_to_null(F.col("phone")).alias("phone"),
                _blank_to_null(F.concat_ws(", ", "address_line1", "address_line2")).alias("address"),
                _blank_to_null(F.col("city")).alias("city"),
                _blank_to_null(F.col("state")).alias("state"),
                _blank_to_null(F.col("postal_code")).alias("postal_code"),
                _blank_to_null(F.col("country")).alias("country"),
                F.col("order_date").alias("valid_from"),
                F.lit("sales_orders").alias("source"),
            )
        )
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out.select(*_VERSION_COLUMNS)


def scd2(versions: DataFrame) -> DataFrame:
    """dim_customer rows: one per run of unchanged tracked attributes, in time order (transforms.scd2).

    A change closes the current row (effective_to = the change's time) and opens a new one; the same
    attributes again (an unchanged reload, or an order line repeating them) add nothing; exports that
    arrive out of order are placed by their own time. Exactly one row per customer is current and
    validity ranges never overlap.
    """
    rows = history(
        versions, ["customer_id"], TRACKED, "valid_from", carry=["source"], prefer=[F.col("source")]
    )
    return rows.select(
        surrogate_key("customer_id", "valid_from").alias("customer_key"),
        "customer_id",
        *TRACKED,
        "attributes_hash",
        F.col("valid_from").alias("effective_from"),
        F.col("valid_to").alias("effective_to"),
        "is_current",
        "source",
    )


def order_lines(transactions: DataFrame | None, orders: DataFrame | None) -> DataFrame | None:
    """Both line sources in one shape, each keeping its own amounts and lineage."""
    parts = []
    if transactions is not None:
        parts.append(
            transactions.select(
                F.col("transaction_id").alias("order_number"),
                F.lit(1).alias("order_line_number"),
                F.col("customer_id"),
                F.col("product_id").alias("product_code"),
                F.col("product_name"),
                F.col("product_family").alias("product_line"),
                F.col("transaction_date").alias("order_date"),
                F.col("quantity"),
                F.round(F.col("amount") / F.col("quantity"), 2).cast("decimal(12,2)").alias("unit_price"),
                F.col("amount").cast("decimal(14,2)").alias("total_amount"),
                F.lit(None).cast("string").alias("deal_size"),
                F.col("region").alias("territory"),
                F.lit(None).cast("string").alias("status"),
                F.lit("transactions").alias("source"),
                "_source_file",
                "_source_line",
            )
        )
    if orders is not None:
        parts.append(
            orders.select(
                "order_number",
                "order_line_number",
                F.trim("customer_name").alias("customer_id"),
                "product_code",
                F.lit(None).cast("string").alias("product_name"),
                "product_line",
                "order_date",
                F.col("quantity_ordered").alias("quantity"),
                F.col("price_each").cast("decimal(12,2)").alias("unit_price"),
                F.col("sales").cast("decimal(14,2)").alias("total_amount"),
                "deal_size",
                "territory",
                "status",
                F.lit("sales_orders").alias("source"),
                "_source_file",
                "_source_line",
            )
        )
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def dim_product(lines: DataFrame) -> DataFrame:
    return (
        lines.groupBy("product_code")
        .agg(F.max("product_name").alias("product_name"), F.max("product_line").alias("product_line"))
        .select(
            surrogate_key("product_code").alias("product_key"), "product_code", "product_name", "product_line"
        )
    )


def apply_rules(lines: DataFrame, p: dict) -> DataFrame:
    """The business rules of the fact (see the module docstring); p: the model's parameters."""
    amount, size = F.col("total_amount"), F.abs(F.col("total_amount"))
    refund = amount < 0
    fee = (
        F.when(refund, F.round(size * F.lit(p["restocking_fee_rate"]), 2))
        .otherwise(F.lit(0))
        .cast("decimal(14,2)")
    )
    derived_size = (
        F.when(size < p["deal_size_medium_from"], "Small")
        .when(size <= p["deal_size_large_above"], "Medium")
        .otherwise("Large")
    )
    return (
        lines.withColumn("deal_size", F.coalesce(_blank_to_null(F.col("deal_size")), derived_size))
        .withColumn("transaction_type", F.when(refund, "Refund").otherwise("Sale"))
        .withColumn("restocking_fee", fee)
        .withColumn("net_amount", (amount + fee).cast("decimal(14,2)"))
        .withColumn("is_large_order", amount >= F.lit(p["large_order_from"]))
    )


def fact_transactions(lines: DataFrame, customers: DataFrame, params: dict) -> tuple[DataFrame, DataFrame]:
    """(fact rows, rejected rows with their `_codes`) from order lines and dim_customer."""
    ruled = apply_rules(lines, params)
    first = customers.groupBy("customer_id").agg(F.min("effective_from").alias("_first"))
    versions = customers.join(first, "customer_id").select(
        "customer_id",
        "customer_key",
        "customer_name",
        "effective_to",
        F.when(F.col("effective_from") == F.col("_first"), F.to_timestamp(F.lit("0001-01-01 00:00:00")))
        .otherwise(F.col("effective_from"))
        .alias("_from"),
    )
    lines_, v = ruled.alias("l"), versions.alias("v")
    joined = lines_.join(
        v,
        (F.col("l.customer_id") == F.col("v.customer_id"))
        & (F.col("l.order_date") >= F.col("v._from"))
        & (F.col("l.order_date") < F.col("v.effective_to")),
        "left",
    ).select("l.*", F.col("v.customer_key"), F.col("v.customer_name").alias("_dim_name"))
    in_calendar = F.to_date("order_date").between(F.lit(CALENDAR_START), F.lit(CALENDAR_END))
    code = F.when(F.col("customer_key").isNull(), F.lit(str(FK_CUSTOMER))).when(
        ~in_calendar, F.lit(str(FK_DATE))
    )
    checked = joined.withColumn("_code", code)
    fact = checked.where(F.col("_code").isNull()).select(
        surrogate_key("source", "order_number", "order_line_number").alias("transaction_key"),
        "order_number",
        "order_line_number",
        "customer_key",
        F.coalesce("_dim_name", "customer_id").alias("customer_name"),
        surrogate_key("product_code").alias("product_key"),
        "product_code",
        date_key(F.col("order_date")).alias("date_key"),
        "order_date",
        "quantity",
        "unit_price",
        "total_amount",
        "deal_size",
        "territory",
        "status",
        "product_line",
        "transaction_type",
        "restocking_fee",
        "net_amount",
        "is_large_order",
        F.current_date().alias("created_date"),
        "source",
        F.date_format("order_date", "yyyy-MM").alias("order_month"),
    )
    rejected = checked.where(F.col("_code").isNotNull()).select(
        "_source_file",
        "_source_line",
        F.array("_code").alias("_codes"),
        F.to_json(
            F.struct(
                "order_number",
                "order_line_number",
                "customer_id",
                "product_code",
                F.col("order_date").cast("string").alias("order_date"),
                F.col("total_amount").cast("string").alias("total_amount"),
            )
        ).alias("_record"),
    )
    return fact, rejected


def build(
    spark: SparkSession, sources: dict[str, DataFrame | None], params: dict[str, Any]
) -> ModelBuild | None:
    """The sales model from whichever sources have landed; None until some order lines have."""
    lines = order_lines(sources.get("transactions"), sources.get("sales_orders"))
    versions = customer_versions(sources.get("customers"), sources.get("sales_orders"))
    if lines is None or versions is None:
        return None
    lines = lines.cache()
    customers = scd2(versions).cache()
    fact, rejected = fact_transactions(lines, customers, params)
    tables = {"dim_customer": customers, "dim_product": dim_product(lines), "fact_transactions": fact}
    return ModelBuild(tables, lines, "fact_transactions", rejected, CHECKS)
