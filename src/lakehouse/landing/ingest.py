"""Landing files -> raw zone: place each file by the event time of its records, never upload twice.

A file goes to `s3://<raw>/<dataset>/year=YYYY/month=MM/day=DD/hour=HH/<name>`, the hour being the one
most of its records belong to (ties: the earliest). Records of other hours inside the file (late
events) reach their own event-time partition in silver. A file whose records carry no readable time
is placed by its modification time and reported. Raw objects are immutable: identical content is
skipped; different content under a name already taken is kept under `<stem>-<sha8><ext>`.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage, sha256_file
from lakehouse.contract.dataset import EPOCH_FORMATS, EPOCH_RANGE_SECONDS, Contract, normalize
from lakehouse.contract.tables import raw_table
from lakehouse.errors import IngestError
from lakehouse.settings import Settings


@dataclass
class IngestSummary:
    dataset: str
    files_uploaded: int = 0
    files_skipped: int = 0
    bytes_uploaded: int = 0
    partitions_registered: int = 0
    placed_by_mtime: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)


def landing_files(paths: Iterable[Path | str], contract: Contract) -> list[Path]:
    """Files to ingest: given files, and files matching the contract's pattern inside given directories.

    A file named explicitly must match the pattern too: the job reads only objects that do, so one
    that does not is refused here, before anything is uploaded, rather than landed and never read.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise IngestError(f"no such file or directory: {p}")
        if p.is_file() and not contract.source.reads(p.name):
            raise IngestError(
                f"{p.name} does not match {contract.name}'s file_pattern {contract.source.file_pattern!r}: "
                f"the job would never read it; rename it to match (e.g. "
                f"{example_name(p.name, contract)}) or change the contract"
            )
        if p.is_dir():
            files.extend(f for f in sorted(p.rglob("*")) if f.is_file() and contract.source.reads(f.name))
        else:
            files.append(p)
    return files


def example_name(name: str, contract: Contract) -> str:
    """A name matching the pattern, built from the file's own name where the pattern allows."""
    pattern = contract.source.file_pattern
    stem = name.lstrip("_.")
    if "*" in pattern:
        head, _, tail = pattern.partition("*")
        joint = "" if not head or head[-1] in "_-." else "-"
        guess = head + joint + stem
        if fnmatch.fnmatch(guess, pattern):
            return guess
        guess = f"{head}{joint}{Path(stem).stem}{tail.replace('*', '')}"
        if fnmatch.fnmatch(guess, pattern):
            return guess
    return pattern.replace("*", "export")


def _open_text(path: Path, encoding: str) -> io.TextIOBase:
    raw = path.open("rb")
    stream = gzip.open(raw) if path.suffix == ".gz" else raw  # noqa: SIM115 - closed by the caller's `with`
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


_JAVA_TOKENS = re.compile(r"yyyy|yy|SSS|MM|M|dd|d|HH|H|mm|m|ss|s|'[^']*'")
_STRPTIME = {
    "yyyy": "%Y",
    "yy": "%y",
    "SSS": "%f",
    "MM": "%m",
    "M": "%m",
    "dd": "%d",
    "d": "%d",
    "HH": "%H",
    "H": "%H",
    "mm": "%M",
    "m": "%M",
    "ss": "%S",
    "s": "%S",
}


def strptime_format(java_pattern: str) -> str:
    """A Spark datetime pattern ('MM/dd/yyyy HH:mm') as a strptime format ('%m/%d/%Y %H:%M')."""
    return _JAVA_TOKENS.sub(
        lambda m: m.group(0).strip("'") if m.group(0).startswith("'") else _STRPTIME[m.group(0)], java_pattern
    )


def epoch_time(text: str, unit: str) -> datetime | None:
    """A whole number since 1970-01-01 UTC in `epoch_millis` or `epoch_seconds`, as the job reads it
    (null there, None here, for anything else or beyond year 9999)."""
    per_second, text = 1000 if unit == "epoch_millis" else 1, text.strip()
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    low, high = EPOCH_RANGE_SECONDS
    if not low * per_second <= int(text) < high * per_second:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(text) * 1000 // per_second)


