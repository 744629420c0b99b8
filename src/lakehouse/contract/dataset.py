"""Dataset contracts: one YAML file per dataset, the single source of truth for everything downstream.

A contract says what a source looks like (format, columns, types), how it is keyed and deduplicated,
how each zone is partitioned, which quality rules apply, and how it maps to the star schema.
`load_contract` validates it and raises `ContractError` naming the file, the field and the problem.

This module needs only PyYAML and the standard library: it runs in Glue jobs, Lambda and the CLI.
It is over 400 lines because it holds the contract's types and their one parser together: a short
function per part of the file (source, columns, keys, zones, quality rules, star, limits), each building
its dataclasses, so a field's checks are read next to the code that fills it. The YAML reader and the
type grammar are in spec.py.
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


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class DerivedColumn:
    """A column of a gold table: copied, computed per row (`expr`), or aggregated (`agg`), in Spark SQL."""

    name: str
    type: str
    expr: str | None = None
    agg: str | None = None
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Partition:
    name: str
    type: str
    expr: str


@dataclass(frozen=True, kw_only=True)
class Source:
    format: str
    file_pattern: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header: bool = True

    def reads(self, name: str) -> bool:
        """Whether the raw->silver job reads an object of this name (and so whether ingest may land it)."""
        return fnmatch.fnmatch(name, self.file_pattern) and not name.startswith(("_", "."))


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class Dimension:
    name: str
    surrogate_key: str
    natural_key: tuple[str, ...] = ()
    kind: str = "entity"  # entity: built from silver rows; calendar: one row per date
    scd_type: int = 1
    source_column: str | None = None  # calendar: the silver column whose dates it covers
    columns: tuple[DerivedColumn, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Fact:
    name: str
    surrogate_key: str
    natural_key: tuple[str, ...]
    references: tuple[str, ...]
    columns: tuple[DerivedColumn, ...]
    partitions: tuple[Partition, ...] = ()


@dataclass(frozen=True, kw_only=True)
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
    # share of a run's rows that may be quarantined; None: the project's
    quarantine_limit: float | None = None
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


_CONTRACT_FIELDS = (
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
_RULE_FIELDS = (
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
_DIMENSION_FIELDS = ("name", "kind", "scd_type", "natural_key", "surrogate_key", "source_column", "columns")


def parse_contract(doc: Any, path: Path | str = "<memory>") -> Contract:
    """Validate a parsed YAML document and build the Contract. The parts are read in this order, each by
    its function below, so of several problems the first one met is the one reported."""
    path = Path(path)
    r = Reader(path, doc)
    r.only(*_CONTRACT_FIELDS)
    name = r.table_name("name")
    if path.suffix == ".yaml" and path.stem != name:
        raise r.error("name", f"{name!r} must match the file name {path.stem!r}")
    source = _source(r.child("source"))
    columns = _columns(r, source)
    keys, event_time, dedupe_key = _keys(r, columns)
    raw_partitions, crawl, silver_partitions = _zones(r.child("zones"), columns)
    quality = tuple(_quality_rule(q, columns) for q in r.items("quality", required=False))
    dimensions, facts, model = _star(r.child("star", required=False), columns)
    quarantine_limit, quarantine_expiry_days = _limits(r)
    return Contract(
        name=name,
        description=r.text("description", required=False, default=""),
        source=source,
        columns=columns,
        keys=keys,
        event_time=event_time,
        dedupe_key=dedupe_key,
        raw_partitions=raw_partitions,
        silver_partitions=silver_partitions,
        crawl=crawl,
        quality=quality,
        dimensions=dimensions,
        facts=facts,
        model=model,
        quarantine_limit=quarantine_limit,
        path=path,
        quarantine_expiry_days=quarantine_expiry_days,
    )


def _check_declared(reader: Reader, key: str, values: Iterable[str], columns: Sequence[Column]) -> None:
    """Each of `values` (under `key`) names a declared column."""
    names = [c.name for c in columns]
    for v in values:
        if v not in names:
            raise reader.error(key, f"{v!r} is not a declared column")


def _source(s: Reader) -> Source:
    """`source`: the format, the names of the files read, their encoding and CSV dialect."""
    s.only("format", "file_pattern", "encoding", "delimiter", "header")
    fmt = s.text("format")
    if fmt not in SOURCE_FORMATS:
        raise s.error("format", f"{fmt!r} is not one of {', '.join(SOURCE_FORMATS)}")
    return Source(
        format=fmt,
        file_pattern=s.text("file_pattern", required=False, default="*." + fmt),
        encoding=s.text("encoding", required=False, default="utf-8"),
        delimiter=s.text("delimiter", required=False, default=","),
        header=s.flag("header", default=True),
    )


def _columns(r: Reader, source: Source) -> tuple[Column, ...]:
    """`columns`: each declared once, scalars in a CSV source, no silver column made twice."""
    columns = tuple(_column(c) for c in r.items("columns"))
    names = [c.name for c in columns]
    if source.format == "csv":
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
    return columns


def _column(c: Reader) -> Column:
    """One column: a name not the kit's, its type, its time formats, and whether a struct is flattened."""
    c.only("name", "type", "required", "description", "formats", "flatten")
    formats = c.value("formats", list, required=False, default=[])
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
        name=column_name,
        type=c.type(),
        required=c.flag("required", default=False),
        description=c.text("description", required=False, default=""),
        formats=tuple(formats),
        flatten=c.flag("flatten", default=False),
    )
    if declared.flatten and not declared.fields:
        raise c.error("flatten", f"only a struct<...> column can be flattened, not {declared.type}")
    return declared


