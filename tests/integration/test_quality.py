"""Data quality from the contract: per-run quality results, and critical rules that fail the run."""

from __future__ import annotations

import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.contract.dataset import load_contract
from lakehouse.engine.local import LocalEngine
from lakehouse.errors import QualityError
from lakehouse.landing.ingest import ingest
from lakehouse.local.launcher import run_dataset
from tests.plugin import REPO

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]

HEADER = "transaction_id,customer_id,product_id,product_name,product_family,amount,quantity,transaction_date,region\n"


def transactions(tmp_path, name: str, zero_quantity: int, total: int):
    lines = [
        f"t{name}{i},c1,p1,Widget,Tools,10.00,{0 if i < zero_quantity else 2},2025-03-0{1 + i % 5},East"
        for i in range(total)
    ]
    path = tmp_path / f"transactions_{name}.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


def quality(settings, run_id: str) -> dict[str, tuple]:
    engine = LocalEngine(settings)
    rows = engine.query(
        f"SELECT rule, failed_rows, total_rows, passed, critical FROM "
        f"{settings.database('silver')}.quality_results WHERE run_id = '{run_id}'"
    ).rows
    engine.close()
    return {r[0]: r[1:] for r in rows}


def test_critical_rule_within_threshold_quarantines_beyond_it_fails_the_run(deployed, tmp_path):
    contract = load_contract(REPO / "domains" / "sales" / "transactions.yaml")
    ingest(deployed, contract, [transactions(tmp_path, "a", zero_quantity=1, total=40)])  # 2.5% <= 5%
    (ok,) = run_dataset(deployed, contract, REPO / "glue" / "jobs", stages=("raw_to_silver",))
    assert (ok.status, ok.rows_written, ok.rows_quarantined) == ("succeeded", 39, 1)
    results = quality(deployed, ok.run_id)
    assert results["quantity_positive"] == (1, 40, True, True)
    assert results["required_transaction_id"] == (0, 40, True, False)
    assert results["type_amount"] == (0, 40, True, False)
    assert results["unique_transaction_id"][0] == 0

    ingest(deployed, contract, [transactions(tmp_path, "b", zero_quantity=3, total=20)])  # 15% > 5%
    with pytest.raises(
        QualityError,
        match=r"critical quality rule quantity_positive failed for 3 of 20 rows "
        r"\(15\.0% > threshold 5\.0%\): nothing was published",
    ):
        run_dataset(deployed, contract, REPO / "glue" / "jobs", stages=("raw_to_silver",))
    engine = LocalEngine(deployed)
    (status, error, run_id), *_ = engine.query(
        f"SELECT status, error, run_id FROM {deployed.database('silver')}.pipeline_runs "
        f"WHERE dataset = 'transactions' ORDER BY run_id DESC"
    ).rows
    engine.close()
    assert status == "failed" and error.startswith("QualityError: critical quality rule quantity_positive")
    assert quality(deployed, run_id)["quantity_positive"] == (3, 20, False, True)
    silver = Catalog(deployed).get_partitions(deployed.database("silver"), "transactions")
    assert all(ok.run_id in loc for _, loc in silver)  # the failed run published nothing
