"""Dataset contracts: one YAML file per dataset, the single source of truth for everything downstream.

A contract says what a source looks like (format, columns, types), how it is keyed and deduplicated,
how each zone is partitioned, which quality rules apply, and how it maps to the star schema.
`load_contract` validates it and raises `ContractError` naming the file, the field and the problem.

This module needs only PyYAML and the standard library: it runs in Glue jobs, Lambda and the CLI.
It is over 400 lines because the contract's types and the checks of each field sit together: a field's
validation is read next to the dataclass it fills (the YAML reader and type grammar are in spec.py).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lakehouse.contract.domains import discover
from lakehouse.contract.spec import Reader, normalize, parse_yaml, read_yaml, type_problem
from lakehouse.errors import ContractError

__all__ = ["ContractError", "Reader", "normalize", "parse_yaml", "read_yaml", "type_problem"]

SOURCE_FORMATS = ("json", "csv")
QUALITY_CHECKS = ("accepted_values", "regex", "range", "expression")
QUALITY_ACTIONS = ("quarantine", "warn")
RAW_TIME_PARTITIONS = ("year", "month", "day", "hour")
# ---------------------------------------------------------------------------------------------------
# The contract model


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""
    formats: tuple[str, ...] = ()  # timestamp/date parse patterns tried in order; empty = ISO 8601
    flatten: bool = False  # a struct column: silver holds one column per field (`<column>_<field>`)

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        """A struct column's (field, type) pairs, as declared (JSON keys keep their case)."""
        return struct_fields(self.type)

    @property
    def silver_columns(self) -> tuple[tuple[str, str], ...]:
        """What this column is in silver: itself, or one snake_case column per field when flattened."""
        if not self.flatten:
            return ((self.name, self.type),)
        return tuple((f"{self.name}_{snake_case(f)}", t) for f, t in self.fields)


EPOCH_FORMATS = ("epoch_millis", "epoch_seconds")  # `formats` entries for numbers since 1970-01-01 UTC
EPOCH_RANGE_SECONDS = (-62135596800, 253402300800)  # 0001-01-01 up to 10000-01-01: outside, not a time


