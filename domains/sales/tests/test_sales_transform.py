"""The sales model's rules on small hand-made rows: SCD2 history and every business rule."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from lakehouse_domains.sales import transform as sales

from lakehouse.contract.model import load_model
from lakehouse.transforms import silver as r2s
from tests.plugin import REPO

pytestmark = pytest.mark.spark

PARAMS = load_model(REPO / "domains" / "sales" / "models" / "sales.yaml").parameters
CUSTOMER_DDL = (
    "customer_id string, first_name string, last_name string, email string, phone string, "
    "address string, city string, state string, zip_code string, country string, updated_at timestamp"
)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def export(spark, *rows):
    """CRM export rows: (id, address, updated_at); other attributes fixed."""
    return spark.createDataFrame(
        [
            (cid, "Ana", "Silva", "ana@example.com", "1", addr, "Lyon", "", "69001", "France", ts(at))
            for cid, addr, at in rows
        ],
        CUSTOMER_DDL,
    )


def history(spark, *rows):
    dim = sales.scd2(sales.customer_versions(export(spark, *rows), None))
    return [
        (r["customer_id"], r["address"], str(r["effective_from"]), str(r["effective_to"]), r["is_current"])
        for r in dim.orderBy("customer_id", "effective_from").collect()
    ]


def test_new_customer_gets_one_current_row(spark):
    assert history(spark, ("C1", "1 Main St", "2025-01-10 09:00:00")) == [
        ("C1", "1 Main St", "2025-01-10 09:00:00", "9999-12-31 00:00:00", True)
    ]


def test_changed_attribute_closes_the_current_row_and_opens_a_new_one(spark):
    assert history(
        spark, ("C1", "1 Main St", "2025-01-10 09:00:00"), ("C1", "9 New Rd", "2025-02-14 10:30:00")
    ) == [
        ("C1", "1 Main St", "2025-01-10 09:00:00", "2025-02-14 10:30:00", False),
        ("C1", "9 New Rd", "2025-02-14 10:30:00", "9999-12-31 00:00:00", True),
    ]


def test_unchanged_reload_adds_nothing(spark):
    once = history(spark, ("C1", "1 Main St", "2025-01-10 09:00:00"))
    assert (
        history(
            spark,
            ("C1", "1 Main St", "2025-01-10 09:00:00"),
            ("C1", "1 Main St", "2025-01-10 09:00:00"),
            ("C1", "1 Main St", "2025-03-01 08:00:00"),
        )
        == once
    )  # a later export repeating it too


def test_out_of_order_exports_are_placed_by_their_own_time(spark):
    in_order = history(
        spark,
        ("C1", "A", "2025-01-01 00:00:00"),
        ("C1", "B", "2025-02-01 00:00:00"),
        ("C1", "C", "2025-03-01 00:00:00"),
    )
    late_export = history(
        spark,
        ("C1", "C", "2025-03-01 00:00:00"),
        ("C1", "A", "2025-01-01 00:00:00"),
        ("C1", "B", "2025-02-01 00:00:00"),
    )
    assert late_export == in_order
    assert [r[4] for r in in_order] == [False, False, True]
    assert all(a[3] == b[2] for a, b in itertools.pairwise(in_order))  # ranges touch, never overlap


def test_a_change_back_is_a_new_version(spark):
    rows = history(
        spark,
        ("C1", "A", "2025-01-01 00:00:00"),
        ("C1", "B", "2025-02-01 00:00:00"),
        ("C1", "A", "2025-03-01 00:00:00"),
    )
    assert [r[1] for r in rows] == ["A", "B", "A"]


LINE_DDL = (
    "order_number string, order_line_number int, customer_id string, product_code string, "
    "product_name string, product_line string, order_date timestamp, quantity int, unit_price decimal(12,2), "
    "total_amount decimal(14,2), deal_size string, territory string, status string, source string, "
    "_source_file string, _source_line bigint"
)


def line(spark, amount: str, deal_size=None, customer="C1", at="2025-02-20 12:00:00", number="O1"):
    return spark.createDataFrame(
        [
            (
                number,
                1,
                customer,
                "P1",
                None,
                "Cars",
                ts(at),
                2,
                Decimal("50.00"),
                Decimal(amount),
                deal_size,
                "EMEA",
                "Shipped",
                "sales_orders",
                "f",
                2,
            )
        ],
        LINE_DDL,
    )


def ruled(spark, amount: str, deal_size=None) -> dict:
    return sales.apply_rules(line(spark, amount, deal_size), PARAMS).first().asDict()


@pytest.mark.parametrize(
    ("amount", "size"),
    [
        ("2999.99", "Small"),
        ("3000.00", "Medium"),
        ("7000.00", "Medium"),
        ("7000.01", "Large"),
        ("-8000.00", "Large"),
    ],
)
def test_deal_size_is_derived_from_the_amount_when_the_export_lacks_it(spark, amount, size):
    assert ruled(spark, amount)["deal_size"] == size


def test_deal_size_from_the_export_wins(spark):
    assert ruled(spark, "100.00", "Large")["deal_size"] == "Large"


def test_sale_refund_restocking_fee_net_amount(spark):
    sale, refund = ruled(spark, "1234.56"), ruled(spark, "-100.05")
    assert (sale["transaction_type"], sale["restocking_fee"], sale["net_amount"]) == (
        "Sale",
        Decimal("0.00"),
        Decimal("1234.56"),
    )
    assert (refund["transaction_type"], refund["restocking_fee"], refund["net_amount"]) == (
        "Refund",
        Decimal("10.01"),
        Decimal("-90.04"),
    )  # 10% of 100.05 = 10.005 -> 10.01 (half up)


@pytest.mark.parametrize(("amount", "large"), [("4999.99", False), ("5000.00", True), ("-6000.00", False)])
def test_large_order_threshold(spark, amount, large):
    assert ruled(spark, amount)["is_large_order"] is large


def test_fact_takes_the_customer_version_valid_at_the_order_date_and_quarantines_unknown_ones(spark):
    dim = sales.scd2(
        sales.customer_versions(
            export(spark, ("C1", "A", "2025-01-10 00:00:00"), ("C1", "B", "2025-02-14 00:00:00")), None
        )
    ).cache()
    keys = {r["address"]: r["customer_key"] for r in dim.collect()}
    lines = (
        line(spark, "10.00", at="2025-01-01 00:00:00", number="before-first")
        .union(line(spark, "10.00", at="2025-01-20 00:00:00", number="during-A"))
        .union(line(spark, "10.00", at="2025-02-14 00:00:00", number="at-change"))
        .union(line(spark, "10.00", customer="C9", number="unknown"))
        .union(line(spark, "10.00", at="1999-12-31 00:00:00", number="too-old"))
    )
    fact, rejected = sales.fact_transactions(lines, dim, PARAMS)
    got = {r["order_number"]: r["customer_key"] for r in fact.collect()}
    assert got == {"before-first": keys["A"], "during-A": keys["A"], "at-change": keys["B"]}
    codes = sorted(c for r in rejected.collect() for c in r["_codes"])
    described = {str(c): f"{c}: {text}" for c, text in sales.CHECKS}
    quarantined = r2s.to_quarantine(
        rejected, described, "_codes"
    ).collect()  # as the build_model stage writes
    assert sorted(q["reason"] for q in quarantined) == [
        "fk_customer:customer_key:referential_integrity: no dim_customer version of the line's customer at its "
        "order date",
        "fk_date:date_key:referential_integrity: order date outside dim_date (2000-2039)",
    ]
    assert all("C9" not in q["reason"] and q["record"] for q in quarantined)
    assert codes == [
        "fk_customer:customer_key:referential_integrity",  # a code: the customer's name is not in it
        "fk_date:date_key:referential_integrity",
    ]
    assert fact.select("total_amount").first()[0] == Decimal("10.00")  # the source's amount, kept
