"""Athena SQL handling: transpiling, errors, view files."""

from __future__ import annotations

import pytest

from lakehouse.deploy.views import load_queries, load_views, sql_files
from lakehouse.engine.local import connect
from lakehouse.engine.sql import glue_to_duckdb_type, to_duckdb
from lakehouse.errors import QueryError
from tests.plugin import REPO


def test_athena_functions_and_catalog_are_translated():
    con = connect()
    con.execute("CREATE SCHEMA db")
    con.execute("CREATE TABLE db.t (x INTEGER, m MAP(VARCHAR, VARCHAR), d DATE)")
    sql = to_duckdb(
        "SELECT count_if(x > 1), element_at(m, 'k') FROM awsdatacatalog.db.t WHERE d = DATE '2025-01-06'", con
    )
    assert "awsdatacatalog" not in sql
    assert "FROM db.t" in sql and "CAST('2025-01-06' AS DATE)" in sql
    assert "CAST(COUNT_IF(t.x > 1) AS BIGINT)" in sql  # DuckDB's count_if is a HUGEINT, Trino's a bigint


def test_unknown_table_is_one_clear_line():
    with pytest.raises(QueryError, match=r"^Table db.nope does not exist$"):
        to_duckdb("SELECT 1 FROM db.nope")


def test_syntax_error_is_one_clear_line():
    with pytest.raises(QueryError) as err:
        to_duckdb("SELEC * FROM fact_clicks WHERE")
    assert str(err.value).startswith("syntax error") and "\n" not in str(err.value)
    with pytest.raises(QueryError, match="expected one SQL statement, got 2"):
        to_duckdb("SELECT 1; SELECT 2")


def test_types_map_from_glue_to_duckdb():
    assert glue_to_duckdb_type("map<string,string>") == "MAP(TEXT, TEXT)"
    assert glue_to_duckdb_type("decimal(12,2)") == "DECIMAL(12, 2)"


def test_view_files_are_one_named_view_each():
    from lakehouse.contract.model import load_models

    parameters = {m.name: m.parameters for m in load_models(REPO / "domains").values()}
    views = load_views(sql_files([REPO / "domains"], "views"), parameters)
    assert {v.name for v in views} == {
        "hourly_traffic",
        "marketplace_liquidity",
        "daily_conversion_funnel",
        "top_pages",
        "session_length",
        "customer_segments",
        "product_performance",
        "monthly_summary",
        "top_customers",
        "weekly_sales",
        "quarterly_sales",
        "fiscal_period_sales",
        "user_lifecycle_stages",
        "retail_daily_funnel",
        "retail_conversion_by_availability",
        "customer_features_latest",
    }
    segments = next(v for v in views if v.name == "customer_segments")
    assert (
        ">= 10000" in segments.select_sql
        and ">= 5000" in segments.select_sql
        and "${" not in segments.select_sql
    )
    assert all(v.select_sql.upper().startswith(("SELECT", "WITH")) for v in views)
    assert len(load_queries(sql_files([REPO / "domains"], "queries"))) >= 3


def test_unknown_view_parameter_is_a_clear_error(tmp_path):
    (tmp_path / "v.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT ${sales.nope} AS x")
    with pytest.raises(QueryError, match=r"unknown parameter \$\{sales.nope\}"):
        load_views(sorted(tmp_path.glob("*.sql")), {"sales": {"segment_high_from": 1}})


def test_view_file_named_unlike_its_view_is_rejected(tmp_path):
    (tmp_path / "a.sql").write_text("CREATE OR REPLACE VIEW b AS SELECT 1 AS x")
    with pytest.raises(QueryError, match="must be named like its file"):
        load_views(sorted(tmp_path.glob("*.sql")))
    (tmp_path / "a.sql").write_text("SELECT 1")
    with pytest.raises(QueryError, match="expected one CREATE VIEW"):
        load_views(sorted(tmp_path.glob("*.sql")))
