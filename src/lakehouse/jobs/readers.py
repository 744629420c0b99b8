"""What stages read: the raw objects of a dataset (and the ones it will not read), silver, published gold.

`raw_inputs` lists every object under the dataset's raw prefix: those whose name matches the
contract's `file_pattern` are inputs; every other object is returned too, so the run reports it
rather than skipping it silently.
"""

from __future__ import annotations

import gzip
import zlib

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage, gzip_intact, open_location
from lakehouse.contract.dataset import Contract
from lakehouse.contract.tables import LINEAGE_COLUMNS, raw_table
from lakehouse.jobs.io import JobIO, listing_for, literal_paths
from lakehouse.settings import Settings
from lakehouse.transforms import csv_records
from lakehouse.transforms import silver as r2s


def raw_inputs(
    contract: Contract, settings: Settings, *, storage: Storage | None = None
) -> tuple[list[tuple[str, str]], list[str], dict[str, int]]:
    """((s3 uri, etag) of every raw object the job reads, uris of the objects it does not read,
    {uri: bytes} of the ones it reads); listed through `storage` (by default the environment's)."""
    spec = raw_table(contract, settings)
    inputs, ignored, sizes = [], [], {}
    for o in (storage or Storage(settings)).list(spec.location):
        name = o.key.rsplit("/", 1)[-1]
        if contract.source.reads(name):
            inputs.append((o.uri, o.etag))
            sizes[o.uri] = o.size
        elif name and not o.key.endswith("/"):
            ignored.append(o.uri)
    return sorted(inputs), sorted(ignored), sizes


def read_parquet_at(
    spark: SparkSession,
    columns: list[tuple[str, str]],
    partition_keys: list[tuple[str, str]],
    locations: list[str],
    *,
    io: JobIO,
) -> DataFrame:
    """Parquet files at these locations read with an explicit schema; partition columns from the paths."""
    paths = literal_paths(io.readable(locations))
    with listing_for(spark, paths):
        df = spark.read.schema(", ".join(f"`{n}` {t}" for n, t in columns)).parquet(*paths)
    path = _decoded(F.input_file_name())  # the file's URI -> its path
    for name, kind in partition_keys:  # string functions, not a regular expression on every row
        folder = F.substring_index(F.substring_index(path, f"/{name}=", -1), "/", 1)
        df = df.withColumn(name, _unescaped(folder).cast(kind))
    return df


def _decoded(text: Column) -> Column:
    """A URI's %XX sequences decoded, a literal `+` kept (url_decode alone reads it as a space)."""
    return F.url_decode(F.replace(text, F.lit("+"), F.lit("%2B")))


def _unescaped(folder: Column) -> Column:
    """A partition folder's value as Spark/Hive escaped it (`10%3A00` -> `10:00`). Only values with a
    `%` are looked at; one with a `%` that is not an escape (a folder another tool wrote) is kept as
    it is rather than failing the read."""
    return (
        F.when(F.instr(folder, "%") == 0, folder)
        .when(folder.rlike("%(?![0-9A-Fa-f]{2})"), folder)
        .otherwise(_decoded(folder))
    )


def read_silver(spark: SparkSession, contract: Contract, locations: list[str], io: JobIO) -> DataFrame:
    """Silver rows at these partition locations, with the partition columns taken from the paths."""
    if not locations:
        return spark.createDataFrame([], r2s.silver_ddl(contract, with_partitions=True))
    partitions = [(p.name, p.type) for p in contract.silver_partitions]
    columns = list(contract.silver_columns) + list(LINEAGE_COLUMNS)
    return read_parquet_at(spark, columns, partitions, locations, io=io)


def read_published(
    spark: SparkSession,
    settings: Settings,
    database: str,
    table: str,
    *,
    io: JobIO,
    catalog: Catalog | None = None,
) -> DataFrame | None:
    """A published Parquet table as readers see it: the catalog's columns at the catalog's locations
    (`catalog`: by default the environment's).

    None when the table does not exist or holds no data yet.
    """
    catalog = catalog or Catalog(settings)
    found = catalog.get_table(database, table)
    if found is None:
        return None
    columns = [(c["Name"], c["Type"]) for c in found["StorageDescriptor"]["Columns"]]
    keys = [(c["Name"], c["Type"]) for c in found.get("PartitionKeys", [])]
    if keys:
        locations = [loc for _, loc in catalog.get_partitions(database, table)]
    else:
        location = found["StorageDescriptor"].get("Location", "")
        locations = [location] if "/_runs/" in location else []
    if not locations:
        return None
    return read_parquet_at(spark, columns, keys, locations, io=io)


COMPRESSED = (".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst")  # Hadoop's codecs, by extension
# A JSON file of this size or more is read line by line, in blocks (every core reads one; no value
# holds the whole file: Spark caps one at 2 GB, and a 700 MB file already exhausts a 2 GB heap);
# smaller ones whole, one value a file, which costs less (a Spark job fewer, see r2s.number_lines).
READ_IN_BLOCKS_FROM = 64 * 2**20
# The same for a gzip file, by its compressed size (JSON text shrinks 6-10 times): read line by line
# as it is decompressed, by one task (gzip cannot be split), never whole.
GZIP_BY_LINES_FROM = READ_IN_BLOCKS_FROM // 8


def _gzip(uri: str) -> bool:
    return uri.lower().endswith(".gz")


