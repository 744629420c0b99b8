"""CSV sources -> records, with the exact source line of every record.

Real exports carry quoted delimiters, newlines inside quoted fields, CRLF, a BOM, another encoding,
optional columns missing from the header and rows with too many or too few fields. Python's csv
module parses all of that faithfully, so each file is parsed by `parse_csv_stream` (pure Python, one
file at a time on the executors) and the records join the JSON path at `validate`: one string column
per contract column, `_parse_error`, `_extra_fields`, and lineage. Nothing is dropped: a row that
cannot be a record comes out with its reason.

A file is streamed from storage by the task that parses it, never held whole: neither in the JVM (as
Spark's `binaryFile` would, up to its 2 GB cap) nor in Python, so an export of several GB parses in
the memory of a few rows.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from typing import IO, Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse.aws.storage import Opener, gzip_intact, open_location
from lakehouse.contract import quality as q
from lakehouse.contract.dataset import Contract, normalize
from lakehouse.contract.tables import EXTRA_FIELDS
from lakehouse.settings import Settings

UNREADABLE = str(q.parse_code(q.UNREADABLE_FILE))
CSV_SYNTAX = str(q.parse_code(q.CSV_SYNTAX))
NOT_DECODABLE = str(q.parse_code(q.NOT_DECODABLE))
FIELD_COUNT = str(q.parse_code(q.FIELD_COUNT))

_REPLACEMENT = "\ufffd"


def _header_index(header: list[str], columns: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """(contract column -> position, undeclared header column -> position)."""
    positions = {normalize(h): i for i, h in enumerate(header)}
    wanted = {c: positions[c] for c in columns if c in positions}
    squashed = {k.replace("_", ""): i for k, i in positions.items()}  # ORDERNUMBER ~ order_number
    for c in columns:
        if c not in wanted and c.replace("_", "") in squashed:
            wanted[c] = squashed[c.replace("_", "")]
    used = set(wanted.values())
    extra = {normalize(h) or f"column_{i + 1}": i for i, h in enumerate(header) if i not in used}
    return wanted, extra


def parse_csv_stream(
    path: str,
    opener: Opener,
    columns: tuple[str, ...],
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: bool = True,
) -> Iterator[tuple]:
    """Yield (source_file, source_line, record, parse_error, *column values, extra fields) per record.

    `parse_error` is a quality code (lakehouse.contract.quality), the same for every row failing the same way.
    The file is read as the parser asks for lines. A gzip file is first read to its end: a cut-off one
    yields a single `unreadable_file` row and none of its rows, whatever part of it could be read.
    """
    blank = (None,) * len(columns)
    gzipped = path.endswith(".gz")
    if gzipped and not gzip_intact(opener):
        yield (path, 0, "", UNREADABLE, *blank, None)
        return
    with opener() as raw:
        binary: Any = gzip.GzipFile(fileobj=raw) if gzipped else raw
        text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
        yield from _parse_lines(path, text, columns, delimiter, header)


def _parse_lines(
    path: str, text: IO[str], columns: tuple[str, ...], delimiter: str, header: bool
) -> Iterator[tuple]:
    blank = (None,) * len(columns)
    physical: list[str] = []  # the lines of the row being read (a quoted field may span several)

    def lines() -> Iterator[str]:
        first = True
        for line in text:
            if first:
                line, first = line.lstrip("\ufeff"), False
            physical.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    wanted: dict[str, int] | None = None if header else {c: i for i, c in enumerate(columns)}
    extra_at: dict[str, int] = {}
    width = len(columns)
    previous = 0  # lines read before the current row
    while True:
        physical.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # e.g. a NUL byte: the rest of the line is not CSV
            start, previous = previous + 1, previous + len(physical)
            yield (path, start, "".join(physical).rstrip("\r\n"), CSV_SYNTAX, *blank, None)
            continue
        start, previous = previous + 1, previous + len(physical)
        if not any(field.strip() for field in row):
            continue  # blank line: not a record
        record = "".join(physical).rstrip("\r\n")
        if wanted is None:
            wanted, extra_at = _header_index(row, columns)
            width = len(row)
            continue
        if _REPLACEMENT in record:
            yield (path, start, record, NOT_DECODABLE, *blank, None)
        elif len(row) != width:
            yield (path, start, record, FIELD_COUNT, *blank, None)
        else:
            values = tuple((row[wanted[c]] if c in wanted else "") or None for c in columns)
            extra = {name: row[i] for name, i in extra_at.items() if row[i] != ""}
            yield (path, start, record, None, *values, extra)


def parse_csv_files(
    spark: SparkSession,
    files: list[tuple[str, str, int]],
    contract: Contract,
    settings: Settings | None = None,
) -> DataFrame:
    """(location a task can read, source URI, bytes) of each file -> records, in the shape
    `raw_to_silver.validate` takes. Files are spread over tasks by size, largest first."""
    columns = contract.column_names
    src = contract.source
    tasks = max(1, min(len(files), spark.sparkContext.defaultParallelism * 4))
    slices: list[list[tuple[str, str]]] = [[] for _ in range(tasks)]
    loads = [0] * tasks
    for location, uri, size in sorted(files, key=lambda f: (-f[2], f[1])):
        least = loads.index(min(loads))
        slices[least].append((location, uri))
        loads[least] += max(size, 1)

    def parse(batch: list[tuple[str, str]]) -> Iterator[tuple]:
        for location, uri in batch:
            opener = open_location(location, settings)
            yield from parse_csv_stream(uri, opener, columns, src.delimiter, src.encoding, src.header)

    rows = spark.sparkContext.parallelize(slices, tasks).flatMap(parse)
    schema = ", ".join(
        [
            "_source_file string",
            "_source_line bigint",
            "_record string",
            "_parse_error string",
            *[f"`{c}` string" for c in columns],
            f"{EXTRA_FIELDS} map<string,string>",
        ]
    )
    # the rows are built to the schema above: checking every value again in Python cost a third of the parse
    return spark.createDataFrame(rows, schema, verifySchema=False)