def snake_case(name: str) -> str:
    """`FirstName` -> `first_name`, `ZipCode` -> `zip_code`: how a flattened struct field is named in silver."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def struct_fields(type_text: str) -> tuple[tuple[str, str], ...]:
    """The top-level (field, type) pairs of a `struct<...>` type (nested types kept whole)."""
    text = type_text.replace(" ", "")
    if not text.startswith("struct<") or not text.endswith(">"):
        return ()
    body, fields, depth, start = text[7:-1], [], 0, 0
    for i, ch in enumerate(body + ","):
        depth += ch in "<("
        depth -= ch in ">)"
        if ch == "," and depth == 0:
            name, _, kind = body[start:i].partition(":")
            fields.append((name, kind))
            start = i + 1
    return tuple(fields)


@dataclass(frozen=True)
class DerivedColumn:
    """A column of a gold table: copied, computed per row (`expr`), or aggregated (`agg`), in Spark SQL."""

    name: str
    type: str
    expr: str | None = None
    agg: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Partition:
    name: str
    type: str
    expr: str


@dataclass(frozen=True)
class Source:
    format: str
    file_pattern: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header: bool = True

    def reads(self, name: str) -> bool:
        """Whether the raw->silver job reads an object of this name (and so whether ingest may land it)."""
        return fnmatch.fnmatch(name, self.file_pattern) and not name.startswith(("_", "."))


@dataclass(frozen=True)
class QualityRule:
    name: str
    check: str
    column: str
    action: str = "quarantine"
    values: tuple[str, ...] = ()
    pattern: str | None = None
    min: Any = None
    max: Any = None
    expr: str | None = None  # check: expression -- a Spark SQL condition on typed columns that must hold
    critical: bool = False  # failing beyond `threshold` (share of rows read) fails the run
    threshold: float = 0.0


@dataclass(frozen=True)
class Dimension:
    name: str
    surrogate_key: str
    natural_key: tuple[str, ...] = ()
    kind: str = "entity"  # entity: built from silver rows; calendar: one row per date
    scd_type: int = 1
    source_column: str | None = None  # calendar: the silver column whose dates it covers
    columns: tuple[DerivedColumn, ...] = ()


@dataclass(frozen=True)
class Fact:
    name: str
    surrogate_key: str
    natural_key: tuple[str, ...]
    references: tuple[str, ...]
    columns: tuple[DerivedColumn, ...]
    partitions: tuple[Partition, ...] = ()


@dataclass(frozen=True)
class Contract:
    name: str
    description: str
    source: Source
    columns: tuple[Column, ...]
    keys: tuple[str, ...]
    event_time: str | None  # None: the source has no time column; raw files are placed by arrival
    dedupe_key: tuple[str, ...]
    raw_partitions: tuple[str, ...]
    silver_partitions: tuple[Partition, ...]
    crawl: bool = False  # schema discovery: a Glue crawler runs on new raw data before the job
    quality: tuple[QualityRule, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    facts: tuple[Fact, ...] = ()
    model: str | None = None  # the multi-source gold model this dataset feeds (<domain>/models/<model>.yaml)
    quarantine_limit: float | None = (
        None  # share of a run's rows that may be quarantined; None: the project's
    )
    path: Path = field(default=Path("<memory>"), compare=False)
    # days a run's quarantine partition (whole raw records) is kept; then its files and catalog
    # partition are deleted. None: the project's (LAKEHOUSE_QUARANTINE_EXPIRY_DAYS, default 30)
    quarantine_expiry_days: int | None = None

    @property
    def domain(self) -> str:
        """The domain folder holding it: `<domain>/<name>.yaml`."""
        return self.path.parent.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def silver_columns(self) -> tuple[tuple[str, str], ...]:
        """Silver's contract columns: each declared column, a flattened struct as its fields' columns."""
        return tuple(sc for c in self.columns for sc in c.silver_columns)

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    @property
    def gold_tables(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions) + tuple(f.name for f in self.facts)


# ---------------------------------------------------------------------------------------------------
# Loading and validation


def load_contract(path: Path | str) -> Contract:
    """Read and validate one contract file (lakehouse.contract.registry.load_contract_at also reads s3:// URIs)."""
    return parse_contract(read_yaml(path), Path(path))


def load_contracts(roots: Path | str | Sequence[Path | str]) -> dict[str, Contract]:
    """Every domain's contracts under these folders (lakehouse.contract.domains), by dataset name."""
    contracts: dict[str, Contract] = {}
    for domain in discover(roots):
        for file in domain.contract_files:
            contract = load_contract(file)
            if contract.name in contracts:
                raise ContractError(
                    file,
                    "name",
                    f"dataset {contract.name!r} is also defined in {contracts[contract.name].path}",
                )
            contracts[contract.name] = contract
    check_unique_tables(contracts.values())
    return contracts


def check_unique_tables(contracts: Iterable[Contract]) -> None:
    """A gold table (an entity dimension or a fact) is defined by one contract only. (A calendar
    dimension is a reference to the conformed calendar, which its model owns: lakehouse.contract.registry.)"""
    owners: dict[str, str] = {}
    for c in contracts:
        built = [d.name for d in c.dimensions if d.kind != "calendar"] + [f.name for f in c.facts]
        for table in built:
            if table in owners:
                raise ContractError(
                    c.path, "star", f"table {table!r} is also defined by dataset {owners[table]!r}"
                )
            owners[table] = c.name


def find_contract(roots: Path | str | Sequence[Path | str], name: str) -> Contract:
    """The contract of one dataset; an unknown name raises ContractError listing the known ones."""
    contracts = load_contracts(roots)
    if name not in contracts:
        known = ", ".join(sorted(contracts)) or "none"
        raise ContractError("domains", "dataset", f"unknown dataset {name!r} (known: {known})")
    return contracts[name]


def _derived_columns(reader: Reader, key: str) -> tuple[DerivedColumn, ...]:
    columns = []
    for c in reader.items(key):
        c.only("name", "type", "expr", "agg", "description")
        col = DerivedColumn(
            c.ident("name"),
            c.type(),
            c.str("expr", False),
            c.str("agg", False),
            c.str("description", False, ""),
        )
        if col.expr and col.agg:
            raise c.error("agg", "a column has either expr or agg, not both")
        columns.append(col)
    return tuple(columns)


def _partitions(reader: Reader, key: str) -> tuple[Partition, ...]:
    parts = []
    for p in reader.items(key, required=False):
        p.only("name", "type", "expr")
        parts.append(Partition(p.ident("name"), p.type(), p.str("expr")))
    return tuple(parts)


_NUMERIC = ("tinyint", "smallint", "int", "bigint", "float", "double")
RELATIVE_TIME = re.compile(r"now(?:\s*([+-])\s*(\d{1,6})\s*(second|minute|hour|day)s?)?")


def relative_time(value: Any) -> tuple[str, int, str] | None:
    """A range bound relative to the run's time: `now` -> ("+", 0, "second"), `now-2 hours` ->
    ("-", 2, "hour"); None for anything else. The one parser of the form: the contract check
    (bound_problem) and the job (lakehouse.transforms.silver) both read bounds through it."""
    found = RELATIVE_TIME.fullmatch(str(value).strip().lower())
    if not found:
        return None
    sign, amount, unit = found.groups()
    return (sign, int(amount), unit) if sign else ("+", 0, "second")


def bound_problem(value: Any, column_type: str) -> str | None:
    """Why a range rule's min/max does not fit its column's type, or None. Bounds are bound as typed
    values, never pasted into SQL: a number for a numeric column; for a date or timestamp column an
    ISO 8601 date/time or `now`, `now+1 day`, `now-2 hours`."""
    if value is None:
        return None
    if column_type in _NUMERIC or column_type.startswith("decimal("):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} must be a number for a {column_type} column"
        return None
    if column_type in ("date", "timestamp"):
        text = str(value).strip()
        if relative_time(text) is not None:
            return None
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return f"{value!r} must be an ISO 8601 date or time, or now[+-N unit], for a {column_type} column"
        return None
    return f"a range rule needs a numeric, date or timestamp column, not {column_type}"


