"""The local Athena: DuckDB reading the Parquet/JSON files the Glue catalog points at, in the emulated S3.

Each catalog database becomes a DuckDB schema of the same name and each table a view over the
locations the catalog records, exactly the partitions Athena would read. Partition keys come from
the `key=value` paths, so a filter on them skips other partitions' files. Views stored in the catalog
(Athena's VIRTUAL_VIEW) are transpiled and created too. Unqualified names resolve to the gold database.
"""

from __future__ import annotations

import glob
import os
from datetime import datetime
from urllib.parse import urlparse

import duckdb
from sqlglot import exp

from lakehouse import aws
from lakehouse.aws.catalog import Catalog, view_sql
from lakehouse.aws.storage import Storage
from lakehouse.engine import macros, metadata
from lakehouse.engine.dialect import NotSupportedLocally, UnknownTable, trino_type_name
from lakehouse.engine.result import Result
from lakehouse.engine.sql import glue_to_duckdb_type, parse_athena, to_duckdb, translate
from lakehouse.errors import QueryError
from lakehouse.settings import DATA_ZONES, Settings


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up as the local Athena: session time zone UTC and the lh_* macros."""
    # nothing is fetched or loaded on its own: httpfs comes from the wheel, loaded by path
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'UTC'")  # Athena's session zone: timestamps are UTC wall-clock values
    macros.install(con)
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str | exp.Expression, default_db: str | None = None) -> Result:
    """Run one Athena (Trino) query on a DuckDB connection with Trino's semantics (or refuse it)."""
    translation = translate(sql, con, default_db)
    try:
        rel = con.execute(translation.sql)
        rows = rel.fetchall()
    except duckdb.ParserException as exc:
        raise QueryError("syntax error: " + _first_line(exc).removeprefix("Parser Error: ")) from None
    except duckdb.Error as exc:
        message = _first_line(exc)
        if "not supported locally: " in message:
            raise NotSupportedLocally.from_line(message[message.index("not supported locally: ") :]) from None
        raise QueryError(message.removeprefix("Invalid Input Error: ")) from None
    desc = rel.description or []
    types = []
    for name, type_code, *_ in desc:
        trino = trino_type_name(exp.DataType.build(str(type_code), dialect="duckdb"))
        if trino is None:
            raise NotSupportedLocally(
                f"a result column {name} of DuckDB type {type_code}", "return it with a Trino type"
            )
        types.append(trino)
    if translation.zones:
        rows = [_in_zones(row, translation.zones) for row in rows]
    return Result([d[0] for d in desc], types, rows, translation.notes)


def _in_zones(row: tuple, zones: dict[int, str]) -> tuple:
    from zoneinfo import ZoneInfo

    return tuple(
        v.astimezone(ZoneInfo(zones[i])) if i in zones and isinstance(v, datetime) else v
        for i, v in enumerate(row)
    )


