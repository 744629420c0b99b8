"""Athena's metadata statements, answered from the local Glue catalog.

`SHOW DATABASES`, `SHOW TABLES [IN db] ['pattern']`, `SHOW PARTITIONS t`, `DESCRIBE t`,
`SHOW CREATE VIEW v` and the `"t$partitions"` table read the same catalog Athena would, so their
answers are the catalog's, not DuckDB's. Other metadata forms (DESCRIBE FORMATTED, SHOW TBLPROPERTIES,
...) are refused with the one-line "not supported locally" error.
"""

from __future__ import annotations

import re
from typing import Protocol

import duckdb
from sqlglot import exp

from lakehouse.aws.catalog import Catalog, view_sql
from lakehouse.engine.dialect import NotSupportedLocally
from lakehouse.engine.result import Result
from lakehouse.engine.sql import glue_to_duckdb_type
from lakehouse.errors import QueryError
from lakehouse.settings import Settings


class EngineParts(Protocol):
    """What the metadata statements read of the local engine (lakehouse.engine.local.LocalEngine): its
    settings, its catalog and its DuckDB connection. A protocol, so this module needs no import of the
    engine that calls it."""

    settings: Settings
    catalog: Catalog
    con: duckdb.DuckDBPyConnection


_NAME = r"(?:[`\"]?[A-Za-z0-9_$]+[`\"]?)"
_TABLE = rf"(?P<table>{_NAME}(?:\.{_NAME})?)"
META_SCHEMA = "lh_meta"


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    sql = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return sql.strip().rstrip(";").strip()


def _split(name: str, default_db: str) -> tuple[str, str]:
    parts = [p.strip('`"').lower() for p in name.split(".")]
    return (parts[0], parts[1]) if len(parts) == 2 else (default_db, parts[0])


def _athena_pattern(pattern: str) -> re.Pattern:
    """Athena's SHOW TABLES/DATABASES pattern: `*` any characters, `|` alternatives, case-insensitive."""
    alternatives = [re.escape(p.strip()).replace(r"\*", ".*") for p in pattern.split("|")]
    return re.compile("(?:" + "|".join(alternatives) + ")", re.I)


def statement(engine: EngineParts, sql: str) -> Result | None:
    """The answer to a metadata statement, or None when `sql` is not one."""
    text = _strip_comments(sql)
    gold = engine.settings.database("gold")
    if m := re.fullmatch(r"(?is)show\s+(?:databases|schemas)(?:\s+(?:like\s+)?'(?P<pattern>[^']*)')?", text):
        names = sorted(_databases(engine))
        if m["pattern"] is not None:
            names = [n for n in names if _athena_pattern(m["pattern"]).fullmatch(n)]
        return Result(["database_name"], ["varchar"], [(n,) for n in names])
    if m := re.fullmatch(
        rf"(?is)show\s+tables(?:\s+(?:in|from)\s+(?P<db>{_NAME}))?(?:\s+(?:like\s+)?'(?P<pattern>[^']*)')?",
        text,
    ):
        db = (m["db"] or gold).strip('`"').lower()
        names = sorted(t["Name"] for t in _tables(engine, db))
        if m["pattern"] is not None:
            names = [n for n in names if _athena_pattern(m["pattern"]).fullmatch(n)]
        return Result(["tab_name"], ["varchar"], [(n,) for n in names])
    if m := re.fullmatch(rf"(?is)show\s+partitions\s+{_TABLE}", text):
        db, name = _split(m["table"], gold)
        table = _table(engine, db, name)
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        if not keys:
            raise QueryError(f"Table {db}.{name} is not partitioned")
        rows = [
            ("/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)),)
            for values, _ in engine.catalog.get_partitions(db, name)
        ]
        return Result(["partition"], ["varchar"], sorted(rows))
    if m := re.fullmatch(rf"(?is)(?:describe|desc)\s+{_TABLE}", text):
        db, name = _split(m["table"], gold)
        table = _table(engine, db, name)
        described: list[tuple[str, str, str]] = [
            (c["Name"], c["Type"], c.get("Comment", "")) for c in table["StorageDescriptor"]["Columns"]
        ]
        partition_keys = [
            (c["Name"], c["Type"], c.get("Comment", "")) for c in table.get("PartitionKeys", [])
        ]
        described += partition_keys
        if partition_keys:
            described += [
                ("", "", ""),
                ("# Partition Information", "", ""),
                ("# col_name", "data_type", "comment"),
            ]
            described += [("", "", ""), *partition_keys]
        return Result(["col_name", "data_type", "comment"], ["varchar"] * 3, described)
    if m := re.fullmatch(rf"(?is)show\s+create\s+view\s+{_TABLE}", text):
        db, name = _split(m["table"], gold)
        table = _table(engine, db, name)
        original = view_sql(table)
        if original is None:
            raise QueryError(f"{db}.{name} is not a view")
        return Result(["Create View"], ["varchar"], [(f'CREATE VIEW "{db}"."{name}" AS\n{original}',)])
    if re.match(r"(?is)(show|describe|desc|msck|alter|create|drop)\b", text):
        word = " ".join(text.split()[:2]).upper()
        raise NotSupportedLocally(f"the statement {word} ...", "run it against the Glue catalog")
    return None


def _databases(engine: EngineParts) -> list[str]:
    names: list[str] = []
    for page in engine.catalog.glue.get_paginator("get_databases").paginate():
        names.extend(d["Name"] for d in page["DatabaseList"])
    return names


def _tables(engine: EngineParts, db: str) -> list[dict]:
    try:
        return engine.catalog.list_tables(db)
    except engine.catalog.glue.exceptions.EntityNotFoundException:
        raise QueryError(f"Schema {db} does not exist") from None


def _table(engine: EngineParts, db: str, name: str) -> dict:
    table = engine.catalog.get_table(db, name)
    if table is None:
        raise QueryError(f"Table {db}.{name} does not exist")
    return table


def partitions_tables(engine: EngineParts, tree: exp.Expression) -> exp.Expression:
    """Replace each `"t$partitions"` by a table of t's partition values (typed) from the catalog."""
    for ref in list(tree.find_all(exp.Table)):
        if not ref.name.lower().endswith("$partitions"):
            continue
        db = (ref.db or engine.settings.database("gold")).lower()
        name = ref.name[: -len("$partitions")].lower()
        table = _table(engine, db, name)
        keys = [(k["Name"], glue_to_duckdb_type(k["Type"])) for k in table.get("PartitionKeys", [])]
        if not keys:
            raise QueryError(
                f'Table "{db}"."{name}$partitions" does not exist (the table is not partitioned)'
            )
        local = f"{db}__{name}"
        con: duckdb.DuckDBPyConnection = engine.con
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
        columns = ", ".join(f'"{k}" {t}' for k, t in keys)
        con.execute(f'CREATE OR REPLACE TABLE {META_SCHEMA}."{local}" ({columns})')
        rows = [values for values, _ in engine.catalog.get_partitions(db, name)]
        if rows:
            casts = ", ".join(f"CAST(? AS {t})" for _, t in keys)
            con.executemany(f'INSERT INTO {META_SCHEMA}."{local}" VALUES ({casts})', [list(r) for r in rows])
        alias = exp.TableAlias(this=exp.to_identifier(ref.alias or ref.name, quoted=True))
        ref.replace(
            exp.Table(
                this=exp.to_identifier(local, quoted=True), db=exp.to_identifier(META_SCHEMA), alias=alias
            )
        )
    return tree
