"""The two job stages of a dataset: raw -> silver and silver -> gold.

Each stage reads its inputs, calls the pure transforms, writes to a run-scoped location
(`<table>/_runs/<run_id>/...`), checks the reconciliation, and only then publishes by moving catalog
partitions / table locations to the run's output: readers never see a half-written run, and a rerun
never mixes its files with an earlier run's. Every run writes one audit record.
"""

from __future__ import annotations

import fnmatch
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.catalog import Catalog
from lakehouse.contracts import Contract
from lakehouse.jobs.io import DirectIO
from lakehouse.settings import Settings
from lakehouse.storage import Storage
from lakehouse.tables import TableSpec, audit_table, gold_tables, quarantine_table, raw_table, silver_table
from lakehouse.transforms import raw_to_silver as r2s
from lakehouse.transforms import star

MAX_RECORDS_PER_FILE = 5_000_000  # keeps files large for Athena, bounded for memory


class ReconciliationError(RuntimeError):
    """rows read != rows written + duplicates removed + rows quarantined: nothing is published."""


@dataclass
class StageResult:
    stage: str
    dataset: str
    run_id: str
    started_at: str
    inputs: int = 0
    rows_read: int = 0
    rows_written: int = 0
    duplicates_removed: int = 0
    rows_quarantined: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)  # rows written per output table
    partitions: dict[str, int] = field(default_factory=dict)  # partitions published per table
    status: str = "running"
    finished_at: str = ""
    duration_s: float = 0.0

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_written + self.duplicates_removed + self.rows_quarantined

    def as_dict(self) -> dict:
        return asdict(self) | {"reconciled": self.reconciled}

    def audit_record(self) -> dict:
        keys = (
            "run_id",
            "dataset",
            "stage",
            "status",
            "started_at",
            "finished_at",
            "duration_s",
            "inputs",
            "rows_read",
            "rows_written",
            "duplicates_removed",
            "rows_quarantined",
        )
        return {k: getattr(self, k) for k in keys} | {
            "reconciled": self.reconciled,
            "warnings": json.dumps(self.warnings, sort_keys=True),
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_prefix(spec: TableSpec, run_id: str) -> str:
    return f"{spec.location}_runs/{run_id}/"


def _write(
    df: DataFrame, spec: TableSpec, uri: str, io, partitioned: bool = True
) -> tuple[int, dict[tuple, str]]:
    """Write a table's rows under uri (one file per partition value, snappy Parquet).

    Returns what is really in the written files, read back rather than assumed: the row count and
    {partition values: location} ({} for an unpartitioned write).
    """
    names = [n for n, _ in spec.partition_keys] if partitioned else []
    writer = (
        (df.repartition(*names) if names else df.coalesce(1))
        .write.mode("overwrite")
        .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
    )
    if names:
        writer = writer.partitionBy(*names)
    writer.parquet(io.writable(uri))
    io.commit(uri)
    written = df.sparkSession.read.parquet(io.writable(uri))
    if not names:
        return written.count(), {}
    groups = written.groupBy(*names).count().collect()
    parts = {
        tuple(str(g[n]) for n in names): uri + "/".join(f"{n}={g[n]}" for n in names) + "/" for g in groups
    }
    return sum(g["count"] for g in groups), parts


def _finish(result: StageResult, settings: Settings, t0: float, status: str) -> StageResult:
    result.status, result.finished_at = status, _now()
    result.duration_s = round(time.monotonic() - t0, 3)
    record = json.dumps(result.audit_record(), sort_keys=True).encode()
    spec = audit_table(settings)
    Storage(settings).put_bytes(
        f"{spec.location}{result.dataset}-{result.stage}-{result.run_id}.json",
        record + b"\n",
        "application/json",
    )
    return result


def raw_inputs(contract: Contract, settings: Settings) -> list[str]:
    """Every raw object of the dataset, as s3:// URIs (landing-style names only)."""
    spec = raw_table(contract, settings)
    return sorted(
        o.uri
        for o in Storage(settings).list(spec.location)
        if fnmatch.fnmatch(o.key.rsplit("/", 1)[-1], contract.source.file_pattern)
        and not o.key.rsplit("/", 1)[-1].startswith(("_", "."))
    )


def raw_to_silver(
    spark: SparkSession, contract: Contract, settings: Settings, run_id: str, io=None
) -> StageResult:
    """Parse, type, validate and deduplicate every raw record; write silver and quarantine; publish."""
    io, t0 = io or DirectIO(), time.monotonic()
    result = StageResult("raw_to_silver", contract.name, run_id, _now())
    catalog = Catalog(settings)
    silver, quarantine = silver_table(contract, settings), quarantine_table(contract, settings)
    inputs = raw_inputs(contract, settings)
    result.inputs = len(inputs)
    if not inputs:
        return _finish(result, settings, t0, "succeeded")

    text = spark.read.text(io.readable(inputs), wholetext=True)
    lines = r2s.read_lines(text, io.source_uri(F.expr("url_decode(input_file_name())")))
    checked = r2s.validate(r2s.parse_json_records(lines, contract), contract).cache()
    try:
        counts = checked.agg(
            F.count(F.lit(1)).alias("read"), F.count(F.when(F.size("_reasons") > 0, 1)).alias("rejected")
        ).first()
        result.rows_read, result.rows_quarantined = counts["read"], counts["rejected"]
        for rule, n in checked.select(F.explode("_warnings").alias("w")).groupBy("w").count().collect():
            result.warnings[rule] = n
        marked = r2s.mark_duplicates(checked.where(F.size("_reasons") == 0), contract).cache()
        result.duplicates_removed = marked.where("_duplicate").count()
        rows = r2s.to_silver(marked.where(~F.col("_duplicate")), contract, run_id)

        silver_uri = run_prefix(silver, run_id)
        result.rows_written, silver_parts = _write(rows, silver, silver_uri, io)
        result.tables[silver.qualified] = result.rows_written
        if result.rows_quarantined:
            q_uri = f"{quarantine.location}run_id={run_id}/"
            result.tables[quarantine.qualified], _ = _write(
                r2s.to_quarantine(checked.where(F.size("_reasons") > 0)),
                quarantine,
                q_uri,
                io,
                partitioned=False,
            )
        if not result.reconciled or result.tables.get(quarantine.qualified, 0) != result.rows_quarantined:
            _finish(result, settings, t0, "failed")
            raise ReconciliationError(f"{contract.name} raw_to_silver does not reconcile: {result.as_dict()}")
        # publish: the catalog now points readers at this run's files, nothing before this point.
        # The run re-read every raw input, so its output supersedes all earlier runs' partitions.
        catalog.register_partitions(
            quarantine, {(run_id,): q_uri} if result.rows_quarantined else {}, replace_all=True
        )
        catalog.register_partitions(silver, silver_parts, replace_all=True)
        result.partitions[silver.qualified] = len(silver_parts)
        marked.unpersist()
    finally:
        checked.unpersist()
    return _finish(result, settings, t0, "succeeded")


def read_silver(
    spark: SparkSession, contract: Contract, settings: Settings, io=None
) -> tuple[DataFrame, int]:
    """The published silver rows (the partitions the catalog points at), with partition columns."""
    io = io or DirectIO()
    spec = silver_table(contract, settings)
    parts = Catalog(settings).get_partitions(spec.database, spec.name)
    if not parts:
        return spark.createDataFrame([], r2s.silver_ddl(contract, with_partitions=True)), 0
    df = spark.read.schema(r2s.silver_ddl(contract)).parquet(*io.readable([loc for _, loc in parts]))
    path = F.expr("url_decode(input_file_name())")
    for p in contract.silver_partitions:
        df = df.withColumn(p.name, F.regexp_extract(path, f"/{p.name}=([^/]+)/", 1).cast(p.type))
    return df, len(parts)


def silver_to_gold(
    spark: SparkSession, contract: Contract, settings: Settings, run_id: str, io=None
) -> StageResult:
    """Build every dimension and fact of the contract from silver; write, reconcile, publish."""
    io, t0 = io or DirectIO(), time.monotonic()
    result = StageResult("silver_to_gold", contract.name, run_id, _now())
    catalog = Catalog(settings)
    silver, result.inputs = read_silver(spark, contract, settings, io)
    silver = silver.cache()
    try:
        result.rows_read = silver.count()
        specs = {s.name: s for s in gold_tables(contract, settings)}
        outputs: list[tuple[TableSpec, DataFrame]] = []
        for dim in contract.dimensions:
            outputs.append((specs[dim.name], star.build_dimension(silver, dim)))
        for fact in contract.facts:
            outputs.append((specs[fact.name], star.build_fact(silver, fact, contract)))
        publish: list[tuple[TableSpec, str, dict]] = []
        for spec, df in outputs:
            uri = run_prefix(spec, run_id)
            result.tables[spec.qualified], parts = _write(df, spec, uri, io)
            publish.append((spec, uri, parts))
        fact_rows = [result.tables[specs[f.name].qualified] for f in contract.facts]
        # every silver row becomes exactly one row of each fact
        result.rows_written = min(fact_rows) if fact_rows else result.rows_read
        if any(n != result.rows_read for n in fact_rows):
            _finish(result, settings, t0, "failed")
            raise ReconciliationError(
                f"{contract.name}: fact rows {fact_rows} != silver rows {result.rows_read}"
            )
        for spec, uri, parts in publish:
            if spec.partition_keys:
                catalog.register_partitions(spec, parts, replace_all=True)
                result.partitions[spec.qualified] = len(parts)
            else:
                catalog.set_table_location(spec, uri)
    finally:
        silver.unpersist()
    return _finish(result, settings, t0, "succeeded")
