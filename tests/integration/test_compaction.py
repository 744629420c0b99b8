"""Right-sized files: the per-partition file-count bound of every write, and compaction.

Writes: no partition ends with more than ceil(bytes / target) + 1 files, whether the first guess of
the row size was too small (wide rows) or too large (narrow rows). Compaction: a silver table whose
partitions hold many small files is rewritten into fewer files with exactly the same rows, published
through the raw_to_silver ledger; a compaction that dies after recording its intent is completed by
the next raw_to_silver run, and readers see the old files until then.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from pyspark.sql import functions as F

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.tables import silver_table
from lakehouse.jobs import compaction
from lakehouse.jobs.io import OVERSIZE, list_parquet, parquet_rows, write_sized
from lakehouse.jobs.ledger import Ledger
from lakehouse.local.launcher import StagingIO, run_dataset
from lakehouse.transforms.silver import silver_ddl

pytestmark = pytest.mark.spark

KIB = 1024


def _check_bound(listed: dict, target: int) -> list[int]:
    counts = []
    for files in listed.values():
        sizes = [s for _, s in files]
        assert len(sizes) <= math.ceil(sum(sizes) / target) + 1
        if len(sizes) > 1:
            assert max(sizes) <= OVERSIZE * target
        counts.append(len(sizes))
    return counts


def test_wide_rows_are_split_to_the_target(spark, tmp_path):
    """8 bytes a column is far too low for 400-character rows: the first files come out too big."""
    df = spark.range(6000).select(
        (F.col("id") % 3).alias("p"),
        F.sha2(F.col("id").cast("string"), 512).alias("a"),
        F.sha2((F.col("id") * 31).cast("string"), 512).alias("b"),
        F.sha2((F.col("id") * 17).cast("string"), 512).alias("c"),
    )
    target = 128 * KIB
    listed = write_sized(df, str(tmp_path / "wide"), ["p"], target)
    assert sorted(listed) == ["p=0", "p=1", "p=2"]
    counts = _check_bound(list_parquet(spark, str(tmp_path / "wide")), target)
    assert min(counts) >= 3  # ~0.6 MB a partition: split, not one oversized file
    assert spark.read.parquet(str(tmp_path / "wide")).count() == 6000
    files = [f for group in listed.values() for f, _ in group]
    assert parquet_rows(spark, files) == 6000  # from the footers (what the jobs report as written)
    assert parquet_rows(spark, files[:1]) == spark.read.parquet(files[0]).count() < 6000
    assert parquet_rows(spark, files * 3) == 18000  # each file counted as often as it is named


def test_narrow_rows_are_not_spread_over_many_files(spark, tmp_path):
    """One small integer column compresses far below 8 bytes a row: the first files come out too many."""
    df = spark.range(400_000).select((F.col("id") % 2).alias("p"), (F.col("id") % 7).alias("v"))
    target = 16 * KIB
    listed = write_sized(df, str(tmp_path / "narrow"), ["p"], target)
    counts = _check_bound(list_parquet(spark, str(tmp_path / "narrow")), target)
    assert len(listed) == 2 and max(counts) <= 2
    assert spark.read.parquet(str(tmp_path / "narrow")).count() == 400_000


def test_unpartitioned_write(spark, tmp_path):
    listed = write_sized(spark.range(1000).withColumn("x", F.lit("x")), str(tmp_path / "flat"), [], 64 * KIB)
    assert list(listed) == [""] and len(listed[""]) == 1


@pytest.fixture
def fragmented(deployed, clickstream, spark, tmp_path):
    """Silver with 2 published partitions of 12 small files each (as many writers would leave them)."""
    spec = silver_table(clickstream, deployed)
    rows = spark.createDataFrame([], silver_ddl(clickstream, with_partitions=True))
    data = (
        spark.range(3000)
        .select(
            F.concat(F.lit("e-"), F.col("id").cast("string")).alias("event_id"),
            F.concat(F.lit("u-"), (F.col("id") % 50).cast("string")).alias("user_id"),
            F.concat(F.lit("s-"), (F.col("id") % 300).cast("string")).alias("session_id"),
            F.lit("page_view").alias("event_type"),
            (F.lit("2025-01-06 00:00:00").cast("timestamp") + F.make_interval(secs=F.col("id") * 40)).alias(
                "event_timestamp"
            ),
            F.lit("desktop").alias("device_type"),
            F.lit("https://shop.example.com/").alias("page_url"),
            F.lit(None).cast("string").alias("referrer_url"),
            F.create_map(F.lit("k"), F.col("id").cast("string")).alias("metadata"),
            F.create_map().cast("map<string,string>").alias("_extra_fields"),
            F.lit("s3://x/raw.json").alias("_source_file"),
            F.col("id").alias("_source_line"),
            F.lit("r0").alias("_run_id"),
        )
        .withColumn("event_date", F.to_date("event_timestamp"))
    )
    data = rows.unionByName(data)
    days = [r[0] for r in data.select(F.col("event_date").cast("string")).distinct().collect()]
    assert len(days) == 2
    staging = tmp_path / "stage"
    for d in days:
        local = staging / d
        data.where(F.col("event_date") == d).drop("event_date").repartition(12).write.parquet(str(local))
        location = f"{spec.location}_runs/r0/event_date={d}/"
        Storage(deployed).upload_dir(local, location)
        Catalog(deployed).register_partitions(spec, {(d,): location})
    return spec, data


def _comparable(df):
    """Maps as JSON text (set operations refuse map columns)."""
    return df.select(
        *[F.to_json(c).alias(c) if c in ("metadata", "_extra_fields") else c for c in df.columns]
    )


def _published(spark, settings, spec) -> dict[str, int]:
    storage, files = Storage(settings), {}
    for values, location in Catalog(settings).get_partitions(spec.database, spec.name):
        keys = [o for o in storage.list(location) if o.key.endswith(".parquet")]
        files[values[0]] = len(keys)
    return files


def test_compaction_keeps_the_rows_and_makes_fewer_files(deployed, clickstream, spark, fragmented, tmp_path):
    spec, data = fragmented
    assert set(_published(spark, deployed, spec).values()) == {12}
    io = StagingIO(deployed, tmp_path / "io")
    result = compaction.compact(
        spark, clickstream, deployed, "c1", io=io, zone="silver", min_age=timedelta(0)
    )
    assert len(result.partitions) == 2
    assert all(p.files_before == 12 and p.files_after == 1 for p in result.partitions)
    assert _published(spark, deployed, spec) == {d: 1 for d in _published(spark, deployed, spec)}
    locations = [loc for _, loc in Catalog(deployed).get_partitions(spec.database, spec.name)]
    assert all("/_runs/c1/" in loc for loc in locations)
    after = spark.read.parquet(*StagingIO(deployed, tmp_path / "after").readable(locations))
    before = data.drop("event_date")
    assert after.count() == before.count() == 3000
    after, before = _comparable(after), _comparable(before)
    assert after.exceptAll(before).count() == 0 and before.exceptAll(after).count() == 0
    ledger = Ledger(deployed, clickstream.name, "raw_to_silver")
    assert [e.status for e in ledger.entries()] == ["committed"]
    assert ledger.processed_inputs() == set()  # compaction consumed no raw input
    # nothing left to do: a second run finds no partition with more files than it needs
    again = compaction.compact(spark, clickstream, deployed, "c2", io=io, zone="silver", min_age=timedelta(0))
    assert again.partitions == []


def test_compaction_is_atomic_and_completed_by_the_next_run(
    deployed, clickstream, spark, fragmented, tmp_path, monkeypatch
):
    spec, _ = fragmented
    before = dict(Catalog(deployed).get_partitions(spec.database, spec.name))

    def die(*args, **kwargs):
        raise RuntimeError("killed after recording the intent")

    monkeypatch.setattr(compaction, "publish", die)
    with pytest.raises(RuntimeError, match="killed"):
        compaction.compact(
            spark, clickstream, deployed, "c1", io=StagingIO(deployed, tmp_path / "a"), min_age=timedelta(0)
        )
    monkeypatch.undo()
    # readers still see the old files; the intent is recorded in the raw_to_silver ledger
    assert dict(Catalog(deployed).get_partitions(spec.database, spec.name)) == before
    ledger = Ledger(deployed, clickstream.name, "raw_to_silver")
    assert [e.status for e in ledger.entries()] == ["publishing"]
    # the next raw_to_silver run (nothing new to read) completes the publish first
    [result] = run_dataset(deployed, clickstream, stages=("raw_to_silver",))
    assert result.recovered == ["c1"]
    assert set(_published(spark, deployed, spec).values()) == {1}
    assert [e.status for e in ledger.entries()] == ["committed"]


def test_rows_are_counted_in_the_files_spark_reads_not_in_hidden_folders(spark, tmp_path):
    """A `_resize` or `_temporary` folder left in a partition is not data: Spark skips it, and so do
    the listing and the footer count that reconcile a run."""
    from lakehouse.jobs.io import DirectIO, rows_at

    table = tmp_path / "t"
    spark.range(7).write.parquet(str(table / "d=1"))
    spark.range(5).write.parquet(str(table / "d=1" / "_resize"))
    spark.range(3).write.parquet(str(table / "d=1" / ".staging"))
    assert spark.read.parquet(str(table)).count() == 7
    assert rows_at(spark, DirectIO(), [str(table)]) == 7 == rows_at(spark, DirectIO(), [str(table / "d=1")])
    assert [d.rsplit("/", 1)[1] for d in list_parquet(spark, str(table))] == ["d=1"]