def _keys(r: Reader, columns: Sequence[Column]) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """`keys`, `event_time` (None: the source has no time column) and `dedupe` (default: the keys)."""
    keys = r.names("keys")
    _check_declared(r, "keys", keys, columns)
    event_time = r.ident("event_time", required=False)  # a source without a time column has none
    if event_time:
        _check_declared(r, "event_time", [event_time], columns)
        if next(c for c in columns if c.name == event_time).type not in ("timestamp", "date"):
            raise r.error("event_time", f"{event_time!r} must be a timestamp or date column")
    d = r.child("dedupe", required=False)
    dedupe_key = keys
    if d:
        d.only("key")
        dedupe_key = d.names("key")
        _check_declared(d, "key", dedupe_key, columns)
    return keys, event_time, dedupe_key


def _zones(z: Reader, columns: Sequence[Column]) -> tuple[tuple[str, ...], bool, tuple[Partition, ...]]:
    """`zones`: raw's event-time partitions and crawl flag, then silver's partitions."""
    z.only("raw", "silver")
    raw = z.child("raw")
    raw.only("partitions", "crawl")
    crawl = raw.flag("crawl", default=False)
    raw_partitions = raw.names("partitions")
    if tuple(raw_partitions) != RAW_TIME_PARTITIONS[: len(raw_partitions)] or not raw_partitions:
        raise raw.error("partitions", f"must be a prefix of {list(RAW_TIME_PARTITIONS)} (event-time layout)")
    silver = z.child("silver")
    silver.only("partitions")
    silver_partitions = _partitions(silver, "partitions")
    clash = next((p.name for p in silver_partitions if p.name in [c.name for c in columns]), None)
    if clash:
        raise silver.error("partitions", f"partition {clash!r} clashes with a column of the same name")
    return raw_partitions, crawl, silver_partitions


def _partitions(reader: Reader, key: str) -> tuple[Partition, ...]:
    """Partitions computed from each row (`expr`), in order: silver's, or a fact's."""
    parts = []
    for p in reader.items(key, required=False):
        p.only("name", "type", "expr")
        parts.append(Partition(name=p.ident("name"), type=p.type(), expr=p.text("expr")))
    return tuple(parts)


def _quality_rule(q: Reader, columns: Sequence[Column]) -> QualityRule:
    """One of `quality`: its check and action, its column and threshold, then what its check needs."""
    q.only(*_RULE_FIELDS)
    check = q.text("check")
    if check not in QUALITY_CHECKS:
        raise q.error("check", f"{check!r} is not one of {', '.join(QUALITY_CHECKS)}")
    action = q.text("action", required=False, default="quarantine")
    if action not in QUALITY_ACTIONS:
        raise q.error("action", f"{action!r} is not one of {', '.join(QUALITY_ACTIONS)}")
    column = q.ident("column")
    _check_declared(q, "column", [column], columns)
    threshold = q.value("threshold", (int, float), required=False, default=0.0)
    if not 0 <= threshold < 1:
        raise q.error("threshold", f"{threshold} must be a share of rows, from 0 up to (not including) 1")
    rule = QualityRule(
        name=q.ident("name"),
        check=check,
        column=column,
        action=action,
        values=tuple(str(v) for v in q.value("values", list, required=False, default=[])),
        pattern=q.text("pattern", required=False),
        min=q.doc.get("min"),
        max=q.doc.get("max"),
        expr=q.text("expr", required=check == "expression"),
        critical=q.flag("critical", default=False),
        threshold=float(threshold),
    )
    _check_rule_settings(q, rule, next(c.type for c in columns if c.name == column))
    return rule


