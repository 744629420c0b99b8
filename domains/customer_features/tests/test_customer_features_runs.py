"""customer_features through the real jobs: a snapshot day, a backfill, and the partitions other runs
wrote kept (`publish: partitions`), via `lakehouse run customer_features --snapshot-date ...`."""

from __future__ import annotations

import json

import pytest
from lakehouse_domains.customer_features.generate import generate_customer_features

from tests.integration.plugin import query

pytestmark = [pytest.mark.spark, pytest.mark.endpoint]


def test_snapshot_runs_add_their_days_and_keep_the_others(cli, deployed, tmp_path):
    truth = generate_customer_features(tmp_path)
    cli("ingest", "transactions", str(tmp_path / "transactions_features.csv"))
    cli("ingest", "clickstream", *map(str, sorted(tmp_path.glob("clickstream-features-*.json"))))
    out = cli("run", "customer_features", "--snapshot-date", "2025-03-31")
    assert "customer_features: build_model" in out
    cli("run", "customer_features", "--snapshot-date", "2025-03-22", "--snapshot-to", "2025-03-24")
    days = query(cli, "SELECT snapshot_date, count(*) AS n FROM customer_features GROUP BY 1 ORDER BY 1")
    assert [d["snapshot_date"] for d in days] == ["2025-03-22", "2025-03-23", "2025-03-24", "2025-03-31"]
    expected = truth["features"]
    assert {d["snapshot_date"]: d["n"] for d in days}["2025-03-31"] == len(expected["2025-03-31"])
    assert {d["snapshot_date"]: d["n"] for d in days}["2025-03-24"] == len(expected["2025-03-24"])
    got = {
        r["customer_id"]: r
        for r in query(cli, "SELECT * FROM customer_features WHERE snapshot_date = DATE '2025-03-24'")
    }
    for customer, features in expected["2025-03-24"].items():
        assert got[customer]["purchase_count"] == features["purchase_count"], customer
        assert got[customer]["recency_days"] == features["recency_days"], customer
    cli("views")
    latest = query(cli, "SELECT DISTINCT snapshot_date FROM customer_features_latest")
    assert latest == [{"snapshot_date": "2025-03-31"}]
    # the same backfill again with no source change: nothing new to build, nothing lost
    again = json.loads(
        cli(
            "run",
            "customer_features",
            "--snapshot-date",
            "2025-03-22",
            "--snapshot-to",
            "2025-03-24",
            "--json",
        )
    )
    (build,) = [r for r in again if r["stage"] == "build_model"]
    assert (build["mode"], build["rows_written"], build["reconciled"]) == ("incremental", 0, True)
    assert len(query(cli, "SELECT DISTINCT snapshot_date FROM customer_features")) == 4
