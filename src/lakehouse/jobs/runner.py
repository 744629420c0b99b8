"""The life cycle every stage shares: lock, recover, body, retention, audit; and writing run outputs.

A stage body (one module per stage under lakehouse.jobs.stages) gets a typed `StageContext` and
fills its `result`; it writes only under run-scoped locations (`<table>/_runs/<run_id>/`) and
publishes through `commit`, which records the intent in the ledger before touching the catalog. The
runner writes one audit record per run, failed runs included, and the run's quality rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from pyspark.sql import DataFrame, SparkSession

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.dataset import Contract
from lakehouse.contract.model import Model
from lakehouse.contract.tables import TableSpec, audit_table, quality_table
from lakehouse.errors import LakehouseError, PartitionValueError
from lakehouse.jobs import retention
from lakehouse.jobs.io import DirectIO, JobIO, parquet_rows, write_sized
from lakehouse.jobs.ledger import (
    EntryCache,
    Ledger,
    LedgerEntry,
    RunLock,
    RunRequest,
    failpoint,
    lock_ttl,
    publish,
    recover,
)
from lakehouse.jobs.result import StageResult, now
from lakehouse.settings import Settings, env_float


@dataclass(frozen=True)
class RunLimits:
    """How long a lock may be held before it counts as a dead run's, and how long superseded files stay.

    Glue jobs get them as the job arguments --lock_ttl_minutes (set it to the job's timeout) and
    --retention_hours (lakehouse.jobs.entry); elsewhere LAKEHOUSE_LOCK_TTL_MINUTES (default 360) and
    LAKEHOUSE_RETENTION_HOURS (default 168).
    """

    lock_ttl: timedelta
    retention: timedelta

    @classmethod
    def from_env(cls) -> RunLimits:
        return cls(lock_ttl(), timedelta(hours=env_float("LAKEHOUSE_RETENTION_HOURS")))


@dataclass(kw_only=True)
class StageContext:
    """What one stage run works with: the run's clients (`storage`, `catalog`, the `ledger` on them) come
    from the runner, so a body builds none of its own."""

    stage: str
    spark: SparkSession
    subject: Contract | Model  # the dataset's contract, or the model a build_model run builds
    settings: Settings
    run_id: str
    io: JobIO
    full: bool
    result: StageResult
    catalog: Catalog
    storage: Storage
    ledger: Ledger
    specs: dict[str, TableSpec]
    arguments: dict[str, str] = field(default_factory=dict)  # a model run's arguments (Model.arguments)

    @property
    def contract(self) -> Contract:
        if not isinstance(self.subject, Contract):
            raise TypeError(f"{self.stage} needs a dataset contract, got model {self.subject.name}")
        return self.subject

    @property
    def model(self) -> Model:
        if not isinstance(self.subject, Model):
            raise TypeError(f"{self.stage} needs a model, got dataset {self.subject.name}")
        return self.subject

    def spec(self, name: str) -> TableSpec:
        return next(s for s in self.specs.values() if s.name == name)

    def entry(self, full: bool, **fields: Any) -> LedgerEntry:
        return LedgerEntry(
            run_id=self.run_id,
            stage=self.stage,
            dataset=self.subject.name,
            status="publishing",
            full=full,
            **fields,
        )


def run_stage(
    stage: str,
    body: Callable[[StageContext], None],
    spark: SparkSession,
    subject: Contract | Model,
    *,
    settings: Settings,
    run_id: str,
    specs: Iterable[TableSpec],
    io: JobIO | None = None,
    full: bool = False,
    limits: RunLimits | None = None,
    arguments: dict[str, str] | None = None,
    storage: Storage | None = None,
    catalog: Catalog | None = None,
) -> StageResult:
    """Lock, roll forward a dead run's publish, run the stage body, and audit the run whatever happens.

    `storage` and `catalog`: the clients the run works through (the lock, the ledgers, the body,
    retention, the audit); by default the environment's."""
    limits = limits or RunLimits.from_env()
    storage = storage or Storage(settings)
    catalog = catalog or Catalog(settings)
    entries = EntryCache()  # this run's: every ledger it reads fetches each entry once (jobs.ledger)
    t0 = time.monotonic()
    result = StageResult(stage, subject.name, run_id, now(), "full" if full else "incremental")
    by_name = {s.qualified: s for s in specs}
    ctx = StageContext(
        stage=stage,
        spark=spark,
        subject=subject,
        settings=settings,
        run_id=run_id,
        io=io or DirectIO(),
        full=full,
        result=result,
        catalog=catalog,
        storage=storage,
        ledger=Ledger(settings, subject.name, stage, storage=storage, cache=entries),
        specs=by_name,
        arguments=dict(arguments or {}),
    )
    with RunLock(settings, subject.name, stage, run_id, ttl=limits.lock_ttl, storage=storage):
        try:
            # this run takes every input landed so far
            RunRequest(settings, subject.name, stage, storage=storage).clear()
            result.recovered = recover(ctx.ledger, ctx.catalog, by_name)
            body(ctx)
            ledgers = retention.ledgers(settings, storage=storage, cache=entries)
            for spec in by_name.values():
                if spec.name.endswith("_quarantine"):
                    result.removed += retention.expire_quarantine(
                        settings,
                        spec,
                        retention.quarantine_expiry(subject),
                        ledgers,
                        catalog=catalog,
                        storage=storage,
                    )
            result.removed += retention.collect(
                settings, list(by_name.values()), ledgers, limits.retention, catalog=catalog, storage=storage
            )
        except Exception as exc:
            _finish(result, storage, settings, t0, status="failed", error=error_text(exc))
            raise
    return _finish(result, storage, settings, t0, status="succeeded")


def error_text(exc: BaseException) -> str:
    """What the audit record, and through the job's failure message the alert, say about a failure:
    the kit's own errors in full; any other only by its type (a Spark or parser error may quote a
    record, e.g. `Text '<value>' could not be parsed`); the driver log has the traceback."""
    if isinstance(exc, LakehouseError):
        return f"{type(exc).__name__}: {exc}"[:2000]
    return f"{type(exc).__name__} (not one of the kit's errors: the job's driver log has the details)"


def _finish(
    result: StageResult, storage: Storage, settings: Settings, t0: float, *, status: str, error: str = ""
) -> StageResult:
    result.status, result.error, result.finished_at = status, error, now()
    result.duration_s = round(time.monotonic() - t0, 3)
    record = json.dumps(result.audit_record(), sort_keys=True).encode()
    name = f"{result.dataset}-{result.stage}-{result.run_id}.json"
    storage.put_bytes(f"{audit_table(settings).location}{name}", record + b"\n", "application/json")
    if result.rule_results:
        rows = [
            {"run_id": result.run_id, "dataset": result.dataset, "stage": result.stage, **r}
            for r in result.rule_results
        ]
        body = b"".join(json.dumps(r, sort_keys=True).encode() + b"\n" for r in rows)
        storage.put_bytes(f"{quality_table(settings).location}{name}", body, "application/json")
    return result


def commit(ctx: StageContext, entry: LedgerEntry) -> None:
    """Record the intent, publish, mark committed; then report what was published."""
    failpoint(f"{entry.stage}:after_write")
    ctx.ledger.write(entry)  # the intent: from here on, the next run completes this publish if we die
    failpoint(f"{entry.stage}:after_intent")
    publish(ctx.catalog, ctx.specs, entry)
    failpoint(f"{entry.stage}:after_publish")
    entry.status = "committed"
    ctx.ledger.write(entry)
    ctx.result.partitions = {t: len(p) for t, p in entry.partitions.items()}


def run_prefix(spec: TableSpec, run_id: str) -> str:
    return f"{spec.location}_runs/{run_id}/"


def quarantine_prefix(spec: TableSpec, run_id: str) -> str:
    return f"{spec.location}run_id={run_id}/"


def partition_key(values: Iterable[object]) -> str:
    """A partition's values as a JSON list: the ledger's and the catalog's common spelling."""
    return json.dumps([str(v) for v in values])


HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Spark's folder for a null (or empty) value


def unescape_path_name(name: str) -> str:
    """A partition folder's value as Spark/Hive escaped it (ExternalCatalogUtils.unescapePathName)."""
    out, i = [], 0
    while i < len(name):
        if name[i] == "%" and i + 2 < len(name) and _is_hex(name[i + 1 : i + 3]):
            out.append(chr(int(name[i + 1 : i + 3], 16)))
            i += 3
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)


