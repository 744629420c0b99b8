"""Where a job reads and writes: the seam between job code and storage.

On Glue, Spark reads and writes s3:// itself, so `DirectIO` hands URIs through. Locally there is no
s3a, so the local runner passes a staging IO (lakehouse.local.launcher.StagingIO) that copies inputs
from the emulated S3 to local files and uploads outputs after Spark wrote them. Job code calls the
same four methods either way and never knows which it got.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import unquote

from pyspark.sql import Column, DataFrame, SparkSession

from lakehouse.settings import env_float


class JobIO(Protocol):
    """The four calls job code makes to reach storage."""

    def readable(self, uris: list[str]) -> list[str]: ...

    def source_uri(self, input_file: Column) -> Column: ...

    def writable(self, uri: str) -> str: ...

    def commit(self, uri: str) -> None: ...


class DirectIO:
    """Spark talks to the storage itself (AWS Glue)."""

    def readable(self, uris: list[str]) -> list[str]:
        """Paths Spark can read for these objects or prefixes."""
        return list(uris)

    def source_uri(self, input_file: Column) -> Column:
        """The storage URI of a file Spark read, from input_file_name()."""
        return input_file

    def writable(self, uri: str) -> str:
        """Path Spark should write to for this destination URI."""
        return uri

    def commit(self, uri: str) -> None:
        """Make what Spark wrote for `uri` available at `uri` (nothing to do when Spark wrote there)."""


# --------------------------------------------------------------------------------------------------
# Right-sized files. Athena and Spark read a few large files much faster than many small ones (and
# S3 throttles many small requests), so every table write aims at a target file size (default
# 128 MiB, LAKEHOUSE_TARGET_FILE_MB) and guarantees, per partition: files <= ceil(bytes / target) + 1.
#
# Parquet's compressed size is only known after writing, so a write is two steps: one task per
# partition value writes files of (target / estimated row size) rows; then any partition whose files
# came out too many or too large is rewritten into exactly ceil(bytes / target) files. With a fair
# estimate the second step never runs; with a wrong one it corrects it.

MIB = 2**20
OVERSIZE = 1.25  # a file more than 25% over the target is rewritten (when the partition needs 2+ files)


def target_file_bytes() -> int:
    return int(env_float("LAKEHOUSE_TARGET_FILE_MB") * MIB)


def max_files(nbytes: int, target: int) -> int:
    """The most files a partition of `nbytes` may have."""
    return math.ceil(nbytes / target) + 1


def row_bytes_estimate(df: DataFrame) -> int:
    """A first guess of one row's compressed Parquet size: 8 bytes a column (corrected after writing)."""
    return 8 * max(1, len(df.columns))


def _hadoop_path(spark: SparkSession) -> Any:
    """Hadoop's Path class (through the driver's JVM gateway)."""
    jvm = spark._jvm
    if jvm is None:
        raise RuntimeError("no JVM gateway: the Spark session is not running on a driver")
    return jvm.org.apache.hadoop.fs.Path