def _parse_time(value: object, formats: tuple[str, ...] = ()) -> datetime | None:
    """An event time as the job will read it: ISO 8601, or one of the contract's (Spark) patterns."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for unit in (f for f in formats if f in EPOCH_FORMATS):
        if (ts := epoch_time(text, unit)) is not None:
            return ts
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        ts = None
        for pattern in (f for f in formats if f not in EPOCH_FORMATS):
            try:
                ts = datetime.strptime(text, strptime_format(pattern))
                break
            except ValueError:
                continue
    if ts is None:
        return None
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


def event_hours(path: Path, contract: Contract) -> Counter:
    """How many records of a file fall in each event hour."""
    hours: Counter = Counter()
    if not contract.event_time:
        return hours  # no time column: placed by modification time
    column, formats = contract.event_time, contract.column(contract.event_time).formats
    try:
        with _open_text(path, contract.source.encoding) as f:
            if contract.source.format == "json":
                records = (_json_or_none(line) for line in f)
            else:
                reader = csv.reader(f, delimiter=contract.source.delimiter)
                header = next(reader, [])
                # the job's reader matches 'ORDERDATE' to order_date; so does placement
                squashed = [normalize(h).replace("_", "") for h in header]
                at = squashed.index(column.replace("_", "")) if column.replace("_", "") in squashed else None
                records = ({column: row[at]} if at is not None and at < len(row) else {} for row in reader)
            for record in records:
                ts = _parse_time(record.get(column), formats) if isinstance(record, dict) else None
                if ts:
                    hours[ts.replace(minute=0, second=0, microsecond=0)] += 1
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error):
        pass  # unreadable or truncated: placed by modification time, the job quarantines what it cannot read
    return hours


def _json_or_none(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def placement_hour(path: Path, contract: Contract) -> tuple[datetime, bool]:
    """(hour the file belongs to, whether it came from the records' event time)."""
    hours = event_hours(path, contract)
    if hours:
        top = max(hours.values())
        return min(h for h, n in hours.items() if n == top), True
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return mtime.replace(minute=0, second=0, microsecond=0), False


def partition_values(hour: datetime, contract: Contract) -> tuple[str, ...]:
    parts = {
        "year": f"{hour.year:04d}",
        "month": f"{hour.month:02d}",
        "day": f"{hour.day:02d}",
        "hour": f"{hour.hour:02d}",
    }
    return tuple(parts[p] for p in contract.raw_partitions)


def ingest(
    settings: Settings,
    contract: Contract,
    paths: Iterable[Path | str],
    progress: Callable[[Path, int], None] | None = None,
) -> IngestSummary:
    """Upload landing files into the raw zone and register their partitions."""
    files = landing_files(paths, contract)
    if not files:
        raise IngestError(f"no files matching {contract.source.file_pattern!r} in the given paths")
    storage, spec = Storage(settings), raw_table(contract, settings)
    summary = IngestSummary(contract.name)
    partitions: dict[tuple, str] = {}
    for path in files:
        hour, by_event_time = placement_hour(path, contract)
        values = partition_values(hour, contract)
        prefix = spec.location + "/".join(
            f"{k}={v}" for k, v in zip(contract.raw_partitions, values, strict=True)
        )
        partitions[values] = prefix + "/"
        digest = sha256_file(path)
        uri = f"{prefix}/{path.name}"
        head = storage.head(uri)
        if head is not None and head.get("Metadata", {}).get("sha256") != digest:
            uri = f"{prefix}/{path.stem}-{digest[:8]}{path.suffix}"  # same name, new content: keep both
            head = storage.head(uri)
        size = path.stat().st_size
        if head is not None:
            summary.files_skipped += 1
        else:
            storage.upload_file(
                path,
                uri,
                {
                    "sha256": digest,
                    "source-name": quote(path.name),  # S3 metadata is ASCII-only: percent-encoded
                    "placed-by": "event-time" if by_event_time else "mtime",
                },
            )
            summary.files_uploaded += 1
            summary.bytes_uploaded += size
            summary.objects.append(uri)
        if not by_event_time:
            summary.placed_by_mtime.append(str(path))
        if progress:
            progress(path, size)
    counts = Catalog(settings).register_partitions(spec, partitions)
    summary.partitions_registered = counts["created"]
    return summary
