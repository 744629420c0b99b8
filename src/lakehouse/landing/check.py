"""`lakehouse check DATASET FILE`: parse a landing file against its contract, before any upload or run.

Reads the file as the raw->silver job will (the same CSV reader; JSON lines), then, per column, counts
which of the contract's formats each value parses with, and which values are missing or parse with
none; and how many rows the job's parse, completeness and type checks would quarantine, against the
contract's quarantine limit. Contract rules (accepted values, ranges, expressions) need the typed
rows of a run and are not evaluated here. Pure Python: no endpoint, no Spark session.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lakehouse.contract import quality as q
from lakehouse.contract.dataset import EPOCH_FORMATS, Column, Contract
from lakehouse.landing.ingest import epoch_time, strptime_format

ISO = "ISO 8601"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_INTS = {"tinyint", "smallint", "int", "bigint"}


@dataclass
class ColumnReport:
    name: str
    type: str
    formats: Counter = field(default_factory=Counter)  # format (or the type) -> values parsed with it
    missing: int = 0  # blank or absent (a failure only when the column is required)
    unparseable: int = 0


@dataclass
class CheckReport:
    dataset: str
    file: str
    rows: int = 0
    parse_failures: Counter = field(default_factory=Counter)  # parse code -> records
    columns: list[ColumnReport] = field(default_factory=list)
    quarantined: int = 0
    limit: float = q.DEFAULT_QUARANTINE_LIMIT

    @property
    def share(self) -> float:
        return self.quarantined / self.rows if self.rows else 0.0

    @property
    def within_limit(self) -> bool:
        return self.share <= self.limit

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "file": self.file,
            "rows": self.rows,
            "parse_failures": dict(self.parse_failures),
            "columns": [
                {
                    "name": c.name,
                    "type": c.type,
                    "formats": dict(c.formats),
                    "missing": c.missing,
                    "unparseable": c.unparseable,
                }
                for c in self.columns
            ],
            "quarantined": self.quarantined,
            "share": round(self.share, 6),
            "limit": self.limit,
            "within_limit": self.within_limit,
        }


def _parse_time(text: str, formats: tuple[str, ...]) -> str | None:
    """The format a timestamp or date parses with (the first that does, as the job tries them)."""
    for pattern in formats:
        if pattern in EPOCH_FORMATS:
            if epoch_time(text, pattern) is not None:
                return pattern
            continue
        try:
            datetime.strptime(text, strptime_format(pattern))
            return pattern
        except ValueError:
            continue
    if not formats:
        try:
            datetime.fromisoformat(text)
            return ISO
        except ValueError:
            return None
    return None


def parses_as(value: str, column: Column) -> str | None:
    """How a raw value parses as the column's type: the format used, the type, or None."""
    kind, text = column.type, value.strip()
    if kind in ("timestamp", "date"):
        return _parse_time(text, column.formats)
    try:
        if kind in _INTS:
            int(text)
        elif kind.startswith("decimal") or kind in ("float", "double"):
            Decimal(text)
        elif kind == "boolean" and text.lower() not in _TRUE | _FALSE:
            return None
    except (ValueError, InvalidOperation):
        return None
    return kind


def _records(path: Path, contract: Contract):
    """(parse code or None, {column: raw value}) per record, read as the job reads the file."""
    names = contract.column_names
    if contract.source.format == "csv":
        from lakehouse.aws.storage import open_location
        from lakehouse.transforms.csv_records import parse_csv_stream

        src = contract.source
        opener = open_location(str(path), None)  # streamed, as a job's task reads it
        for row in parse_csv_stream(str(path), opener, names, src.delimiter, src.encoding, src.header):
            yield row[3], dict(zip(names, row[4 : 4 + len(names)], strict=True))
        return
    content = path.read_bytes()
    if path.suffix == ".gz":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError):
            yield str(q.parse_code(q.UNREADABLE_FILE)), {}
            return
    for line in content.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        if "\ufffd" in line:
            yield str(q.parse_code(q.NOT_DECODABLE)), {}
            continue
        try:
            record = json.loads(line.lstrip("\ufeff"))
        except ValueError:
            record = None
        if not isinstance(record, dict):
            yield str(q.parse_code(q.MALFORMED_JSON)), {}
            continue
        yield None, {n: None if record.get(n) is None else str(record.get(n)) for n in names}


def check_file(path: Path, contract: Contract, limit: float) -> CheckReport:
    report = CheckReport(contract.name, str(path), limit=limit)
    columns = {c.name: ColumnReport(c.name, c.type) for c in contract.columns}
    report.columns = list(columns.values())
    typed = [
        c
        for c in contract.columns
        if c.type != "string" and not c.type.startswith(("map<", "array<", "struct<"))
    ]
    for parse_error, values in _records(path, contract):
        report.rows += 1
        if parse_error:
            report.parse_failures[parse_error] += 1
            report.quarantined += 1
            continue
        bad = False
        for c in contract.columns:
            value = values.get(c.name)
            if value is None or not value.strip():
                columns[c.name].missing += 1
                bad = bad or c.required
                continue
            if c in typed:
                how = parses_as(value, c)
                if how is None:
                    columns[c.name].unparseable += 1
                    bad = True
                else:
                    columns[c.name].formats[how] += 1
        report.quarantined += bad
    return report
