"""Table definitions are derived from the contract, zone by zone."""

from lakehouse.contract.tables import (
    LINEAGE_COLUMNS,
    gold_tables,
    quarantine_table,
    raw_table,
    silver_table,
    tables_for,
)
from lakehouse.settings import Settings

S = Settings(project="acme", env="dev")


def test_names_follow_project_and_env():
    assert S.bucket("raw") == "acme-dev-raw" and S.database("gold") == "acme_dev_gold"
    assert Settings(project="my-co", env="prod").database("silver") == "my_co_prod_silver"


def test_raw_table_reads_scalars_as_strings_and_is_partitioned_by_event_hour(clickstream):
    raw = raw_table(clickstream, S)
    assert raw.format == "json" and raw.location == "s3://acme-dev-raw/clickstream/"
    assert dict(raw.columns)["event_timestamp"] == "string"
    assert dict(raw.columns)["metadata"] == "map<string,string>"
    assert raw.partition_keys == (
        ("year", "string"),
        ("month", "string"),
        ("day", "string"),
        ("hour", "string"),
    )


def test_silver_table_is_the_contract_typed_plus_lineage(clickstream):
    silver = silver_table(clickstream, S)
    assert silver.columns == tuple((c.name, c.type) for c in clickstream.columns) + LINEAGE_COLUMNS
    assert silver.partition_keys == (("event_date", "date"),)
    assert quarantine_table(clickstream, S).column_names[:3] == ("source_file", "source_line", "reason")


def test_gold_tables_carry_surrogate_and_foreign_keys(clickstream):
    tables = {t.name: t for t in gold_tables(clickstream, S)}
    fact = tables["fact_clicks"]
    assert fact.column_names[:5] == ("event_key", "user_key", "page_key", "device_key", "date_key")
    assert dict(fact.columns)["date_key"] == "int" and dict(fact.columns)["revenue"] == "decimal(12,2)"
    assert fact.partition_keys == (("event_date", "date"),)
    assert tables["dim_users"].column_names == (
        "user_key",
        "user_id",
        "first_seen_at",
        "last_seen_at",
        "session_count",
        "event_count",
    )
    assert tables["dim_date"].column_names[:3] == ("date_key", "date", "year")
    assert len(tables_for(clickstream, S)) == 3 + 5
