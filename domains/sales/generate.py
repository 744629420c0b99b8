"""Synthetic sales sources, messy the way real exports are; deterministic for a seed.

Writes customers_<date>.csv (two CRM exports: some customers move, some are new, the rest reload
unchanged), transactions.csv (sales and refunds), fiscal_calendar.csv (fiscal year from February)
and sales_orders.csv: the flat order-line export in cp1252 with CRLF, ORDERDATE in two formats, no
DEALSIZE column, PRICEEACH capped at 100 while SALES keeps the real line amount, names with accents
and commas, refunds, and a few lines a careful pipeline must quarantine. `_generated.json` holds the
ground truth the tests check the gold model against.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

FIRST = ("Ana", "Björn", "Chloé", "Dmitri", "Elif", "François", "Greta", "Hiro", "Inés", "José", "Kai", "Léa")
LAST = ("García", "Müller", "Okafor", "Smith", "Nguyen", "Rossi", "Dubois", "Kowalski", "Silva", "Brown")
CITIES = (
    ("Boston", "MA", "USA"),
    ("Lyon", "", "France"),
    ("München", "", "Germany"),
    ("Austin", "TX", "USA"),
    ("Toronto", "ON", "Canada"),
    ("São Paulo", "SP", "Brazil"),
)
COMPANIES = (
    "Café Rouge",
    "Müller & Söhne, GmbH",
    "Atelier Crème",
    "Señor Toys",
    "Ørsted Trading",
    "Smith, Jones & Co",
    "Blåbær Gifts",
    "L'Étoile Hobbies",
    "Zürich Models AG",
    "Naïve Collectibles",
)
PRODUCT_LINES = ("Classic Cars", "Motorcycles", "Planes", "Ships", "Trains", "Vintage Cars")
TERRITORIES = ("NA", "EMEA", "APAC", "Japan")
HEADER = [
    "ORDERNUMBER",
    "QUANTITYORDERED",
    "PRICEEACH",
    "ORDERLINENUMBER",
    "SALES",
    "ORDERDATE",
    "STATUS",
    "QTR_ID",
    "MONTH_ID",
    "YEAR_ID",
    "PRODUCTLINE",
    "MSRP",
    "PRODUCTCODE",
    "CUSTOMERNAME",
    "PHONE",
    "ADDRESSLINE1",
    "ADDRESSLINE2",
    "CITY",
    "STATE",
    "POSTALCODE",
    "COUNTRY",
    "TERRITORY",
    "CONTACTLASTNAME",
    "CONTACTFIRSTNAME",
]  # DEALSIZE is missing from this export, as it often is


def _csv(rows: list[list], header: list[str], line_end: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def generate_sales(
    out: Path, seed: int = 7, customers: int = 30, transactions: int = 240, order_lines: int = 200
) -> dict:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    truth: dict = {"seed": seed}

    # CRM customers: two exports; the second moves some customers, adds new ones, reloads the rest
    people = []
    for i in range(customers + 5):
        city, state, country = rng.choice(CITIES)
        people.append(
            {
                "customer_id": f"C{i:04d}",
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "email": f"customer{i}@example.com",
                "phone": f"+1-555-{rng.randint(1000, 9999)}",
                "address": f"{rng.randint(1, 99)} {rng.choice(['Main St', 'Rue Haute', 'Hauptstraße'])}",
                "city": city,
                "state": state,
                "zip_code": f"{rng.randint(10000, 99999)}",
                "country": country,
                "updated_at": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 09:00:00",
            }
        )
    people[3]["email"] = "not-an-email"  # quarantined by the contract's email_format rule
    cols = list(people[0])
    first = [[p[c] for c in cols] for p in people[:customers]]
    moved = set(rng.sample(range(4, customers), 6))
    second = []
    for i, p in enumerate(people):
        row = dict(p)
        if i in moved:
            row.update(address=f"{rng.randint(100, 999)} New Road", updated_at="2025-02-14 10:30:00")
        second.append([row[c] for c in cols])
    (out / "customers_2025-01-31.csv").write_text(_csv(first, cols), encoding="utf-8")
    (out / "customers_2025-02-28.csv").write_text(_csv(second, cols), encoding="utf-8")
    truth["customers"] = {"ids": customers + 5, "moved": len(moved), "new_in_second": 5, "bad_email": 1}

    # point of sale: sales and refunds
    products = [(f"P{i:03d}", f"Model {i}", rng.choice(PRODUCT_LINES)) for i in range(20)]
    rows, refunds = [], 0
    for i in range(transactions):
        code, name, family = rng.choice(products)
        qty = rng.randint(1, 5)
        amount = Decimal(rng.randint(500, 60000)) / 100 * qty
        if rng.random() < 0.06:
            amount, refunds = -amount, refunds + 1
        when = datetime(2024, 3, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 330))
        rows.append(
            [
                f"T{i:05d}",
                f"C{rng.randint(0, customers - 1):04d}",
                code,
                name,
                family,
                f"{amount:.2f}",
                qty,
                when.strftime("%Y-%m-%d %H:%M:%S"),
                rng.choice(TERRITORIES),
            ]
        )
    rows[10][6] = 0  # quantity 0: quarantined (under the critical rule's 5% threshold)
    tcols = [
        "transaction_id",
        "customer_id",
        "product_id",
        "product_name",
        "product_family",
        "amount",
        "quantity",
        "transaction_date",
        "region",
    ]
    (out / "transactions.csv").write_text(_csv(rows, tcols), encoding="utf-8")
    truth["transactions"] = {"lines": transactions, "refunds": refunds, "bad": 1}

    # fiscal calendar: the fiscal year starts on February 1st and is named by the year it ends in
    cal = []
    day = date(2024, 2, 1)
    while day <= date(2026, 1, 31):
        fy_start = date(day.year if day.month >= 2 else day.year - 1, 2, 1)
        fiscal_month = (day.month - 2) % 12 + 1
        cal.append(
            [
                day.isoformat(),
                fy_start.year + 1,
                (fiscal_month - 1) // 3 + 1,
                fiscal_month,
                (day - fy_start).days // 7 + 1,
            ]
        )
        day += timedelta(days=1)
    (out / "fiscal_calendar.csv").write_text(
        _csv(cal, ["date", "fiscal_year", "fiscal_quarter", "fiscal_month", "fiscal_week"]), encoding="utf-8"
    )

    # the flat order-line export: cp1252, CRLF, two date formats, capped prices, no DEALSIZE
    accounts = {}
    for company in COMPANIES:  # a company's details stay put; two of them move once, on 2025-01-01
        city, state, country = rng.choice(CITIES)
        accounts[company] = {
            "city": city,
            "state": state,
            "country": country,
            "phone": f"+33 1 {rng.randint(10, 99)} 00",
            "address": f"{rng.randint(1, 200)} Rue de la Paix, Bâtiment B",
            "postal": f"{rng.randint(10000, 99999)}",
            "last": rng.choice(LAST),
            "first": rng.choice(FIRST),
        }
    movers = set(rng.sample(COMPANIES, 2))
    truth["order_customers"] = {"companies": len(COMPANIES), "moved": sorted(movers)}
    lines: list[list] = []
    per_year: dict[int, Decimal] = {}
    bad: dict[str, int] = {}
    order = 10100
    while len(lines) < order_lines:
        order += 1
        company = rng.choice(COMPANIES)
        when = datetime(2024, 1, 5) + timedelta(days=rng.randint(0, 700), hours=rng.randint(0, 20))
        a = dict(accounts[company])
        if company in movers and when >= datetime(2025, 1, 1):
            a["address"] = "1 Nouvelle Avenue"
        for line_no in range(1, rng.randint(2, 6)):
            qty = rng.randint(20, 50)
            price = Decimal(rng.randint(3000, 21000)) / 100
            sales = (price * qty).quantize(Decimal("0.01"))
            status = rng.choice(["Shipped"] * 8 + ["Cancelled", "Disputed"])
            if rng.random() < 0.05:
                sales, status = -sales, "Refunded"
            date_text = (
                when.strftime("%-m/%-d/%Y %-H:%M")
                if rng.random() < 0.5
                else when.strftime("%Y-%m-%d %H:%M:%S")
            )
            code = f"S{rng.randint(10, 72)}_{rng.randint(1000, 4999)}"
            lines.append(
                [
                    order,
                    qty,
                    f"{min(price, Decimal(100)):.2f}",
                    line_no,
                    f"{sales:.2f}",
                    date_text,
                    status,
                    (when.month - 1) // 3 + 1,
                    when.month,
                    when.year,
                    rng.choice(PRODUCT_LINES),
                    f"{price * Decimal('1.2'):.0f}",
                    code,
                    company,
                    a["phone"],
                    a["address"],
                    "",
                    a["city"],
                    a["state"],
                    a["postal"],
                    a["country"],
                    rng.choice(TERRITORIES),
                    a["last"],
                    a["first"],
                ]
            )
            per_year[when.year] = per_year.get(when.year, Decimal(0)) + sales
    # lines a careful pipeline must quarantine, each with its own reason
    lines[5][5], bad["unparseable date"] = "31.12.2024 10:00", 1
    lines[6][8], bad["month disagrees with MONTH_ID"] = (int(lines[6][8]) % 12) + 1, 1
    lines[7][1], bad["quantity 0"] = 0, 1
    for i in (5, 6, 7):
        year = int(lines[i][9])
        per_year[year] -= Decimal(lines[i][4])
    text = _csv(lines, HEADER, line_end="\r\n")
    (out / "sales_orders.csv").write_bytes(text.encode("cp1252"))
    truth["sales_orders"] = {
        "lines": len(lines),
        "bad": bad,
        "valid": len(lines) - sum(bad.values()),
        "sales_by_year": {str(y): f"{v:.2f}" for y, v in sorted(per_year.items())},
    }
    (out / "_generated.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def generate(out: Path, seed: int = 42) -> str:
    """`lakehouse generate` (lakehouse.landing.samples): the files, and one summary line."""
    truth = generate_sales(out, seed)
    return (
        f"wrote customers (2 exports), transactions, fiscal_calendar and sales_orders to {out}: "
        f"{truth['sales_orders']['lines']} order lines, {truth['transactions']['lines']} transactions"
    )