def httpfs_extension() -> str:
    """Path of the httpfs extension shipped by the duckdb-ext-httpfs wheel (nothing is downloaded)."""
    base = os.path.join(os.path.dirname(duckdb.__file__), "..", "duckdb_ext", "extensions")
    found = glob.glob(os.path.join(base, f"v{duckdb.__version__}", "*", "httpfs.duckdb_extension"))
    if not found:
        raise RuntimeError(f"httpfs for duckdb {duckdb.__version__} is missing: install duckdb-ext-httpfs")
    return os.path.normpath(found[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class LocalEngine:
    """DuckDB over the catalog of one environment."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.catalog = Catalog(settings)
        self.storage = Storage(settings)
        self.con = connect()
        self.con.execute(f"LOAD {_lit(httpfs_extension())}")
        self._s3_secret()
        self._sandbox()
        self.tables: dict[str, list[str]] = {}
        self.unavailable: dict[str, str] = {}  # table -> why its files cannot be read locally
        self._register_catalog()

    def _s3_secret(self) -> None:
        url = urlparse(self.settings.endpoint_url or f"https://s3.{self.settings.region}.amazonaws.com")
        key, secret, token = aws.credentials(self.settings)
        session = f", SESSION_TOKEN {_lit(token)}" if token else ""
        self.con.execute(
            f"CREATE SECRET lakehouse (TYPE s3, KEY_ID {_lit(key)}, "
            f"SECRET {_lit(secret)}{session}, REGION {_lit(self.settings.region)}, "
            f"ENDPOINT {_lit(url.netloc)}, URL_STYLE 'path', USE_SSL {str(url.scheme == 'https').lower()})"
        )

    def _sandbox(self) -> None:
        """No local files and no network but the environment's buckets on its S3 endpoint, for good:
        view SQL comes from the (locally unauthenticated) catalog and must not read `/etc/passwd`,
        write files, attach databases or fetch URLs. The configuration is then locked."""
        buckets = ", ".join(_lit(f"s3://{self.settings.bucket(zone)}/") for zone in DATA_ZONES)
        self.con.execute("SET autoinstall_known_extensions = false")
        self.con.execute("SET autoload_known_extensions = false")
        self.con.execute(f"SET allowed_directories = [{buckets}]")
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")

    # catalog -> DuckDB ----------------------------------------------------------------------------
    def _register_catalog(self) -> None:
        views: list[tuple[str, str, str]] = []
        for zone in DATA_ZONES:
            db = self.settings.database(zone)
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(db)}")
            try:
                tables = self.catalog.list_tables(db)
            except self.catalog.glue.exceptions.EntityNotFoundException:
                continue
            self.tables[db] = []
            for table in tables:
                sql = view_sql(table)
                if sql is not None:
                    views.append((db, table["Name"], sql))
                    self.tables[db].append(table["Name"])
                    continue
                try:
                    self.con.execute(
                        f"CREATE VIEW {_quote(db)}.{_quote(table['Name'])} AS {self._scan(db, table)}"
                    )
                    self.tables[db].append(table["Name"])
                except duckdb.Error as exc:  # one unreadable table must not hide the others
                    self.unavailable[f"{db}.{table['Name']}"] = _first_line(exc)
        self.con.execute(f"SET schema = {_lit(self.settings.database('gold'))}")
        self._create_views(views)

    def _create_views(self, views: list[tuple[str, str, str]]) -> None:
        """Create catalog views, retrying until those that depend on other views find them."""
        pending, error = list(views), None
        while pending:
            progressed = False
            for db, name, sql in list(pending):
                try:
                    self.con.execute(
                        f"CREATE VIEW {_quote(db)}.{_quote(name)} AS {to_duckdb(sql, self.con, db)}"
                    )
                    pending.remove((db, name, sql))
                    progressed = True
                except (duckdb.Error, QueryError) as exc:
                    error = exc
            if not progressed:
                names = ", ".join(f"{db}.{name}" for db, name, _ in pending)
                raise QueryError(f"views {names} cannot be created locally: {error}")

    def _has_objects(self, location: str) -> bool:
        return next(iter(self.storage.list(location)), None) is not None

    def _scan(self, db: str, table: dict) -> str:
        """The SELECT reading a catalog table's files, or an empty typed SELECT when there are none."""
        sd = table["StorageDescriptor"]
        columns = [(c["Name"], c["Type"]) for c in sd["Columns"]]
        keys = [(c["Name"], c["Type"]) for c in table.get("PartitionKeys", [])]
        serde = sd.get("SerdeInfo", {}).get("SerializationLibrary", "")
        fmt = "parquet" if "parquet" in serde.lower() else "json" if "json" in serde.lower() else "csv"
        if keys:
            locations = [loc for _, loc in self.catalog.get_partitions(db, table["Name"])]
        else:
            locations = [sd["Location"]] if sd.get("Location") and self._has_objects(sd["Location"]) else []
        # Spark writes UTC-adjusted timestamps, which DuckDB reads as TIMESTAMPTZ; Athena reads the
        # catalog's `timestamp`, a plain timestamp of millisecond precision: read them that way.
        select = ", ".join(
            f"{_as_timestamp(_quote(n))} AS {_quote(n)}" if t == "timestamp" else _quote(n)
            for n, t in columns + keys
        )
        if not locations:
            typed = ", ".join(
                f"CAST(NULL AS {glue_to_duckdb_type(t)}) AS {_quote(n)}" for n, t in columns + keys
            )
            return f"SELECT {typed} WHERE false"
        pattern = {"parquet": "*.parquet", "json": "*.json*", "csv": "*"}[fmt]
        files = "[" + ", ".join(_lit(loc.rstrip("/") + "/" + pattern) for loc in locations) + "]"
        hive = ""
        if keys:
            types = ", ".join(f"{_lit(n)}: {_lit(glue_to_duckdb_type(t))}" for n, t in keys)
            hive = f", hive_partitioning = true, hive_types = {{{types}}}"
        if fmt == "parquet":
            source = f"read_parquet({files}, union_by_name = true{hive})"
            # a column the contract added after these files were written reads as null, as on Athena
            present = {r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            select = ", ".join(
                (
                    f"CAST(NULL AS {glue_to_duckdb_type(t)}) AS {_quote(n)}"
                    if n not in present
                    else f"{_as_timestamp(_quote(n))} AS {_quote(n)}"
                    if t == "timestamp"
                    else _quote(n)
                )
                for n, t in columns + keys
            )
            return f"SELECT {select} FROM {source}"
        schema = ", ".join(f"{_lit(n)}: {_lit(glue_to_duckdb_type(t))}" for n, t in columns)
        if fmt == "json":
            return (
                f"SELECT {select} FROM read_json({files}, format = 'newline_delimited', columns = {{{schema}}}, "
                f"ignore_errors = true{hive})"
            )
        # raw exports are messy: read them as leniently as Athena's OpenCSVSerde (the jobs do the checking)
        return (
            f"SELECT {select} FROM read_csv({files}, header = true, columns = {{{schema}}}, all_varchar = true, "
            f"ignore_errors = true, null_padding = true, strict_mode = false{hive})"
        )

    # queries --------------------------------------------------------------------------------------
    def query(self, sql: str) -> Result:
        """Run one Athena statement: a query (Trino semantics), or a metadata statement over the catalog.

        Errors become one-line QueryErrors; a construct that cannot be answered exactly is refused
        with a NotSupportedLocally error.
        """
        answer = metadata.statement(self, sql)
        if answer is not None:
            return answer
        tree = metadata.partitions_tables(self, parse_athena(sql))
        try:
            return run(self.con, tree, self.settings.database("gold"))
        except UnknownTable as exc:
            notes = [
                f"{t} cannot be read locally: {why}"
                for t, why in self.unavailable.items()
                if t.split(".")[-1] == exc.table.split(".")[-1]
            ]
            raise QueryError("; ".join([str(exc), *notes])) from None

    def explain_analyze(self, sql: str) -> str:
        """DuckDB's EXPLAIN ANALYZE of a query (shows how many files a scan read)."""
        duck_sql = to_duckdb(sql, self.con, self.settings.database("gold"))
        return "\n".join(r[1] for r in self.con.execute("EXPLAIN ANALYZE " + duck_sql).fetchall())

    def describe(self, sql: str) -> list[tuple[str, str]]:
        """(column, DuckDB type) of a query's result, without running it over the data."""
        rel = self.con.sql(to_duckdb(sql, self.con, self.settings.database("gold")))
        return list(zip(rel.columns, [str(t) for t in rel.types], strict=True))

    def close(self) -> None:
        self.con.close()


def _as_timestamp(column: str) -> str:
    """A file's timestamp as Athena's timestamp(3): plain, rounded to milliseconds."""
    return f"CAST(CAST(CAST({column} AS TIMESTAMP) AS TIMESTAMP_MS) AS TIMESTAMP)"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
