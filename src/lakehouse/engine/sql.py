"""Athena (Trino) SQL -> DuckDB SQL, and type names between Glue, DuckDB and Trino (all via sqlglot)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lakehouse.errors import QueryError

__all__ = ["QueryError"]

ATHENA_CATALOG = "awsdatacatalog"


def parse_athena(sql: str) -> exp.Expression:
    """Parse one Athena statement; a syntax error becomes a one-line QueryError."""
    try:
        from lakehouse.engine.dialect import AthenaLocal

        statements = [s for s in sqlglot.parse(sql, read=AthenaLocal) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise QueryError(
            f"syntax error{where}: {first.get('description', str(exc)).splitlines()[0]}"
        ) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def strip_catalog(tree: exp.Expression) -> exp.Expression:
    """Drop the `awsdatacatalog.` qualifier: locally each catalog database is a DuckDB schema."""
    for table in tree.find_all(exp.Table):
        if table.catalog and table.catalog.lower() == ATHENA_CATALOG:
            table.set("catalog", None)
    return tree


def duckdb_schema(con) -> dict:
    """{schema: {table: {column: DuckDB type}}} of every table and view on a DuckDB connection."""
    out: dict = {}
    rows = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    for db, table, column, type_ in rows:
        out.setdefault(db, {}).setdefault(table, {})[column] = type_
    return out


def translate(sql: str | exp.Expression, con=None, default_db: str | None = None):
    """Athena SQL -> a `Translation` (DuckDB SQL with Trino semantics), typed against `con`'s tables."""
    from sqlglot.schema import MappingSchema

    from lakehouse.engine.dialect import translate as _translate

    tree = strip_catalog(parse_athena(sql) if isinstance(sql, str) else sql.copy())
    schema = MappingSchema(duckdb_schema(con) if con is not None else {}, dialect="duckdb")
    return _translate(tree, schema, default_db)


def to_duckdb(sql: str | exp.Expression, con=None, default_db: str | None = None) -> str:
    """Transpile Athena SQL to DuckDB SQL with Trino semantics (see lakehouse.engine.dialect)."""
    return translate(sql, con, default_db).sql


def glue_to_duckdb_type(glue_type: str) -> str:
    return exp.DataType.build(glue_type, dialect="hive").sql(dialect="duckdb")


def duckdb_to_trino_type(duck_type: str) -> str:
    return exp.DataType.build(duck_type, dialect="duckdb").sql(dialect="trino").lower()


def duckdb_to_glue_type(duck_type: str) -> str:
    return exp.DataType.build(duck_type, dialect="duckdb").sql(dialect="hive").lower()