def _check_rule_settings(q: Reader, rule: QualityRule, column_type: str) -> None:
    """A rule has what its check needs: values, a valid pattern, or bounds that fit its column's type."""
    if rule.check == "accepted_values" and not rule.values:
        raise q.error("values", "accepted_values needs a non-empty list")
    if rule.check == "regex":
        if not rule.pattern:
            raise q.error("pattern", "regex needs a pattern")
        try:
            re.compile(rule.pattern)
        except re.error as exc:
            raise q.error("pattern", f"invalid regular expression ({exc})") from None
    if rule.check == "range":
        if rule.min is None and rule.max is None:
            raise q.error("min", "range needs min, max or both")
        for bound in ("min", "max"):
            problem = bound_problem(q.doc.get(bound), column_type)
            if problem:
                raise q.error(bound, problem)


def _star(
    star: Reader | None, columns: Sequence[Column]
) -> tuple[tuple[Dimension, ...], tuple[Fact, ...], str | None]:
    """`star`: the dataset's own dimensions and facts, or the gold model it feeds (not both)."""
    if star is None:
        return (), (), None
    star.only("dimensions", "facts", "model")
    model = star.ident("model", required=False)
    if model and (star.doc.get("dimensions") or star.doc.get("facts")):
        raise star.error("model", "a dataset feeds either its own dimensions and facts or a model, not both")
    dimensions = tuple(_dimension(dr, columns) for dr in star.items("dimensions", required=False))
    dim_names = [dm.name for dm in dimensions]
    facts = tuple(_fact(fr, columns, dim_names) for fr in star.items("facts", required=False))
    tables = dim_names + [f.name for f in facts]
    dup = next((t for t in tables if tables.count(t) > 1), None)
    if dup:
        raise star.error("", f"table {dup!r} is defined twice")
    return dimensions, facts, model


def _dimension(dr: Reader, columns: Sequence[Column]) -> Dimension:
    """One of `star.dimensions`: an entity (keyed on columns, SCD type 1 or 2) or the calendar."""
    dr.only(*_DIMENSION_FIELDS)
    kind = dr.text("kind", required=False, default="entity")
    if kind not in ("entity", "calendar"):
        raise dr.error("kind", f"{kind!r} is not entity or calendar")
    dim = Dimension(
        name=dr.table_name("name"),
        surrogate_key=dr.ident("surrogate_key"),
        natural_key=dr.names("natural_key", required=kind == "entity"),
        kind=kind,
        scd_type=dr.integer("scd_type", default=1),
        source_column=dr.ident("source_column", required=kind == "calendar"),
        columns=_derived_columns(dr, "columns") if kind == "entity" else (),
    )
    if dim.scd_type not in (1, 2):
        raise dr.error("scd_type", f"{dim.scd_type} is not 1 or 2")
    _check_declared(dr, "natural_key", dim.natural_key, columns)
    if dim.source_column:
        _check_declared(dr, "source_column", [dim.source_column], columns)
    return dim


def _fact(fr: Reader, columns: Sequence[Column], dim_names: Sequence[str]) -> Fact:
    """One of `star.facts`: keyed on columns, referencing this contract's dimensions."""
    fr.only("name", "surrogate_key", "natural_key", "references", "columns", "partitions")
    fact = Fact(
        name=fr.table_name("name"),
        surrogate_key=fr.ident("surrogate_key"),
        natural_key=fr.names("natural_key"),
        references=fr.names("references", required=False),
        columns=_derived_columns(fr, "columns"),
        partitions=_partitions(fr, "partitions"),
    )
    _check_declared(fr, "natural_key", fact.natural_key, columns)
    for ref in fact.references:
        if ref not in dim_names:
            raise fr.error("references", f"{ref!r} is not a dimension of this contract")
    return fact


def _derived_columns(reader: Reader, key: str) -> tuple[DerivedColumn, ...]:
    """A gold table's columns: each copied, computed (`expr`) or aggregated (`agg`), not both."""
    columns = []
    for c in reader.items(key):
        c.only("name", "type", "expr", "agg", "description")
        col = DerivedColumn(
            name=c.ident("name"),
            type=c.type(),
            expr=c.text("expr", required=False),
            agg=c.text("agg", required=False),
            description=c.text("description", required=False, default=""),
        )
        if col.expr and col.agg:
            raise c.error("agg", "a column has either expr or agg, not both")
        columns.append(col)
    return tuple(columns)


def _limits(r: Reader) -> tuple[float | None, int | None]:
    """`quarantine_limit` (a share of rows) and `quarantine_expiry_days`; None: the project's."""
    limit = r.value("quarantine_limit", (int, float), required=False)
    if limit is not None and not 0 <= limit <= 1:
        raise r.error("quarantine_limit", f"{limit} must be a share of rows, from 0 to 1")
    expiry = r.value("quarantine_expiry_days", int, required=False)
    if expiry is not None and not 1 <= expiry <= 3650:
        raise r.error("quarantine_expiry_days", f"{expiry} must be a number of days from 1 to 3650")
    return (None if limit is None else float(limit)), expiry
