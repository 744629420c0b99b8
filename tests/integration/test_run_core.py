"""The run core's promises on the local endpoint: every parse failure is a counted rule, a run over its
quarantine limit publishes nothing, nothing uploaded is ignored silently, and real exports' dates parse."""

from __future__ import annotations

import json

import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.cli.commands import main
from lakehouse.contract.dataset import load_contract
from lakehouse.engine.local import LocalEngine
from lakehouse.errors import QuarantineLimitError
from lakehouse.landing.ingest import ingest
from lakehouse.local.launcher import run_dataset
from tests.plugin import REPO

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]

HEADER = "transaction_id,customer_id,product_id,product_name,product_family,amount,quantity,transaction_date,region\n"
JOBS = REPO / "glue" / "jobs"


def row(i: int, amount: str = "10.00") -> str:
    return f"t{i},c1,p1,Widget,Tools,{amount},2,2025-03-0{1 + i % 5},East"


def select(settings, sql: str) -> list[tuple]:
    engine = LocalEngine(settings)
    try:
        return engine.query(sql).rows
    finally:
        engine.close()


def test_a_csv_parse_failure_is_counted_in_quality_results(deployed, tmp_path):
    contract = load_contract(REPO / "domains" / "sales" / "transactions.yaml")
    lines = [row(i) for i in range(39)] + ["t99,c1,p1,Widget,Tools,10.00,2,2025-03-01,East,EXTRA"]
    (tmp_path / "transactions_a.csv").write_text(HEADER + "\n".join(lines) + "\n")
    ingest(deployed, contract, [tmp_path / "transactions_a.csv"])
    (result,) = run_dataset(deployed, contract, JOBS, stages=("raw_to_silver",))
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (40, 39, 1)
    assert result.quality == {"readable_record:_record:field_count": 1}  # a code, whatever the row held
    assert result.examples["readable_record:_record:field_count"][0].endswith("transactions_a.csv:41")
    results = select(
        deployed,
        f'SELECT rule, "check", failed_rows, total_rows, passed FROM {deployed.database("silver")}'
        f".quality_results WHERE run_id = '{result.run_id}' AND rule = 'readable_record'",
    )
    assert results == [("readable_record", "parse", 1, 40, False)]


def test_a_run_over_its_quarantine_limit_fails_with_nothing_published(
    deployed, tmp_path, capsys, monkeypatch
):
    contract = load_contract(REPO / "domains" / "sales" / "transactions.yaml")
    lines = [row(i) for i in range(16)] + [row(i, "n/a") for i in range(16, 20)]  # 20% > the default 5%
    (tmp_path / "transactions_b.csv").write_text(HEADER + "\n".join(lines) + "\n")
    ingest(deployed, contract, [tmp_path / "transactions_b.csv"])
    with pytest.raises(
        QuarantineLimitError, match=r"4 of 20 rows quarantined \(20\.0% > quarantine_limit 5\.0%\)"
    ):
        run_dataset(deployed, contract, JOBS, stages=("raw_to_silver",))
    silver = deployed.database("silver")
    assert Catalog(deployed).get_partitions(silver, "transactions") == []  # nothing published
    assert Catalog(deployed).get_partitions(silver, "transactions_quarantine") == []
    assert not list(
        Storage(deployed).list(f"s3://{deployed.bucket('silver')}/transactions/")
    )  # nothing written
    (status, error), *_ = select(
        deployed, f"SELECT status, error FROM {silver}.pipeline_runs WHERE dataset = 'transactions'"
    )
    assert status == "failed" and "type_amount:amount:unparseable" in error and "n/a" not in error

    # the CLI says so on one line and exits 1
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_PROJECT", deployed.project)
    capsys.readouterr()
    assert main(["run", "transactions"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "quarantine_limit 5.0%" in err and "nothing was published" in err


def test_an_explicit_file_the_job_would_not_read_is_refused_before_upload(
    deployed, tmp_path, capsys, monkeypatch
):
    export = tmp_path / "orders_2025.csv"  # sales_orders reads sales_orders*.csv* only
    export.write_text("ORDERNUMBER\n1\n")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_PROJECT", deployed.project)
    assert main(["ingest", "sales_orders", str(export)]) == 2
    err = capsys.readouterr().err
    assert "orders_2025.csv does not match sales_orders's file_pattern 'sales_orders*.csv*'" in err
    assert "sales_orders-orders_2025.csv" in err  # a name that would be read
    assert not list(
        Storage(deployed).list(f"s3://{deployed.bucket('raw')}/sales_orders/")
    )  # nothing uploaded


def test_a_stray_object_under_the_raw_prefix_is_reported_by_the_run(deployed, tmp_path):
    contract = load_contract(REPO / "domains" / "sales" / "transactions.yaml")
    (tmp_path / "transactions_c.csv").write_text(HEADER + row(1) + "\n")
    ingest(deployed, contract, [tmp_path / "transactions_c.csv"])
    stray = f"s3://{deployed.bucket('raw')}/transactions/year=2025/month=03/day=01/export.txt"
    Storage(deployed).put_bytes(stray, HEADER.encode(), "text/csv")  # copied in by hand, say
    (result,) = run_dataset(deployed, contract, JOBS, stages=("raw_to_silver",))
    assert (result.inputs, result.rows_written) == (1, 1)
    assert result.ignored_inputs == [stray]


MIXED = (
    "ORDERNUMBER,QUANTITYORDERED,PRICEEACH,ORDERLINENUMBER,SALES,ORDERDATE,STATUS,QTR_ID,MONTH_ID,YEAR_ID,"
    "PRODUCTLINE,MSRP,PRODUCTCODE,CUSTOMERNAME,PHONE,ADDRESSLINE1,ADDRESSLINE2,CITY,STATE,POSTALCODE,"
    "COUNTRY,TERRITORY,CONTACTLASTNAME,CONTACTFIRSTNAME,DEALSIZE\r\n"
    + "".join(
        f"{10100 + i},30,95.70,{1 + i % 3},2871.00,{date},Shipped,1,{month},2003,Motorcycles,95,S10_1678,"
        f"Land of Toys Inc.,2125557818,897 Long Airport Avenue,,NYC,NY,10022,USA,NA,Yu,Kwai,Small\r\n"
        for i, (date, month) in enumerate(
            [("2/24/2003 0:00", 2), ("05-07-2003 00:00", 5), ("7/1/2003 0:00", 7), ("08-25-2003 00:00", 8)]
            * 5
        )
    )
)


def test_both_us_date_forms_check_and_run_with_nothing_quarantined(deployed, tmp_path, capsys, monkeypatch):
    export = tmp_path / "sales_orders_mixed.csv"
    export.write_bytes(MIXED.encode("cp1252"))
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_PROJECT", deployed.project)
    capsys.readouterr()
    assert main(["check", "sales_orders", str(export), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    order_date = next(c for c in report["columns"] if c["name"] == "order_date")
    assert order_date["formats"] == {"M/d/yyyy H:mm": 10, "MM-dd-yyyy HH:mm": 10}
    assert (report["rows"], report["quarantined"], report["share"]) == (20, 0, 0.0)
    assert not list(
        Storage(deployed).list(f"s3://{deployed.bucket('raw')}/sales_orders/")
    )  # check uploads nothing

    contract = load_contract(REPO / "domains" / "sales" / "sales_orders.yaml")
    ingest(deployed, contract, [export])
    (result,) = run_dataset(deployed, contract, JOBS, stages=("raw_to_silver",))
    assert (result.rows_read, result.rows_written, result.rows_quarantined, result.quality) == (20, 20, 0, {})
