"""CSV sources -> records, with the exact source line of every record.

Real exports carry quoted delimiters, newlines inside quoted fields, CRLF, a BOM, another encoding,
optional columns missing from the header and rows with too many or too few fields. Python's csv
module parses all of that faithfully, so each file is parsed by `parse_csv_file` (pure Python, one
file at a time on the executors) and the records join the JSON path at `validate`: one string column
per contract column, `_parse_error`, `_extra_fields`, and lineage. Nothing is dropped: a row that
cannot be a record comes out with its reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator

from pyspark.sql import Column, DataFrame, SparkSession

from lakehouse import quality as q
from lakehouse.contracts import Contract, normalize
from lakehouse.tables import EXTRA_FIELDS

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


def parse_csv_file(
    path: str,
    content: bytes,
    columns: tuple[str, ...],
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: bool = True,
) -> Iterator[tuple]:
    """Yield (source_file, source_line, record, parse_error, *column values, extra fields) per record.

    `parse_error` is a quality code (lakehouse.quality), the same for every row failing the same way.
    """
    blank = (None,) * len(columns)
    if path.endswith(".gz"):
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error):
            yield (path, 0, "", UNREADABLE, *blank, None)
            return
    text = content.decode(encoding, errors="replace").lstrip("\ufeff")
    physical = list(io.StringIO(text, newline=""))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    wanted: dict[str, int] | None = None if header else {c: i for i, c in enumerate(columns)}
    extra_at: dict[str, int] = {}
    width = len(columns)
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # e.g. a NUL byte: the rest of the line is not CSV
            start, previous = previous + 1, reader.line_num
            yield (
                path,
                start,
                "".join(physical[start - 1 : previous]).rstrip("\r\n"),
                CSV_SYNTAX,
                *blank,
                None,
            )
            continue
        start, previous = previous + 1, reader.line_num
        record = "".join(physical[start - 1 : previous]).rstrip("\r\n")
        if not any(field.strip() for field in row):
            continue  # blank line: not a record
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


def parse_csv_files(spark: SparkSession, files: DataFrame, contract: Contract, source: Column) -> DataFrame:
    """`binaryFile` rows (path, content) -> records, in the shape `raw_to_silver.validate` takes."""
    columns = contract.column_names
    src = contract.source
    rows = files.select(source.alias("path"), "content").rdd.flatMap(
        lambda r: parse_csv_file(
            r["path"], bytes(r["content"]), columns, src.delimiter, src.encoding, src.header
        )
    )
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
    return spark.createDataFrame(rows, schema)
