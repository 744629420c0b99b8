"""What an Athena query would scan and cost, worked out before it runs (`lakehouse query --explain`).

Athena bills the bytes it reads from S3: for Parquet, the compressed column chunks of the columns a
query needs, in the files of the partitions it cannot prune (footers aside); for text formats, whole
files. This module reproduces that from the catalog and the files themselves, without running the
query:

1. the SQL is parsed (Athena/Trino dialect) and catalog views are inlined, recursively;
2. columns are qualified against the catalog's schemas, so each base table's needed columns are known;
   `count(*)` needs none (Athena answers it from footers);
3. filters on a table's partition keys (after pushing predicates down into subqueries and views) are
   evaluated against the catalog's partition values, with DuckDB, keeping exactly the partitions the
   predicate can be true for;
4. for the kept partitions' Parquet files, each footer is fetched with a ranged GET and the
   compressed sizes of the needed columns' chunks are summed (a map or struct column counts all of
   its leaves).

Cost: bytes are rounded up to whole megabytes with Athena's 10 MB minimum per query, priced per
terabyte (2^40 bytes; $5 by default, `--price-per-tb`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import cast

import duckdb
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.pushdown_predicates import pushdown_predicates
from sqlglot.optimizer.pushdown_projections import pushdown_projections
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from lakehouse.aws.catalog import Catalog, view_sql
from lakehouse.aws.storage import Storage, split_uri
from lakehouse.engine.sql import parse_athena
from lakehouse.errors import QueryError
from lakehouse.settings import Settings

MB = 2**20
TB = 2**40
MIN_BILLED = 10 * MB  # Athena's minimum per query
_TAIL = 64 * 1024  # first guess of footer + trailer size: one GET for nearly every file


@dataclass
class FileScan:
    uri: str
    size: int  # object size
    scanned: int  # bytes Athena reads from it


@dataclass
class TableScan:
    table: str  # database.table
    columns: list[str]  # data columns the query needs (partition keys come from the paths)
    partition_filter: str  # the predicate used to prune partitions ('' = none)
    partitions: list[str]  # kept partitions, as k=v/k=v ('' for an unpartitioned table)
    partitions_total: int
    files: list[FileScan] = field(default_factory=list)

    @property
    def scanned_bytes(self) -> int:
        return sum(f.scanned for f in self.files)


@dataclass
class ScanPlan:
    scans: list[TableScan]
    price_per_tb: float

    @property
    def scanned_bytes(self) -> int:
        return sum(s.scanned_bytes for s in self.scans)

    @property
    def billed_bytes(self) -> int:
        return max(MIN_BILLED, math.ceil(self.scanned_bytes / MB) * MB)

    @property
    def cost_usd(self) -> float:
        return self.billed_bytes / TB * self.price_per_tb

    def as_dict(self) -> dict:
        return {
            "scanned_bytes": self.scanned_bytes,
            "billed_bytes": self.billed_bytes,
            "price_per_tb": self.price_per_tb,
            "cost_usd": self.cost_usd,
            "tables": [
                {
                    "table": s.table,
                    "columns": s.columns,
                    "partition_filter": s.partition_filter,
                    "partitions": s.partitions,
                    "partitions_total": s.partitions_total,
                    "files": [vars(f) for f in s.files],
                    "scanned_bytes": s.scanned_bytes,
                }
                for s in self.scans
            ],
        }


# --------------------------------------------------------------------------------------------------
# Parquet footers


def parquet_footer(storage: Storage, uri: str, size: int) -> pq.FileMetaData:
    """A Parquet file's metadata from its tail: one ranged GET (two if the footer is very large)."""
    bucket, key = split_uri(uri)

    def tail(n: int) -> bytes:
        start = max(0, size - n)
        return storage.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{size - 1}")["Body"].read()

    data = tail(_TAIL)
    if data[-4:] != b"PAR1":
        raise QueryError(f"{uri} is not a Parquet file")
    need = int.from_bytes(data[-8:-4], "little") + 8
    if need > len(data):
        data = tail(need)
    return pq.read_metadata(io.BytesIO(b"PAR1" + data[-need:]))


