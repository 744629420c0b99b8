"""Compaction: merge the small files of older partitions into right-sized ones, published atomically.

Every write already aims at the target file size (jobs.io), but a partition can still end up with
more files than it needs: written under a smaller target, by another tool, or by an engine that
wrote one file per task. A compaction run rewrites each such partition (older than `min_age`, so
partitions still receiving data are left alone) into ceil(bytes / target) files under its own
run-scoped location, checks that the rewritten partition holds exactly the rows of the old one, and
switches the catalog through the ledger of the stage that owns the table (raw_to_silver for silver,
silver_to_gold for gold facts): it takes that stage's lock, so it never races a job run, records its
intent before publishing, so a run that dies mid-publish is completed by the next run of that stage,
and leaves the old files to retention, so queries already reading them finish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.dataset import Contract
from lakehouse.contract.registry import RAW_TO_SILVER, SILVER_TO_GOLD  # the stages whose ledgers it uses
from lakehouse.contract.tables import TableSpec
from lakehouse.jobs.io import DirectIO, JobIO, rewrite_files, target_file_bytes
from lakehouse.jobs.ledger import Ledger, LedgerEntry, RunLock, failpoint, publish, recover
from lakehouse.jobs.runner import partition_key
from lakehouse.jobs.stages import raw_silver, silver_gold
from lakehouse.settings import Settings


@dataclass(kw_only=True)
class PartitionCompaction:
    table: str
    partition: str  # values as a JSON list (the ledger's spelling)
    old_location: str
    new_location: str
    files_before: int
    files_after: int
    bytes_before: int
    rows: int


@dataclass
class CompactionResult:
    run_id: str
    stage: str
    partitions: list[PartitionCompaction] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


def _stage_specs(
    contract: Contract, settings: Settings, zone: str
) -> tuple[str, dict[str, TableSpec], list[TableSpec]]:
    """(stage owning the zone's tables, every spec that stage publishes, the tables to compact)."""
    if zone == "silver":
        silver, quarantine = raw_silver.specs(contract, settings)
        return RAW_TO_SILVER, {s.qualified: s for s in (silver, quarantine)}, [silver]
    if zone == "gold":  # the tables silver_to_gold owns (the conformed calendar is build_model's)
        specs = {s.qualified: s for s in silver_gold.specs(contract, settings)}
        facts = [s for s in specs.values() if s.partition_keys]
        return SILVER_TO_GOLD, specs, facts
    raise ValueError(f"compaction zone must be silver or gold, not {zone!r}")


def plan(
    settings: Settings,
    spec: TableSpec,
    target: int,
    min_age: timedelta,
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    storage: Storage | None = None,
) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """[(partition key, location, [(file uri, bytes)])] of partitions with more files than they need."""
    now = now or datetime.now(UTC)
    storage, catalog, out = storage or Storage(settings), catalog or Catalog(settings), []
    for values, location in catalog.get_partitions(spec.database, spec.name):
        objs = [
            o
            for o in storage.list(location)
            if o.key.endswith(".parquet") and not o.key.rsplit("/", 1)[-1].startswith(("_", "."))
        ]
        modified = [o.modified for o in objs if o.modified is not None]
        if len(objs) < 2 or len(modified) < len(objs) or now - max(modified) < min_age:
            continue  # a partition whose files' age is unknown is left alone, like a young one
        nbytes = sum(o.size for o in objs)
        if len(objs) > math.ceil(nbytes / target):
            out.append((partition_key(values), location, [(o.uri, o.size) for o in objs]))
    return out


def compact(
    spark: SparkSession,
    contract: Contract,
    settings: Settings,
    run_id: str,
    *,
    io: JobIO | None = None,
    zone: str = "silver",
    min_age: timedelta = timedelta(days=1),
    target: int | None = None,
    storage: Storage | None = None,
    catalog: Catalog | None = None,
) -> CompactionResult:
    """Compact the zone's partitioned tables of a dataset; see the module docstring. `storage` and
    `catalog`: the clients it works through (the lock, the ledger, the plan, the publish); by default
    the environment's."""
    io, target = io or DirectIO(), target or target_file_bytes()
    storage, catalog = storage or Storage(settings), catalog or Catalog(settings)
    stage, specs, tables = _stage_specs(contract, settings, zone)
    result = CompactionResult(run_id, stage)
    with RunLock(settings, contract.name, stage, run_id, storage=storage):
        ledger = Ledger(settings, contract.name, stage, storage=storage)
        result.recovered = recover(ledger, catalog, specs)
        # a compaction consumes nothing new: carry the stage's incremental state forward unchanged
        entry = LedgerEntry(
            run_id=run_id,
            stage=stage,
            dataset=contract.name,
            status="publishing",
            full=False,
            consumed=ledger.last_consumed(),
        )
        for spec in tables:
            depth = len(spec.partition_keys)
            for key, location, files in plan(
                settings, spec, target, min_age, catalog=catalog, storage=storage
            ):
                # the partition's folders as Spark named (escaped) them when it was written, never
                # rebuilt from its values (see jobs.runner.written_partitions)
                folders = location.rstrip("/").split("/")[-depth:]
                new = f"{spec.location}_runs/{run_id}/" + "/".join(folders) + "/"
                io.readable([location])
                old_rows = spark.read.parquet(io.writable(location)).count()
                nbytes = sum(s for _, s in files)
                rewrite_files(spark, [io.writable(location)], io.writable(new), nbytes=nbytes, target=target)
                io.commit(new)
                rewritten = spark.read.parquet(io.writable(new))
                new_rows, new_files = rewritten.count(), len(rewritten.inputFiles())
                if new_rows != old_rows or new_files >= len(files):
                    raise RuntimeError(
                        f"compaction of {spec.qualified} {key} is not an improvement or lost rows: "
                        f"{old_rows} -> {new_rows} rows, {len(files)} -> {new_files} files; nothing published"
                    )
                entry.partitions.setdefault(spec.qualified, {})[key] = new
                result.partitions.append(
                    PartitionCompaction(
                        table=spec.qualified,
                        partition=key,
                        old_location=location,
                        new_location=new,
                        files_before=len(files),
                        files_after=new_files,
                        bytes_before=nbytes,
                        rows=new_rows,
                    )
                )
        if entry.partitions:
            failpoint("compaction:after_write")
            ledger.write(entry)  # the intent: the stage's next run completes this publish if we die
            failpoint("compaction:after_intent")
            publish(catalog, specs, entry)
            entry.status = "committed"
            ledger.write(entry)
    return result
