"""The three new domains' models on their generators' files, against the ground truth each generator
writes (computed there in plain Python, independently of the pipeline): raw text -> the raw->silver
transforms -> the model's build, as the jobs chain them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from lakehouse_domains.activity import transform as activity
from lakehouse_domains.activity.generate import generate_user_activity
from lakehouse_domains.customer_features import transform as customer_features
from lakehouse_domains.customer_features.generate import generate_customer_features
from lakehouse_domains.retail import transform as retail
from lakehouse_domains.retail.generate import generate_retail
from pyspark.sql import functions as F

from lakehouse.contract.dataset import load_contract
from lakehouse.transforms import silver as r2s
from lakehouse.transforms.csv_records import parse_csv_files
from tests.plugin import DOMAIN_OF, REPO

pytestmark = pytest.mark.spark


def silver(spark, dataset: str, files: list[Path]):
    """(silver rows, rows read, duplicates removed, rows quarantined) of these files."""
    contract = load_contract(REPO / "domains" / DOMAIN_OF[dataset] / f"{dataset}.yaml")
    if contract.source.format == "json":
        text = spark.createDataFrame(
            [(f"s3://raw/{f.name}", f.read_text()) for f in files], "path string, value string"
        )
        records = r2s.parse_json_records(r2s.read_lines(text, F.col("path")), contract)
    else:
        located = [(str(f), f"s3://raw/{f.name}", f.stat().st_size) for f in files]
        records = parse_csv_files(spark, located, contract)
    checked = r2s.validate(records, contract).cache()
    good = checked.where(F.size("_reasons") == 0)
    rows = r2s.to_silver(r2s.deduplicate(good, contract), contract, "run").cache()
    read, bad = checked.count(), checked.where(F.size("_reasons") > 0).count()
    return rows, read, read - bad - rows.count(), bad


def test_user_activity_against_its_generator(spark, tmp_path):
    truth = generate_user_activity(tmp_path)
    rows, read, duplicates, bad = silver(
        spark, "user_activity", sorted(tmp_path.glob("user_activity_*.json"))
    )
    assert (read, duplicates, bad) == (
        truth["lines"],
        truth["redelivered_unchanged"],
        sum(truth["bad_lines"].values()),
    )
    assert rows.count() == truth["record_versions"]
    build = activity.build(spark, {"user_activity": rows}, {})
    assert build.tables["fact_user_activity"].count() == truth["records"]
    users = build.tables["dim_user"].collect()
    versions = {u: sum(r["user_id"] == u for r in users) for u in truth["profile_versions"]}
    assert versions == truth["profile_versions"]
    current = {r["user_id"]: r for r in users if r["is_current"]}
    for user, profile in truth["current_profile"].items():
        address = profile["user_address"] or {}
        assert (current[user]["city"], current[user]["first_name"]) == (
            address.get("City"),
            profile["user_name"]["FirstName"],
        )
        newest = dt.datetime.fromisoformat(profile["last_modified_at"]).replace(tzinfo=None)
        assert (
            current[user]["valid_from"] <= newest
        )  # the current version began at or before the newest record
    corrected = truth["corrected_record"]
    fact = build.tables["fact_user_activity"]
    (action,) = fact.where(
        (F.col("user_id") == corrected["user_id"])
        & (F.col("action_ts") == dt.datetime.fromisoformat(corrected["action_ts"]).replace(tzinfo=None))
        & (F.col("action_type") == corrected["action_type"])
    ).collect()  # the record changed upstream is one action, in its newest version
    newest = dt.datetime.fromisoformat(corrected["last_modified_at"][1]).replace(tzinfo=None)
    assert action["last_modified_at"] == newest


def test_retail_against_its_generator(spark, tmp_path):
    truth = generate_retail(tmp_path)
    events, read, duplicates, bad = silver(spark, "retail_events", [tmp_path / "events.csv"])
    assert (read, duplicates, bad) == (
        truth["events"]["lines"],
        truth["events"]["duplicates"],
        sum(truth["events"]["bad"].values()),
    )
    props, *_ = silver(spark, "item_properties", sorted(tmp_path.glob("item_properties_part*.csv")))
    tree, *_ = silver(spark, "category_tree", [tmp_path / "category_tree.csv"])
    build = retail.build(
        spark, {"retail_events": events, "item_properties": props, "category_tree": tree}, {}
    )
    fact = build.tables["fact_events"]
    by_day = {
        (str(r["event_date"]), r["event_type"]): r["n"]
        for r in fact.groupBy("event_date", "event_type").agg(F.count("*").alias("n")).collect()
    }
    assert by_day == {(d, e): n for d, counts in truth["events"]["by_day"].items() for e, n in counts.items()}
    items = build.tables["dim_item"].collect()
    for ms, states in truth["item_state"].items():
        moment = dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC).replace(tzinfo=None)
        for item, state in states.items():
            valid = [r for r in items if r["item_id"] == item and r["valid_from"] <= moment < r["valid_to"]]
            expected = (state["categoryid"], {"1": True, "0": False}.get(state["available"]))
            assert [(r["category_id"], r["is_available"]) for r in valid] == [expected], (item, ms)
    tree_truth = truth["category_tree"]
    categories = build.tables["dim_category"].collect()
    assert sorted(r["category_id"] for r in categories if r["level"] == 1) == sorted(tree_truth["roots"])
    rejected = {
        json.loads(r["_record"])["categoryid"]: r["_codes"][0].split(":")[0] for r in build.rejected.collect()
    }
    assert rejected == {c: "category_orphan" for c in tree_truth["orphans"]} | {
        c: "category_cycle" for c in tree_truth["cycle"]
    }
    assert len(categories) + len(rejected) == tree_truth["categories"]


def test_customer_features_against_its_generator(spark, tmp_path):
    truth = generate_customer_features(tmp_path)
    transactions, *_ = silver(spark, "transactions", [tmp_path / "transactions_features.csv"])
    clicks, *_ = silver(spark, "clickstream", sorted(tmp_path.glob("clickstream-features-*.json")))
    for day, expected in truth["features"].items():
        build = customer_features.build(
            spark, {"transactions": transactions, "clickstream": clicks}, {"snapshot_date": day}
        )
        got = {r["customer_id"]: r.asDict() for r in build.tables["customer_features"].collect()}
        assert set(got) == set(expected), day
        for customer, features in expected.items():
            row = got[customer]
            for name, value in features.items():
                if name in ("total_spend", "avg_transaction_value") and value is not None:
                    value = Decimal(value)
                if name == "avg_session_duration_seconds" and value is not None:
                    assert row[name] == pytest.approx(value, abs=0.051), (day, customer, name)
                    continue
                assert row[name] == value, (day, customer, name)