def path_like(value: str) -> bool:
    """A value that would read as a path (a separator, `.`/`..`, a control character): never published."""
    return "/" in value or "\\" in value or value in (".", "..") or any(ord(c) < 32 for c in value)


def written_partitions(
    files: Iterable[str], names: list[str], uri: str, encoded: bool = True
) -> dict[str, str]:
    """{partition key: location} from the files Spark actually wrote under uri (as Spark named their
    folders, escaped), never rebuilt from the values; null and path-like values are refused.
    `encoded`: the file names are URIs (as `inputFiles()` gives them), else plain paths (a listing's)."""
    parts: dict[str, str] = {}
    for file in files:
        folders = (unquote(file) if encoded else file).rstrip("/").split("/")[-len(names) - 1 : -1]
        pairs = [f.split("=", 1) for f in folders]
        if len(pairs) != len(names) or any(
            len(p) != 2 or p[0] != n for p, n in zip(pairs, names, strict=False)
        ):
            raise PartitionValueError(f"a file Spark wrote under {uri} is not in a {'/'.join(names)} folder")
        values = [unescape_path_name(v) for _, v in pairs]
        for name, value in zip(names, values, strict=True):
            if value == HIVE_DEFAULT_PARTITION:
                raise PartitionValueError(
                    f"partition column {name} is null for some rows: nothing was published"
                )
            if path_like(value):
                raise PartitionValueError(
                    f"partition column {name} has a path-like value (a '/', '\\', '.' or '..' or a control "
                    "character): nothing was published"
                )
        parts[partition_key(values)] = uri + "/".join(folders) + "/"
    return parts