def column_bytes(meta: pq.FileMetaData, columns: set[str]) -> int:
    """Compressed bytes of the chunks of these top-level columns, over all row groups."""
    total = 0
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for i in range(group.num_columns):
            chunk = group.column(i)
            if chunk.path_in_schema.split(".", 1)[0].lower() in columns:
                total += chunk.total_compressed_size
    return total


# --------------------------------------------------------------------------------------------------
# SQL -> tables, columns, partition predicates


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _inline_views(tree: exp.Expression, catalog: Catalog, default_db: str, tables: dict) -> exp.Expression:
    """Replace references to catalog views by their SQL (recursively); fill `tables` with base tables."""
    for _ in range(20):  # views of views, bounded
        changed = False
        ctes = _cte_names(tree)
        for table in list(tree.find_all(exp.Table)):
            name = table.name.lower()
            if not table.db and name in ctes:
                continue
            db = (table.db or default_db).lower()
            found = tables.get((db, name)) or catalog.get_table(db, name)
            if found is None:
                raise QueryError(f"table {db}.{name} does not exist")
            sql = view_sql(found)
            if sql is None:
                tables[(db, name)] = found
                table.set("db", exp.to_identifier(db))
                table.set("catalog", None)
                continue
            view = parse_athena(sql)
            alias = table.alias_or_name
            table.replace(exp.Subquery(this=view, alias=exp.TableAlias(this=exp.to_identifier(alias))))
            changed = True
        if not changed:
            return tree
    raise QueryError("views nested too deeply")


def _schema(tables: dict) -> dict:
    schema: dict = {}
    for (db, name), t in tables.items():
        cols = [*t["StorageDescriptor"]["Columns"], *t.get("PartitionKeys", [])]
        schema.setdefault(db, {})[name] = {c["Name"].lower(): c["Type"] for c in cols}
    return schema


def _conjuncts(where: exp.Expression | None) -> list[exp.Expression]:
    if where is None:
        return []
    if isinstance(where.this, exp.And):
        return [cast(exp.Expression, p) for p in where.this.flatten()]
    return [where.this]


def _needs(tree: exp.Expression) -> dict[tuple[str, str], dict]:
    """(db, table) -> {'columns': set, 'filters': [predicates on partition keys, or None = no pruning]}."""
    out: dict[tuple[str, str], dict] = {}
    for scope in traverse_scope(tree):
        for alias, source in scope.selected_sources.items():
            node = source[1] if isinstance(source, tuple) else source
            if not isinstance(node, exp.Table):
                continue
            key = (node.db.lower(), node.name.lower())
            need = out.setdefault(key, {"columns": set(), "filters": []})
            need["columns"] |= {c.name.lower() for c in scope.columns if c.table == alias}
            own = [
                p
                for p in _conjuncts(scope.expression.args.get("where"))
                if not p.find(exp.Select)
                and (cols := list(p.find_all(exp.Column)))
                and all(c.table == alias for c in cols)
            ]
            need["filters"].append((alias, own))
    return out


def _partition_filter(alias: str, predicates: list[exp.Expression], keys: list[str]) -> exp.Expression | None:
    usable = [p for p in predicates if all(c.name.lower() in keys for c in p.find_all(exp.Column))]
    if not usable:
        return None
    combined = cast(exp.Expression, exp.and_(*[p.copy() for p in usable]))
    for col in combined.find_all(exp.Column):
        col.set("table", None)
    return combined


def _kept(partitions: list[tuple], keys: list[tuple[str, str]], predicate: exp.Expression) -> set[int]:
    """Indexes of the partitions for which the predicate may be true (evaluated by DuckDB)."""
    from lakehouse.engine.sql import glue_to_duckdb_type

    if not partitions:
        return set()
    con = duckdb.connect()
    try:
        names = ", ".join(f'"{n}"' for n, _ in keys)
        rows = ", ".join(
            "("
            + ", ".join(
                [str(i)]
                + [
                    f"TRY_CAST('{str(v).replace(chr(39), chr(39) * 2)}' AS {glue_to_duckdb_type(t)})"
                    for v, (_, t) in zip(values, keys, strict=True)
                ]
            )
            + ")"
            for i, values in enumerate(partitions)
        )
        sql = f"SELECT i FROM (VALUES {rows}) AS p(i, {names}) WHERE {predicate.sql(dialect='duckdb')}"
        return {r[0] for r in con.execute(sql).fetchall()}
    except duckdb.Error:
        return set(range(len(partitions)))  # a predicate DuckDB cannot judge prunes nothing
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------


