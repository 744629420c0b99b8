"""The project's Athena views translate under the local Athena's Trino semantics (nothing refused).

The gold tables are created empty in an in-memory DuckDB with the types the contracts give them (no
endpoint), then every domain's view is created in dependency order, as `lakehouse views` does.
The expected column types are worked out by hand from the Trino rules (functions/decimal.md,
functions/aggregate.md, functions/datetime.md) and the contracts' column types.
"""

from __future__ import annotations

from lakehouse.contract.dataset import load_contracts
from lakehouse.contract.model import load_models
from lakehouse.contract.tables import audit_table, model_tables, quality_table, tables_for
from lakehouse.deploy.views import load_views, sql_files
from lakehouse.engine.local import connect
from lakehouse.engine.sql import glue_to_duckdb_type, to_duckdb
from lakehouse.settings import DATA_ZONES, Settings
from tests.plugin import REPO


def _catalog_in_duckdb(settings: Settings):
    con = connect()
    for zone in DATA_ZONES:
        con.execute(f'CREATE SCHEMA "{settings.database(zone)}"')
    specs = [audit_table(settings), quality_table(settings)]
    for contract in load_contracts(settings.domains).values():
        specs.extend(tables_for(contract, settings))
    models = load_models(settings.domains)
    for model in models.values():
        specs.extend(model_tables(model, settings))
    for spec in {s.qualified: s for s in specs}.values():
        cols = ", ".join(f'"{n}" {glue_to_duckdb_type(t)}' for n, t in spec.columns + spec.partition_keys)
        con.execute(f'CREATE TABLE "{spec.database}"."{spec.name}" ({cols})')
    return con, {m.name: m.parameters for m in models.values()}


def _types(con, db: str, view: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [db, view],
    ).fetchall()
    return dict(rows)


def test_every_view_is_created_with_trino_result_types():
    settings = Settings(project="lhtest", env="local", domains=(REPO / "domains",))
    con, parameters = _catalog_in_duckdb(settings)
    gold = settings.database("gold")
    con.execute(f'SET schema = "{gold}"')
    pending = load_views(sql_files([REPO / "domains"], "views"), parameters)
    while pending:  # a view may read another: create those whose inputs exist first
        done = []
        for view in pending:
            try:
                con.execute(f'CREATE VIEW "{gold}"."{view.name}" AS {to_duckdb(view.select_sql, con, gold)}')
                done.append(view)
            except Exception as exc:
                last = exc
        assert done, f"no view could be created: {last}"
        pending = [v for v in pending if v not in done]

    # count_if is bigint (DuckDB's own is HUGEINT); date_trunc keeps timestamp; date_diff is bigint
    hourly = _types(con, gold, "hourly_traffic")
    assert hourly["event_hour"] == "TIMESTAMP" and hourly["page_views"] == "BIGINT"
    assert _types(con, gold, "session_length")["duration_seconds"] == "BIGINT"
    # decimal(38,2) sum / bigint: decimal(38,2), round keeps it (functions/decimal.md, math.md)
    segments = _types(con, gold, "customer_segments")
    assert segments["avg_order_value"] == "DECIMAL(38,2)"
    # 100.0 * bigint / bigint: decimal(4,1) * decimal(19,0) = decimal(23,1); / -> decimal(23,1);
    # round(x, 2) -> decimal(24,1): Athena shows one decimal here, as the local engine now does
    assert _types(con, gold, "daily_conversion_funnel")["conversion_pct"] == "DECIMAL(24,1)"
