"""Athena (Trino) SQL -> DuckDB SQL, and type names between Glue, DuckDB and Trino (all via sqlglot)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lakehouse.engine.errors import QueryError

__all__ = ["QueryError"]

ATHENA_CATALOG = "awsdatacatalog"


def parse_athena(sql: str) -> exp.Expression:
    """Parse one Athena statement; a syntax error becomes a one-line QueryError."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise QueryError(
            f"syntax error{where}: {first.get('description', str(exc)).splitlines()[0]}"
        ) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def to_duckdb(sql: str | exp.Expression) -> str:
    """Transpile Athena SQL to DuckDB, dropping the `awsdatacatalog.` catalog qualifier."""
    tree = parse_athena(sql) if isinstance(sql, str) else sql.copy()
    for table in tree.find_all(exp.Table):
        if table.catalog and table.catalog.lower() == ATHENA_CATALOG:
            table.set("catalog", None)
    return tree.sql(dialect="duckdb")


def glue_to_duckdb_type(glue_type: str) -> str:
    return exp.DataType.build(glue_type, dialect="hive").sql(dialect="duckdb")


def duckdb_to_trino_type(duck_type: str) -> str:
    return exp.DataType.build(duck_type, dialect="duckdb").sql(dialect="trino").lower()


def duckdb_to_glue_type(duck_type: str) -> str:
    return exp.DataType.build(duck_type, dialect="duckdb").sql(dialect="hive").lower()
