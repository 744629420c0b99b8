"""The sales model end to end: a messy order-line export to the cent, and every mart by hand."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from lakehouse_domains.sales.generate import generate_sales

from tests.integration.plugin import query

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def test_messy_export_every_row_accounted_and_yearly_totals_to_the_cent(cli, deployed, tmp_path):
    generate_sales(tmp_path, seed=11)
    export = tmp_path / "sales_orders.csv"
    raw = export.read_bytes()
    assert (
        b"\r\n" in raw and "Müller".encode("cp1252") in raw and b"DEALSIZE" not in raw
    )  # as messy as promised
    rows = list(csv.DictReader(io.StringIO(raw.decode("cp1252"), newline="")))

    cli("ingest", "sales_orders", str(export))
    cli("run", "sales")
    by_year = query(
        cli,
        "SELECT year(order_date) AS y, sum(total_amount) AS total FROM fact_transactions "
        "GROUP BY 1 ORDER BY 1",
    )

    fact = {
        (r["order_number"], r["order_line_number"])
        for r in query(cli, "SELECT order_number, order_line_number FROM fact_transactions")
    }
    rejected = query(
        cli,
        "SELECT source_line, reason FROM lakehouse_local_silver.sales_orders_quarantine ".replace(
            "lakehouse_local", "lhtest_local"
        ),
    )
    assert len(fact) + len(rejected) == len(rows)  # every line: in the fact or quarantined with a reason
    assert all(r["reason"] for r in rejected)
    assert sorted(r["reason"].split(":")[0] for r in rejected) == [
        "order_date_matches_month_id",
        "quantity_positive",
        "type_order_date",
    ]
    expected = defaultdict(Decimal)
    for r in rows:
        if (r["ORDERNUMBER"], int(r["ORDERLINENUMBER"])) in {(o, int(n)) for o, n in fact}:
            expected[int(r["YEAR_ID"])] += Decimal(r["SALES"])
    assert {r["y"]: Decimal(str(r["total"])) for r in by_year} == dict(expected)  # to the cent
    truth = json.loads((tmp_path / "_generated.json").read_text())["sales_orders"]["sales_by_year"]
    assert {str(r["y"]): f"{Decimal(str(r['total'])):.2f}" for r in by_year} == truth
    sizes = query(cli, "SELECT DISTINCT deal_size FROM fact_transactions ORDER BY 1")
    assert {r["deal_size"] for r in sizes} <= {"Small", "Medium", "Large"}  # derived: the export has none


CUSTOMERS = """customer_id,first_name,last_name,email,phone,address,city,state,zip_code,country,updated_at
C1,Ana,Silva,ana@example.com,1,1 Main St,Lyon,,69001,France,2025-01-01 00:00:00
C2,Bo,Li,bo@example.com,2,5 Side St,Boston,MA,02101,USA,2025-01-01 00:00:00
"""
CUSTOMERS_LATER = """customer_id,first_name,last_name,email,phone,address,city,state,zip_code,country,updated_at
C1,Ana,Silva,ana@example.com,1,9 New Rd,Lyon,,69001,France,2025-02-01 00:00:00
C2,Bo,Li,bo@example.com,2,5 Side St,Boston,MA,02101,USA,2025-01-01 00:00:00
"""
TRANSACTIONS = """transaction_id,customer_id,product_id,product_name,product_family,amount,quantity,\
transaction_date,region
T1,C1,P1,Red Car,Cars,6000.00,2,2025-01-06 10:00:00,EMEA
T2,C1,P2,Blue Ship,Ships,5000.00,1,2025-01-20 10:00:00,EMEA
T3,C1,P1,Red Car,Cars,-1000.00,1,2025-02-03 10:00:00,EMEA
T4,C2,P2,Blue Ship,Ships,3000.00,3,2025-02-10 10:00:00,NA
"""
FISCAL = """date,fiscal_year,fiscal_quarter,fiscal_month,fiscal_week
2025-01-06,2025,4,12,49
2025-01-20,2025,4,12,51
2025-02-03,2026,1,1,1
2025-02-10,2026,1,1,2
"""


def test_every_mart_on_a_hand_computed_fixture(cli, deployed, tmp_path):
    for name, text in {
        "customers_1.csv": CUSTOMERS,
        "customers_2.csv": CUSTOMERS_LATER,
        "transactions.csv": TRANSACTIONS,
        "fiscal_calendar.csv": FISCAL,
    }.items():
        (tmp_path / name).write_text(text)
    cli("ingest", "customers", str(tmp_path / "customers_1.csv"), str(tmp_path / "customers_2.csv"))
    cli("ingest", "transactions", str(tmp_path / "transactions.csv"))
    cli("ingest", "fiscal_calendar", str(tmp_path / "fiscal_calendar.csv"))
    cli("run", "sales")
    cli("views")

    # dim_customer: C1 moved on 2025-02-01 -> two versions; the refund on 02-03 belongs to the new one
    versions = query(
        cli, "SELECT customer_id, address, is_current FROM dim_customer ORDER BY 1, effective_from"
    )
    assert [(v["customer_id"], v["address"], v["is_current"]) for v in versions] == [
        ("C1", "1 Main St", False),
        ("C1", "9 New Rd", True),
        ("C2", "5 Side St", True),
    ]
    refund = query(
        cli,
        "SELECT c.address, f.transaction_type, f.restocking_fee, f.net_amount FROM fact_transactions f "
        "JOIN dim_customer c ON f.customer_key = c.customer_key WHERE f.order_number = 'T3'",
    )
    assert refund == [
        {"address": "9 New Rd", "transaction_type": "Refund", "restocking_fee": 100.0, "net_amount": -900.0}
    ]

    segments = query(
        cli,
        "SELECT customer_id, total_spent, order_count, avg_order_value, unique_products, "
        "customer_segment FROM customer_segments ORDER BY 1",
    )
    assert segments == [
        {
            "customer_id": "C1",
            "total_spent": 10000.0,
            "order_count": 2,
            "avg_order_value": 5000.0,
            "unique_products": 2,
            "customer_segment": "High",
        },
        {
            "customer_id": "C2",
            "total_spent": 3000.0,
            "order_count": 1,
            "avg_order_value": 3000.0,
            "unique_products": 1,
            "customer_segment": "Low",
        },
    ]
    assert [
        (r["customer_id"], r["spend_rank"])
        for r in query(cli, "SELECT customer_id, spend_rank FROM top_customers ORDER BY spend_rank")
    ] == [("C1", 1), ("C2", 2)]

    monthly = query(cli, "SELECT * FROM monthly_summary ORDER BY order_month")
    assert monthly == [
        {
            "order_month": "2025-01",
            "total_sales": 11000.0,
            "total_refunds": 0.0,
            "items_sold": 3,
            "items_refunded": 0,
            "total_restocking_fees": 0.0,
            "unique_customers": 1,
        },
        {
            "order_month": "2025-02",
            "total_sales": 3000.0,
            "total_refunds": 1000.0,
            "items_sold": 3,
            "items_refunded": 1,
            "total_restocking_fees": 100.0,
            "unique_customers": 2,
        },
    ]

    products = query(
        cli,
        "SELECT territory, product_code, total_revenue, total_quantity, order_count, avg_price, "
        "revenue_rank, best_revenue, revenue_diff_from_best FROM product_performance ORDER BY 1, 7, 2",
    )
    assert products == [
        {
            "territory": "EMEA",
            "product_code": "P1",
            "total_revenue": 5000.0,
            "total_quantity": 3,
            "order_count": 2,
            "avg_price": 3000.0,
            "revenue_rank": 1,
            "best_revenue": 5000.0,
            "revenue_diff_from_best": 0.0,
        },
        {
            "territory": "EMEA",
            "product_code": "P2",
            "total_revenue": 5000.0,
            "total_quantity": 1,
            "order_count": 1,
            "avg_price": 5000.0,
            "revenue_rank": 1,
            "best_revenue": 5000.0,
            "revenue_diff_from_best": 0.0,
        },
        {
            "territory": "NA",
            "product_code": "P2",
            "total_revenue": 3000.0,
            "total_quantity": 3,
            "order_count": 1,
            "avg_price": 1000.0,
            "revenue_rank": 1,
            "best_revenue": 3000.0,
            "revenue_diff_from_best": 0.0,
        },
    ]

    assert query(cli, "SELECT year, quarter, net_sales, total_amount, lines FROM quarterly_sales") == [
        {"year": 2025, "quarter": 1, "net_sales": 13100.0, "total_amount": 13000.0, "lines": 4}
    ]
    weekly = query(cli, "SELECT week_of_year, net_sales FROM weekly_sales ORDER BY 1")
    assert weekly == [
        {"week_of_year": 2, "net_sales": 6000.0},
        {"week_of_year": 4, "net_sales": 5000.0},
        {"week_of_year": 6, "net_sales": -900.0},
        {"week_of_year": 7, "net_sales": 3000.0},
    ]
    fiscal = query(
        cli,
        "SELECT fiscal_year, fiscal_quarter, fiscal_month, net_sales FROM fiscal_period_sales "
        "ORDER BY 1, 2, 3",
    )
    assert fiscal == [
        {"fiscal_year": 2025, "fiscal_quarter": 4, "fiscal_month": 12, "net_sales": 11000.0},
        {"fiscal_year": 2026, "fiscal_quarter": 1, "fiscal_month": 1, "net_sales": 2100.0},
    ]