def parse_contract(doc: Any, path: Path | str = "<memory>") -> Contract:
    """Validate a parsed YAML document and build the Contract."""
    path = Path(path)
    r = Reader(path, doc)
    r.only(
        "name",
        "description",
        "owner",
        "source",
        "columns",
        "keys",
        "event_time",
        "dedupe",
        "zones",
        "quality",
        "quarantine_limit",
        "quarantine_expiry_days",
        "star",
    )
    name = r.table_name("name")
    if path.suffix == ".yaml" and path.stem != name:
        raise r.error("name", f"{name!r} must match the file name {path.stem!r}")

    s = r.child("source")
    s.only("format", "file_pattern", "encoding", "delimiter", "header")
    fmt = s.str("format")
    if fmt not in SOURCE_FORMATS:
        raise s.error("format", f"{fmt!r} is not one of {', '.join(SOURCE_FORMATS)}")
    source = Source(
        fmt,
        s.str("file_pattern", False, "*." + fmt),
        s.str("encoding", False, "utf-8"),
        s.str("delimiter", False, ","),
        s.bool("header", True),
    )

    columns = []
    for c in r.items("columns"):
        c.only("name", "type", "required", "description", "formats", "flatten")
        formats = c._get("formats", list, False, [])
        for i, fmt in enumerate(formats):
            if not isinstance(fmt, str) or not fmt.strip() or any(ord(ch) < 32 for ch in fmt):
                raise c.error(
                    f"formats[{i}]",
                    f"{fmt!r} must be a Spark datetime pattern (a non-empty string) or one of "
                    f"{', '.join(EPOCH_FORMATS)}",
                )
        column_name = c.ident("name")
        if column_name.startswith("_"):
            raise c.error("name", f"{column_name!r} is reserved: columns starting with '_' are the kit's own")
        declared = Column(
            column_name,
            c.type(),
            c.bool("required", False),
            c.str("description", False, ""),
            tuple(formats),
            c.bool("flatten", False),
        )
        if declared.flatten and not declared.fields:
            raise c.error("flatten", f"only a struct<...> column can be flattened, not {declared.type}")
        columns.append(declared)
    names = [c.name for c in columns]
    if fmt == "csv":
        nested = next(
            (i for i, c in enumerate(columns) if c.type.startswith(("map<", "array<", "struct<"))), None
        )
        if nested is not None:
            raise r.error(f"columns[{nested}].type", "CSV columns hold text: use a scalar type")
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise r.error("columns", f"column {dup!r} is declared twice")
    silver_names = [n for c in columns for n, _ in c.silver_columns]
    dup = next((n for n in silver_names if silver_names.count(n) > 1), None)
    if dup:
        raise r.error("columns", f"silver column {dup!r} comes from two columns (a flattened struct's field)")

    def known(reader: Reader, key: str, values: tuple[str, ...] | list[str]) -> None:
        for v in values:
            if v not in names:
                raise reader.error(key, f"{v!r} is not a declared column")

    keys = r.names("keys")
    known(r, "keys", keys)
    event_time = r.ident("event_time", False)  # a source without a time column has none
    if event_time:
        known(r, "event_time", [event_time])
        if next(c for c in columns if c.name == event_time).type not in ("timestamp", "date"):
            raise r.error("event_time", f"{event_time!r} must be a timestamp or date column")

    d = r.child("dedupe", required=False)
    dedupe_key = keys
    if d:
        d.only("key")
        dedupe_key = d.names("key")
        known(d, "key", dedupe_key)

    z = r.child("zones")
    z.only("raw", "silver")
    raw = z.child("raw")
    raw.only("partitions", "crawl")
    crawl = raw.bool("crawl", False)
    raw_partitions = raw.names("partitions")
    if tuple(raw_partitions) != RAW_TIME_PARTITIONS[: len(raw_partitions)] or not raw_partitions:
        raise raw.error("partitions", f"must be a prefix of {list(RAW_TIME_PARTITIONS)} (event-time layout)")
    silver = z.child("silver")
    silver.only("partitions")
    silver_partitions = _partitions(silver, "partitions")
    clash = next((p.name for p in silver_partitions if p.name in names), None)
    if clash:
        raise silver.error("partitions", f"partition {clash!r} clashes with a column of the same name")

    quality = []
    for q in r.items("quality", required=False):
        q.only(
            "name",
            "check",
            "column",
            "action",
            "values",
            "pattern",
            "min",
            "max",
            "expr",
            "critical",
            "threshold",
        )
        check = q.str("check")
        if check not in QUALITY_CHECKS:
            raise q.error("check", f"{check!r} is not one of {', '.join(QUALITY_CHECKS)}")
        action = q.str("action", False, "quarantine")
        if action not in QUALITY_ACTIONS:
            raise q.error("action", f"{action!r} is not one of {', '.join(QUALITY_ACTIONS)}")
        column = q.ident("column")
        known(q, "column", [column])
        threshold = q._get("threshold", (int, float), False, 0.0)
        if not 0 <= threshold < 1:
            raise q.error("threshold", f"{threshold} must be a share of rows, from 0 up to (not including) 1")
        rule = QualityRule(
            q.ident("name"),
            check,
            column,
            action,
            tuple(str(v) for v in q._get("values", list, False, [])),
            q.str("pattern", False),
            q.doc.get("min"),
            q.doc.get("max"),
            q.str("expr", check == "expression"),
            q.bool("critical", False),
            float(threshold),
        )
        if check == "accepted_values" and not rule.values:
            raise q.error("values", "accepted_values needs a non-empty list")
        if check == "regex":
            if not rule.pattern:
                raise q.error("pattern", "regex needs a pattern")
            try:
                re.compile(rule.pattern)
            except re.error as exc:
                raise q.error("pattern", f"invalid regular expression ({exc})") from None
        if check == "range":
            if rule.min is None and rule.max is None:
                raise q.error("min", "range needs min, max or both")
            column_type = next(c.type for c in columns if c.name == column)
            for bound in ("min", "max"):
                problem = bound_problem(q.doc.get(bound), column_type)
                if problem:
                    raise q.error(bound, problem)
        quality.append(rule)

    dimensions, facts, model = [], [], None
    star = r.child("star", required=False)
    if star:
        star.only("dimensions", "facts", "model")
        model = star.ident("model", False)
        if model and (star.doc.get("dimensions") or star.doc.get("facts")):
            raise star.error(
                "model", "a dataset feeds either its own dimensions and facts or a model, not both"
            )
        for dr in star.items("dimensions", required=False):
            dr.only("name", "kind", "scd_type", "natural_key", "surrogate_key", "source_column", "columns")
            kind = dr.str("kind", False, "entity")
            if kind not in ("entity", "calendar"):
                raise dr.error("kind", f"{kind!r} is not entity or calendar")
            dim = Dimension(
                dr.table_name("name"),
                dr.ident("surrogate_key"),
                dr.names("natural_key", kind == "entity"),
                kind,
                dr.int("scd_type", 1),
                dr.ident("source_column", kind == "calendar"),
                _derived_columns(dr, "columns") if kind == "entity" else (),
            )
            if dim.scd_type not in (1, 2):
                raise dr.error("scd_type", f"{dim.scd_type} is not 1 or 2")
            known(dr, "natural_key", dim.natural_key)
            if dim.source_column:
                known(dr, "source_column", [dim.source_column])
            dimensions.append(dim)
        dim_names = [dm.name for dm in dimensions]
        for fr in star.items("facts", required=False):
            fr.only("name", "surrogate_key", "natural_key", "references", "columns", "partitions")
            fact = Fact(
                fr.table_name("name"),
                fr.ident("surrogate_key"),
                fr.names("natural_key"),
                fr.names("references", False),
                _derived_columns(fr, "columns"),
                _partitions(fr, "partitions"),
            )
            known(fr, "natural_key", fact.natural_key)
            for ref in fact.references:
                if ref not in dim_names:
                    raise fr.error("references", f"{ref!r} is not a dimension of this contract")
            facts.append(fact)
        tables = dim_names + [f.name for f in facts]
        dup = next((t for t in tables if tables.count(t) > 1), None)
        if dup:
            raise star.error("", f"table {dup!r} is defined twice")

    limit = r._get("quarantine_limit", (int, float), False, None)
    if limit is not None and not 0 <= limit <= 1:
        raise r.error("quarantine_limit", f"{limit} must be a share of rows, from 0 to 1")
    expiry = r._get("quarantine_expiry_days", int, False, None)
    if expiry is not None and not 1 <= expiry <= 3650:
        raise r.error("quarantine_expiry_days", f"{expiry} must be a number of days from 1 to 3650")

    return Contract(
        name,
        r.str("description", False, ""),
        source,
        tuple(columns),
        keys,
        event_time,
        dedupe_key,
        raw_partitions,
        silver_partitions,
        crawl,
        tuple(quality),
        tuple(dimensions),
        tuple(facts),
        model,
        None if limit is None else float(limit),
        path,
        expiry,
    )