def explain(
    settings: Settings,
    sql: str,
    price_per_tb: float = 5.0,
    catalog: Catalog | None = None,
    storage: Storage | None = None,
) -> ScanPlan:
    """The partitions, files and bytes Athena would scan for `sql`, and what that costs."""
    catalog, storage = catalog or Catalog(settings), storage or Storage(settings)
    tables: dict = {}
    tree = _inline_views(parse_athena(sql), catalog, settings.database("gold"), tables)
    try:
        schema = _schema(tables)
        tree = qualify(tree, schema=schema, dialect="athena", validate_qualify_columns=False)
        tree = pushdown_predicates(pushdown_projections(tree))
    except sqlglot.errors.SqlglotError as exc:
        raise QueryError(f"cannot analyse the query: {exc}") from None
    scans = []
    for (db, name), need in sorted(_needs(tree).items()):
        table = tables[(db, name)]
        keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
        if keys:
            partitions = catalog.get_partitions(db, name)
            kept: set[int] = set()
            shown = []
            for alias, predicates in need["filters"]:
                predicate = _partition_filter(alias, predicates, [k for k, _ in keys])
                if predicate is None:
                    kept = set(range(len(partitions)))  # one unfiltered reference reads everything
                    shown.append("")
                    break
                kept |= _kept([v for v, _ in partitions], keys, predicate)
                shown.append(predicate.sql(dialect="athena"))
            locations = [
                (
                    "/".join(f"{k}={v}" for (k, _), v in zip(keys, partitions[i][0], strict=True)),
                    partitions[i][1],
                )
                for i in sorted(kept)
            ]
            total = len(partitions)
            shown_filter = " OR ".join(f"({s})" for s in shown) if all(shown) else ""
        else:
            location = table["StorageDescriptor"].get("Location", "")
            locations, total, shown_filter = ([("", location)] if location else []), 1, ""
        fmt = table["StorageDescriptor"].get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        parquet = "parquet" in fmt
        data_columns = sorted(need["columns"] - {k for k, _ in keys})
        scan = TableScan(f"{db}.{name}", data_columns, shown_filter, [p for p, _ in locations], total)
        for _, location in locations:
            for obj in storage.list(location):
                base = obj.key.rsplit("/", 1)[-1]
                if base.startswith(("_", ".")) or obj.key.endswith("/") or obj.size == 0:
                    continue
                if parquet:
                    scanned = column_bytes(parquet_footer(storage, obj.uri, obj.size), set(data_columns))
                else:
                    scanned = obj.size  # text formats are read whole
                scan.files.append(FileScan(obj.uri, obj.size, scanned))
        scans.append(scan)
    return ScanPlan(scans, price_per_tb)


def render(plan: ScanPlan) -> str:
    """The plan as text for the terminal."""
    lines = []
    for s in plan.scans:
        parts = (
            f"{len(s.partitions)} of {s.partitions_total} partitions"
            if s.partitions_total > 1 or any(s.partitions)
            else "unpartitioned"
        )
        lines.append(f"{s.table}: {parts}, {len(s.files)} files, {s.scanned_bytes:,} bytes")
        lines.append(f"  columns: {', '.join(s.columns) or '(none: row counts come from footers)'}")
        if s.partition_filter:
            lines.append(f"  partition filter: {s.partition_filter}")
        for p in s.partitions[:10]:
            lines.append(f"  partition {p}")
        if len(s.partitions) > 10:
            lines.append(f"  ... and {len(s.partitions) - 10} more partitions")
        for f in s.files[:10]:
            lines.append(f"  file {f.uri}: {f.scanned:,} of {f.size:,} bytes")
        if len(s.files) > 10:
            lines.append(f"  ... and {len(s.files) - 10} more files")
    lines.append(
        f"scanned: {plan.scanned_bytes:,} bytes ({plan.scanned_bytes / MB:.2f} MiB); billed: "
        f"{plan.billed_bytes / MB:.0f} MiB (10 MB minimum, whole MB); cost: ${plan.cost_usd:.8f} "
        f"at ${plan.price_per_tb:g} per TB"
    )
    return "\n".join(lines)