def _read_by_lines(uri: str, size: int) -> bool:
    """Whether Spark's line reader reads this JSON file (rather than whole, in one value)."""
    if _gzip(uri):
        return size >= GZIP_BY_LINES_FROM
    return size >= READ_IN_BLOCKS_FROM and not uri.lower().endswith(COMPRESSED)


def cut_off_gzips(spark: SparkSession, files: list[tuple[str, str]], settings: Settings | None) -> set[str]:
    """URIs of the gzip files (location a task reads, URI) that do not decompress to their end.

    Spark's line reader would return the lines before the cut and, ignoring corrupt files, say
    nothing: such a file is not read at all, and `unreadable_records` quarantines it whole, as a cut-off
    file read whole is. Checked by tasks, in parallel, each streaming its file once."""
    if not files:
        return set()
    checked = (
        spark.sparkContext.parallelize(files, len(files))
        .map(lambda f: (f[1], gzip_intact(open_location(f[0], settings))))
        .collect()
    )
    return {uri for uri, intact in checked if not intact}


def read_records(
    spark: SparkSession,
    contract: Contract,
    uris: list[str],
    io: JobIO,
    *,
    sizes: dict[str, int] | None = None,
    settings: Settings | None = None,
) -> DataFrame:
    """Raw objects -> one row per record (string columns, `_parse_error`, lineage), by source format.

    When some JSON input is large (`sizes`, READ_IN_BLOCKS_FROM), the records come with `_block`,
    provisional line numbers and blank lines: pass them, once cached, through `r2s.number_lines`.
    CSV files are streamed by the tasks that parse them (`settings`: to reach s3:// objects)."""
    if contract.source.format == "csv":
        files = [
            (where, uri, (sizes or {}).get(uri, 0))
            for where, uri in zip(io.readable(uris), uris, strict=True)
        ]
        return csv_records.parse_csv_files(spark, files, contract, settings)
    located = io.readable(uris)
    by_lines = [_read_by_lines(u, (sizes or {}).get(u, 0)) for u in uris]
    cut = cut_off_gzips(
        spark,
        [(loc, u) for loc, u, b in zip(located, uris, by_lines, strict=True) if b and _gzip(u)],
        settings,
    )
    paths = literal_paths(located)  # raw files keep their export's name, `[1]` and all
    source = io.source_uri(_decoded(F.input_file_name()))
    large = [p for p, u, b in zip(paths, uris, by_lines, strict=True) if b and u not in cut]
    whole = [p for p, b in zip(paths, by_lines, strict=True) if not b]
    parts = []
    if large:
        with listing_for(spark, large):
            parts.append(r2s.read_blocks(spark.read.option("lineSep", "\n").text(large), source))
    if whole:
        # a file Spark cannot read (a cut-off gzip) yields nothing here and is found by unreadable_records
        with listing_for(spark, whole):
            text = spark.read.option("ignoreCorruptFiles", "true").text(whole, wholetext=True)
        lines = r2s.read_lines(text, source)
        parts.append(lines.withColumn(r2s.BLOCK, F.lit(-1).cast("bigint")) if large else lines)
    if not parts:  # every input is a cut-off gzip: no line to read
        parts.append(spark.createDataFrame([], "_source_file string, _source_line bigint, _record string"))
    return r2s.parse_json_records(parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1]), contract)


_BOM = b"\xef\xbb\xbf"


def _unreadable(storage: Storage, uri: str, size: int) -> bool:
    """Whether an input that yielded no line could not be read (rather than being empty or blank): a
    cut-off gzip, or any file with text in it that Spark nevertheless read as nothing (Hadoop cannot
    name a local file with `:` in its name, for one), so that it is quarantined, never lost. Streamed:
    it stops at the first text, so a large file is not read whole on the driver."""
    if size == 0:
        return False
    with storage.stream(uri) as body:
        text = gzip.GzipFile(fileobj=body) if uri.endswith(".gz") else body
        try:
            return any(chunk.replace(_BOM, b"").strip() for chunk in iter(lambda: text.read(1 << 20), b""))
        except (EOFError, zlib.error, gzip.BadGzipFile):  # compressed data cut off or corrupt
            return True


def unreadable_records(
    spark: SparkSession,
    settings: Settings,
    seen: set[str],
    sizes: dict[str, int],
    *,
    contract: Contract,
    storage: Storage | None = None,
) -> DataFrame | None:
    """One quarantine record per input that could not be read, so it is neither lost nor silently skipped.

    Only inputs that yielded no line at all are checked (on the driver, through `storage`: by default
    the environment's): usually none, or a few empty files. (The CSV reader reports unreadable files
    itself.)
    """
    storage = storage or Storage(settings)
    lost = [u for u, size in sorted(sizes.items()) if u not in seen and _unreadable(storage, u, size)]
    if not lost:
        return None
    template = r2s.parse_json_records(
        spark.createDataFrame([], "_source_file string, _source_line bigint, _record string"), contract
    )
    nullable = T.StructType([T.StructField(f.name, f.dataType, True) for f in template.schema.fields])
    empty = dict.fromkeys(template.columns)
    rows = [
        empty | {"_source_file": u, "_source_line": 0, "_record": "", "_parse_error": r2s.UNREADABLE}
        for u in lost
    ]
    return r2s.validate(spark.createDataFrame(rows, nullable), contract)
