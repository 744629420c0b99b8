"""Athena's metadata statements over the local Glue catalog (the endpoint holds the catalog).

Expected answers come from what the test itself put in the catalog (the deployed contracts, two
partitions, one view) and from the shape Athena gives these statements (Athena SQL reference:
SHOW DATABASES -> database_name, SHOW TABLES -> tab_name, SHOW PARTITIONS -> partition as k=v,
DESCRIBE -> col_name / data_type / comment with a partition section; Trino hive connector docs:
the "t$partitions" table has one typed column per partition key).
"""

from __future__ import annotations

from datetime import date

import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.engine.dialect import NotSupportedLocally
from lakehouse.engine.local import LocalEngine

pytestmark = pytest.mark.endpoint


@pytest.fixture
def engine(deployed):
    settings = deployed
    catalog = Catalog(settings)
    gold = settings.database("gold")
    table = catalog.get_table(gold, "fact_clicks")
    sd = table["StorageDescriptor"]
    for day in ("2025-01-06", "2025-01-07"):  # partitions whose folders hold no files yet
        catalog.glue.create_partition(
            DatabaseName=gold,
            TableName="fact_clicks",
            PartitionInput={
                "Values": [day],
                "StorageDescriptor": {**sd, "Location": f"{sd['Location']}event_date={day}/"},
            },
        )
    catalog.put_view(gold, "one_view", "SELECT 1 AS x", [("x", "int", "integer")])
    eng = LocalEngine(settings)
    yield eng
    eng.close()


def test_show_databases_and_tables(engine):
    settings = engine.settings
    dbs = [r[0] for r in engine.query("SHOW DATABASES").rows]
    assert {settings.database(z) for z in ("raw", "silver", "gold")} <= set(dbs)
    assert engine.query("SHOW DATABASES").columns == ["database_name"]

    gold = engine.query("SHOW TABLES")
    assert gold.columns == ["tab_name"]
    names = [r[0] for r in gold.rows]
    assert names == sorted(names) and {"fact_clicks", "dim_users", "one_view"} <= set(names)
    silver = [r[0] for r in engine.query(f"SHOW TABLES IN {settings.database('silver')}").rows]
    assert "clickstream" in silver and "fact_clicks" not in silver
    assert [r[0] for r in engine.query("SHOW TABLES 'fact_*|one_view'").rows] == [
        n for n in names if n.startswith("fact_") or n == "one_view"
    ]


def test_show_partitions_and_the_partitions_table(engine):
    result = engine.query("SHOW PARTITIONS fact_clicks")
    assert result.columns == ["partition"]
    assert result.rows == [("event_date=2025-01-06",), ("event_date=2025-01-07",)]
    rows = engine.query('SELECT event_date FROM "fact_clicks$partitions" ORDER BY 1')
    assert rows.rows == [(date(2025, 1, 6),), (date(2025, 1, 7),)] and rows.types == ["date"]
    gold = engine.settings.database("gold")
    assert engine.query(f'SELECT max(event_date) FROM {gold}."fact_clicks$partitions"').rows == [
        (date(2025, 1, 7),)
    ]


def test_describe_lists_columns_then_partition_keys(engine):
    result = engine.query("DESCRIBE fact_clicks")
    assert result.columns == ["col_name", "data_type", "comment"]
    table = Catalog(engine.settings).get_table(engine.settings.database("gold"), "fact_clicks")
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert [(r[0], r[1]) for r in result.rows[: len(columns)]] == columns
    assert ("event_date", "date") in [(r[0], r[1]) for r in result.rows[len(columns) :]]
    assert ("# Partition Information", "", "") in result.rows


def test_show_create_view(engine):
    gold = engine.settings.database("gold")
    result = engine.query("SHOW CREATE VIEW one_view")
    assert result.rows == [(f'CREATE VIEW "{gold}"."one_view" AS\nSELECT 1 AS x',)]


def test_other_metadata_statements_are_refused(engine):
    with pytest.raises(
        NotSupportedLocally, match=r"^not supported locally: the statement SHOW TBLPROPERTIES"
    ):
        engine.query("SHOW TBLPROPERTIES fact_clicks")