def _fs(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jpath = _hadoop_path(spark)(path)
    return jpath.getFileSystem(spark._jsc.hadoopConfiguration()), jpath


def list_parquet(spark: SparkSession, path: str) -> dict[str, list[tuple[str, int]]]:
    """Directory -> [(file, bytes)] of the Parquet data files under `path`: what Spark reads there, so
    files and folders below `path` whose name starts with `_` or `.` (markers, a `_temporary` or
    `_resize` left over) are skipped."""
    fs, jpath = _fs(spark, path)
    out: dict[str, list[tuple[str, int]]] = {}
    if not fs.exists(jpath):
        return out
    base = fs.makeQualified(jpath).toString().rstrip("/") + "/"
    files = fs.listFiles(jpath, True)
    while files.hasNext():
        status = files.next()
        full = status.getPath().toString()
        below = full[len(base) :].split("/") if full.startswith(base) else [status.getPath().getName()]
        if any(part.startswith(("_", ".")) for part in below) or not full.endswith(".parquet"):
            continue
        out.setdefault(full.rsplit("/", 1)[0], []).append((full, status.getLen()))
    return out


def parquet_rows(spark: SparkSession, files: list[str]) -> int:
    """Rows in these Parquet files, summed from their footers: a footer read each on the driver, no
    Spark job and no read-back of the data (`files` as list_parquet gives them)."""
    jvm = spark._jvm
    if jvm is None:
        raise RuntimeError("no JVM gateway: the Spark session is not running on a driver")
    conf, path = spark._jsc.hadoopConfiguration(), _hadoop_path(spark)
    reader_class = jvm.org.apache.parquet.hadoop.ParquetFileReader
    input_file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile

    def rows(file: str) -> int:
        reader = reader_class.open(input_file.fromPath(path(file), conf))
        try:
            return int(reader.getRecordCount())
        finally:
            reader.close()

    with ThreadPoolExecutor(8) as pool:  # object stores answer footer reads in parallel
        return sum(pool.map(rows, files))


def rows_at(spark: SparkSession, io: JobIO, locations: list[str]) -> int:
    """Rows in the Parquet files at these table or partition locations, from their footers (no Spark
    job): what a read of them returns."""
    paths = io.readable(locations)
    return parquet_rows(spark, [f for p in paths for d in list_parquet(spark, p).values() for f, _ in d])


def needs_resize(sizes: list[int], target: int) -> bool:
    total, want = sum(sizes), max(1, math.ceil(sum(sizes) / target))
    return len(sizes) > max_files(total, target) or (want > 1 and max(sizes) > OVERSIZE * target)


def _write_n(df: DataFrame, n: int, out: str) -> None:
    (df.repartition(n) if n > 1 else df.coalesce(1)).write.mode("overwrite").parquet(out)


def rewrite_files(
    spark: SparkSession, files: list[str], out: str, *, nbytes: int, target: int
) -> list[tuple[str, int]]:
    """Rewrite Parquet files (all of one partition) into right-sized files under `out`; returns them.

    ceil(nbytes / target) files, where nbytes shrinks when many small files become few (less
    per-file overhead): if the result still has more files than its own size needs, it is rewritten
    once more from itself (converges in one or two passes).
    """
    fs, _ = _fs(spark, out)
    path = _hadoop_path(spark)
    _write_n(spark.read.parquet(*files), max(1, math.ceil(nbytes / target)), out)
    written: list[tuple[str, int]] = []
    for attempt in range(3):
        written = [f for group in list_parquet(spark, out).values() for f in group]
        sizes = [s for _, s in written]
        if not needs_resize(sizes, target):
            break
        again = out.rstrip("/") + f"_pass{attempt}"
        _write_n(spark.read.parquet(*[f for f, _ in written]), max(1, math.ceil(sum(sizes) / target)), again)
        fs.delete(path(out), True)
        fs.rename(path(again), path(out))
    return written


def _resize(spark: SparkSession, directory: str, files: list[tuple[str, int]], target: int) -> None:
    """Replace a partition directory's files by ceil(bytes / target) files (before anyone reads them)."""
    fs, _ = _fs(spark, directory)
    path = _hadoop_path(spark)
    tmp = f"{directory}/_resize"
    rewritten = rewrite_files(
        spark, [f for f, _ in files], tmp, nbytes=sum(s for _, s in files), target=target
    )
    for f, _ in files:
        fs.delete(path(f), False)
    for new, _ in rewritten:
        fs.rename(path(new), path(f"{directory}/{new.rsplit('/', 1)[1]}"))
    fs.delete(path(tmp), True)


def write_sized(df: DataFrame, path: str, partition_names: list[str], target: int | None = None) -> dict:
    """Write `df` as snappy Parquet under `path`, partitioned by `partition_names`, in right-sized files.

    Returns {partition directory relative to path ('' when unpartitioned): [(file, bytes)]}.
    """
    target = target or target_file_bytes()
    spark = df.sparkSession
    rows_per_file = max(1, target // row_bytes_estimate(df))
    data = df.repartition(*partition_names) if partition_names else df.coalesce(1)
    writer = data.write.mode("overwrite").option("maxRecordsPerFile", rows_per_file)
    if partition_names:
        writer = writer.partitionBy(*partition_names)
    writer.parquet(path)
    listed = list_parquet(spark, path)
    resized = [d for d, files in listed.items() if needs_resize([s for _, s in files], target)]
    for directory in resized:
        _resize(spark, directory, listed[directory], target)
    if resized:  # (usually none: the files are listed again only when some were rewritten)
        listed = list_parquet(spark, path)
    base = next(iter(listed), "").split("/" + partition_names[0] + "=")[0] if partition_names else ""
    return {(d[len(base) :].strip("/") if partition_names else ""): f for d, f in listed.items()}


def partition_values(relative: str) -> list[str]:
    """`k1=v1/k2=v2` (as Spark writes it, %-escaped) -> [v1, v2]."""
    return [unquote(part.split("=", 1)[1]) for part in relative.split("/") if "=" in part]


_GLOB = re.compile(r"([\\*?\[\]{}])")


def literal_paths(paths: list[str]) -> list[str]:
    """Paths as Spark's readers take them literally: Hadoop expands `* ? [ ] { }` in a path as a
    glob, so an export named `orders [1].json` would read `orders 1.json` instead, and one named
    `a{b}*.json` would fail the run. Escaped with a backslash, each names exactly its file."""
    return [_GLOB.sub(r"\\\1", p) for p in paths]


_DISCOVERY = "spark.sql.sources.parallelPartitionDiscovery.threshold"
DRIVER_LISTS_UP_TO = 32  # paths Spark lists in the driver; more are listed by a Spark job (its default)


@contextmanager
def listing_for(spark: SparkSession, paths: list[str]) -> Iterator[None]:
    """Around a read of `paths`: list local paths in the driver, not with a Spark job.

    Spark lists more than 32 paths with a distributed job, which pays on S3 (many slow requests) but
    costs seconds for local files (measured: 720 staged files, 7.4 s vs 2.4 s cold, 3.7 s vs 0.4 s warm).
    """
    local = all("://" not in p or p.startswith("file:") for p in paths)
    previous = spark.conf.get(_DISCOVERY, None)
    if local:
        spark.conf.set(_DISCOVERY, str(max(DRIVER_LISTS_UP_TO, len(paths) + 1)))
    try:
        yield
    finally:
        if local:
            if previous is None:
                spark.conf.unset(_DISCOVERY)
            else:
                spark.conf.set(_DISCOVERY, previous)