def write(
    df: DataFrame, spec: TableSpec, uri: str, io: JobIO, *, partitioned: bool = True
) -> tuple[int, dict[str, str]]:
    """Write rows under uri (right-sized snappy Parquet, see jobs.io.write_sized); return what is really there.

    Returns the rows in the files written (from their Parquet footers: counts are of what was
    written, not assumed, and nothing is read back) and {partition key: location} ({} for an
    unpartitioned write), the locations taken from the folders of the files written (Spark escapes
    `:` `/` `%` and others in folder names; see written_partitions).
    """
    names = [n for n, _ in spec.partition_keys] if partitioned else []
    listed = write_sized(df, io.writable(uri), names)
    files = [f for group in listed.values() for f, _ in group]
    rows = parquet_rows(df.sparkSession, files)
    io.commit(uri)
    if not names or not files:  # nothing to write: Spark wrote no data file
        return rows, {}
    return rows, written_partitions(files, names, uri, encoded=False)


def write_table(
    ctx: StageContext, spec: TableSpec, df: DataFrame, entry: LedgerEntry, *, replace: bool = True
) -> int:
    """Write a gold table run-scoped and record it in the entry; returns the rows written. `replace`:
    the written partitions become the table's only ones; else they add to (or replace) the others."""
    uri = run_prefix(spec, ctx.run_id)
    if spec.partition_keys:
        count, parts = write(
            df.select(*spec.column_names, *[n for n, _ in spec.partition_keys]), spec, uri, ctx.io
        )
        entry.partitions[spec.qualified] = parts
        if replace:
            entry.replace_all.append(spec.qualified)
    else:
        count, _ = write(df.select(*spec.column_names), spec, uri, ctx.io)
        entry.table_locations[spec.qualified] = uri
    ctx.result.tables[spec.qualified] = count
    return count


def write_quarantine(ctx: StageContext, spec: TableSpec, rows: DataFrame, entry: LedgerEntry) -> int:
    """Write a run's quarantine rows (if any) as the run's partition; returns the rows written."""
    uri = quarantine_prefix(spec, ctx.run_id)
    count, _ = write(rows, spec, uri, ctx.io, partitioned=False)
    entry.partitions[spec.qualified] = {partition_key([ctx.run_id]): uri}
    ctx.result.tables[spec.qualified] = count
    return count
