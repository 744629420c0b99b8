"""The two job stages of a dataset: raw -> silver and silver -> gold, incremental by default.

Each run: takes the dataset+stage lock, rolls forward any publish a dead run left half done, works
out its inputs from the ledger (only what no committed run processed; everything with `full`), calls
the pure transforms, writes to a run-scoped location (`<table>/_runs/<run_id>/...`), checks the
reconciliation, records its publish intent, switches catalog partitions / table locations to the new
files, and commits its ledger entry. Readers never see a half-written run; a rerun never mixes its
files with an earlier one's; a killed run is completed or redone by the next. Every run writes one
audit record, failed runs included.

Incremental runs rebuild whole partitions: the partitions of the new rows plus those holding earlier
copies of their keys, deduplicated with the same total order a full run uses, so the incremental
history and `--full` give the same rows.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import time
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.catalog import Catalog
from lakehouse.contracts import Contract
from lakehouse.jobs import retention
from lakehouse.jobs.io import DirectIO, listing_for, partition_values, write_sized
from lakehouse.jobs.ledger import Ledger, LedgerEntry, RunLock, RunRequest, failpoint, publish, recover
from lakehouse.settings import Settings
from lakehouse.storage import Storage
from lakehouse.tables import (
    EXTRA_FIELDS,
    LINEAGE_COLUMNS,
    TableSpec,
    audit_table,
    gold_tables,
    model_tables,
    quality_table,
    quarantine_table,
    raw_table,
    silver_table,
)
from lakehouse.transforms import calendar, csv_records, sales, star
from lakehouse.transforms import raw_to_silver as r2s

RAW_TO_SILVER, SILVER_TO_GOLD = "raw_to_silver", "silver_to_gold"


class QualityError(RuntimeError):
    """A critical quality rule failed beyond its threshold: the run publishes nothing."""


class ReconciliationError(RuntimeError):
    """rows read != rows written + duplicates removed + rows quarantined: nothing is published."""


@dataclass
class StageResult:
    stage: str
    dataset: str
    run_id: str
    started_at: str
    mode: str = "incremental"
    inputs: int = 0
    input_files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    duplicates_removed: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = (
        0  # earlier rows displaced by an earlier-ordered copy of their key (same count in silver)
    )
    quality: dict[str, int] = field(default_factory=dict)  # failed rule or reason -> rows
    warnings: dict[str, int] = field(default_factory=dict)  # failed warn rule -> rows
    new_fields: dict[str, int] = field(default_factory=dict)  # undeclared source field -> rows carrying it
    tables: dict[str, int] = field(default_factory=dict)  # rows in the files written per table
    partitions: dict[str, int] = field(default_factory=dict)  # partitions published per table
    recovered: list[str] = field(default_factory=list)  # runs whose publish this run completed
    removed: list[str] = field(default_factory=list)  # superseded run directories deleted by retention
    rule_results: list[dict] = field(default_factory=list)  # rows of the quality_results table
    status: str = "running"
    error: str = ""
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
            "mode",
            "inputs",
            "input_files",
            "rows_read",
            "rows_written",
            "duplicates_removed",
            "rows_quarantined",
            "rows_replaced",
            "error",
        )
        return {k: getattr(self, k) for k in keys} | {
            "reconciled": self.reconciled,
            "quality": json.dumps(
                self.quality | {f"warn:{k}": v for k, v in self.warnings.items()}, sort_keys=True
            ),
            "new_fields": json.dumps(self.new_fields, sort_keys=True),
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_prefix(spec: TableSpec, run_id: str) -> str:
    return f"{spec.location}_runs/{run_id}/"


def _key(values) -> str:
    """A partition's values as a JSON list: the ledger's and the catalog's common spelling."""
    return json.dumps([str(v) for v in values])


def _write(df: DataFrame, spec: TableSpec, uri: str, io, partitioned: bool = True) -> tuple[DataFrame, dict]:
    """Write rows under uri (right-sized snappy Parquet, see jobs.io); return what is really there.

    Returns the written files read back (so counts are of what was written, not assumed) and
    {partition key: location} ({} for an unpartitioned write).
    """
    names = [n for n, _ in spec.partition_keys] if partitioned else []
    listed = write_sized(df, io.writable(uri), names)
    io.commit(uri)
    if not listed:  # nothing to write: Spark wrote no data file
        return df.sparkSession.createDataFrame([], df.schema), {}
    written = df.sparkSession.read.parquet(io.writable(uri))
    if not names:
        return written, {}
    return written, {_key(partition_values(rel)): f"{uri}{rel}/" for rel in listed}


def _finish(result: StageResult, settings: Settings, t0: float, status: str, error: str = "") -> StageResult:
    result.status, result.error, result.finished_at = status, error, _now()
    result.duration_s = round(time.monotonic() - t0, 3)
    record = json.dumps(result.audit_record(), sort_keys=True).encode()
    storage = Storage(settings)
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


def _commit(ledger: Ledger, catalog: Catalog, specs: dict[str, TableSpec], entry: LedgerEntry) -> None:
    failpoint(f"{entry.stage}:after_write")
    ledger.write(entry)  # the intent: from here on, the next run completes this publish if we die
    failpoint(f"{entry.stage}:after_intent")
    publish(catalog, specs, entry)
    failpoint(f"{entry.stage}:after_publish")
    entry.status = "committed"
    ledger.write(entry)


def raw_inputs(contract: Contract, settings: Settings) -> list[tuple[str, str]]:
    """(s3 uri, etag) of every raw object of the dataset (landing-style names only)."""
    spec = raw_table(contract, settings)
    out = []
    for o in Storage(settings).list(spec.location):
        name = o.key.rsplit("/", 1)[-1]
        if fnmatch.fnmatch(name, contract.source.file_pattern) and not name.startswith(("_", ".")):
            out.append((o.uri, o.etag))
    return sorted(out)


def _read_parquet_at(spark: SparkSession, columns, partition_keys, locations: list[str], io) -> DataFrame:
    """Parquet files at these locations read with an explicit schema; partition columns from the paths."""
    paths = io.readable(locations)
    with listing_for(spark, paths):
        df = spark.read.schema(", ".join(f"`{n}` {t}" for n, t in columns)).parquet(*paths)
    path = F.expr("url_decode(input_file_name())")
    for name, kind in partition_keys:  # string functions, not a regular expression on every row
        value = F.substring_index(F.substring_index(path, f"/{name}=", -1), "/", 1)
        df = df.withColumn(name, value.cast(kind))
    return df


def read_silver(spark: SparkSession, contract: Contract, locations: list[str], io) -> DataFrame:
    """Silver rows at these partition locations, with the partition columns taken from the paths."""
    if not locations:
        return spark.createDataFrame([], r2s.silver_ddl(contract, with_partitions=True))
    partitions = [(p.name, p.type) for p in contract.silver_partitions]
    columns = [(c.name, c.type) for c in contract.columns] + list(LINEAGE_COLUMNS)
    return _read_parquet_at(spark, columns, partitions, locations, io)


def read_published(
    spark: SparkSession, settings: Settings, database: str, table: str, io
) -> DataFrame | None:
    """A published Parquet table as readers see it: the catalog's columns at the catalog's locations.

    None when the table does not exist or holds no data yet.
    """
    catalog = Catalog(settings)
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
    return _read_parquet_at(spark, columns, keys, locations, io)


def _read_records(spark: SparkSession, contract: Contract, uris: list[str], io) -> DataFrame:
    """Raw objects -> one row per record (string columns, `_parse_error`, lineage), by source format."""
    paths = io.readable(uris)
    if contract.source.format == "csv":
        files = spark.read.format("binaryFile").load(paths)
        return csv_records.parse_csv_files(spark, files, contract, io.source_uri(F.expr("url_decode(path)")))
    # a file Spark cannot read (a cut-off gzip) is skipped here and found by _unreadable_records
    with listing_for(spark, paths):
        text = spark.read.option("ignoreCorruptFiles", "true").text(paths, wholetext=True)
    source = io.source_uri(F.expr("url_decode(input_file_name())"))
    return r2s.parse_json_records(r2s.read_lines(text, source), contract)


def _unreadable(storage: Storage, uri: str) -> bool:
    """Whether an input that yielded no line could not be read at all (rather than being empty or blank)."""
    head = storage.head(uri)
    if not head or head["ContentLength"] == 0 or not uri.endswith(".gz"):
        return False
    try:
        gzip.decompress(storage.read_bytes(uri))
        return False
    except (OSError, EOFError, zlib.error):
        return True


def _unreadable_records(
    spark: SparkSession, settings: Settings, seen: set[str], uris: list[str], contract: Contract
) -> DataFrame | None:
    """One quarantine record per input that could not be read, so it is neither lost nor silently skipped.

    Only inputs that yielded no line at all are checked (on the driver): usually none, or a few
    empty files.
    """
    storage = Storage(settings)
    lost = [u for u in uris if u not in seen and _unreadable(storage, u)]
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


def rule_results(contract: Contract, result: StageResult) -> list[dict]:
    """Quality results of a raw->silver run: every contract rule, completeness and type of every column."""
    total = result.rows_read
    quality = result.quality

    def row(rule: str, check: str, column: str, failed: int, critical: bool = False, threshold: float = 0.0):
        ratio = failed / total if total else 0.0
        passed = failed == 0 if not critical else ratio <= threshold
        return {
            "rule": rule,
            "check": check,
            "column": column,
            "critical": critical,
            "threshold": threshold,
            "failed_rows": failed,
            "total_rows": total,
            "failed_ratio": round(ratio, 6),
            "passed": passed,
        }

    out = [
        row(
            "readable_record",
            "parse",
            "",
            sum(
                n
                for k, n in quality.items()
                if k in (r2s.MALFORMED, r2s.UNREADABLE)
                or k.startswith("not valid")
                or k.startswith("expected ")
                or k.startswith("wrong JSON type")
            ),
        )
    ]
    for c in contract.columns:
        if c.required:
            out.append(
                row(
                    f"required_{c.name}",
                    "completeness",
                    c.name,
                    quality.get(f"missing required field {c.name}", 0),
                )
            )
        if c.type != "string" and not c.type.startswith(("map<", "array<", "struct<")):
            prefix = f"unparseable {c.type} in {c.name}:"
            out.append(
                row(
                    f"type_{c.name}",
                    "type",
                    c.name,
                    sum(n for k, n in quality.items() if k.startswith(prefix)),
                )
            )
    for rule in contract.quality:
        failed = (
            quality.get(r2s.rule_message(rule), 0)
            if rule.action == "quarantine"
            else result.warnings.get(rule.name, 0)
        )
        out.append(row(rule.name, rule.check, rule.column, failed, rule.critical, rule.threshold))
    return out


def _checked(records: DataFrame) -> DataFrame:
    """Validated records, cached for the passes of the run; the raw line is kept only where it goes to
    quarantine, so the cache holds typed columns rather than a second copy of the input text."""
    return records.withColumn("_record", F.when(F.size("_reasons") > 0, F.col("_record"))).cache()


def _profile(checked: DataFrame) -> dict:
    """Rows read and rejected, reasons, warnings, undeclared fields and source files seen: one pass.

    One aggregation by (file, reasons, warnings, undeclared field names) leaves a few rows per file;
    the tallies are summed from those on the driver.
    """
    rejected = F.size("_reasons") > 0
    new_fields = F.when(~rejected, F.map_keys(EXTRA_FIELDS))
    groups = (
        checked.groupBy(F.col("_source_file"), F.col("_reasons"), F.col("_warnings"), new_fields.alias("nf"))
        .count()
        .collect()
    )
    out = {"read": 0, "rejected": 0, "files": set(), "reasons": {}, "warnings": {}, "new_fields": {}}

    def add(tally: dict, keys, n: int) -> None:
        for k in keys or ():
            tally[k] = tally.get(k, 0) + n

    for file, reasons, warnings, fields, n in groups:
        out["read"] += n
        out["rejected"] += n if reasons else 0
        out["files"].add(file)
        add(out["reasons"], reasons, n)
        add(out["warnings"], warnings, n)
        add(out["new_fields"], fields, n)
    return out


def _count_if(condition: Column, name: str) -> Column:
    return F.count(F.when(condition, 1)).alias(name)


def _dedupe_counts() -> list[Column]:
    existing, duplicate = F.col("_existing"), F.col("_duplicate")
    return [
        _count_if(~existing & duplicate, "new_duplicate"),
        _count_if(existing & duplicate, "earlier_duplicate"),
        _count_if(existing & ~duplicate, "earlier_kept"),
    ]


def _uniqueness(contract: Contract, result: StageResult) -> dict:
    """The uniqueness row of quality_results: the run's duplicates of the dedupe key."""
    return {
        "rule": "unique_" + "_".join(contract.dedupe_key),
        "check": "uniqueness",
        "column": ",".join(contract.dedupe_key),
        "critical": False,
        "threshold": 0.0,
        "failed_rows": result.duplicates_removed,
        "total_rows": result.rows_read,
        "failed_ratio": round(result.duplicates_removed / result.rows_read, 6) if result.rows_read else 0.0,
        "passed": True,
    }


# ---------------------------------------------------------------------------------------------------


@dataclass
class _Run:
    """What one stage run works with."""

    spark: SparkSession
    contract: Contract
    settings: Settings
    run_id: str
    io: object
    full: bool
    result: StageResult
    catalog: Catalog
    ledger: Ledger
    specs: dict[str, TableSpec]


def _run_stage(
    stage: str,
    body,
    spark: SparkSession,
    contract: Contract,
    settings: Settings,
    run_id: str,
    io,
    full: bool,
    specs: dict[str, TableSpec],
) -> StageResult:
    """Lock, roll forward a dead run's publish, run the stage body, and audit the run whatever happens."""
    t0 = time.monotonic()
    result = StageResult(stage, contract.name, run_id, _now(), "full" if full else "incremental")
    run = _Run(
        spark,
        contract,
        settings,
        run_id,
        io or DirectIO(),
        full,
        result,
        Catalog(settings),
        Ledger(settings, contract.name, stage),
        specs,
    )
    with RunLock(settings, contract.name, stage, run_id):
        try:
            RunRequest(settings, contract.name, stage).clear()  # this run takes every input landed so far
            result.recovered = recover(run.ledger, run.catalog, specs)
            body(**vars(run))
            result.removed = retention.collect(settings, list(specs.values()), [run.ledger])
        except Exception as exc:
            _finish(result, settings, t0, "failed", f"{type(exc).__name__}: {exc}"[:2000])
            raise
    return _finish(result, settings, t0, "succeeded")


def raw_to_silver(
    spark: SparkSession, contract: Contract, settings: Settings, run_id: str, io=None, full: bool = False
) -> StageResult:
    """Parse, type, validate and deduplicate new raw records into silver; quarantine the rest."""
    silver, quarantine = silver_table(contract, settings), quarantine_table(contract, settings)
    specs = {silver.qualified: silver, quarantine.qualified: quarantine}
    return _run_stage(RAW_TO_SILVER, _raw_to_silver, spark, contract, settings, run_id, io, full, specs)


def _raw_to_silver(*, spark, contract, settings, run_id, io, full, result, catalog, ledger, specs) -> None:
    silver, quarantine = silver_table(contract, settings), quarantine_table(contract, settings)
    done = set() if full else ledger.processed_inputs()
    inputs = [i for i in raw_inputs(contract, settings) if i not in done]
    result.inputs, result.input_files = len(inputs), [u for u, _ in inputs]
    if not inputs:
        return
    uris = [u for u, _ in inputs]
    checked = _checked(r2s.validate(_read_records(spark, contract, uris, io), contract))
    profile = _profile(checked)  # one pass over the input: every count and tally the run reports
    if contract.source.format == "json":  # the CSV reader reports unreadable files itself
        lost = _unreadable_records(spark, settings, profile["files"], uris, contract)
        if lost is not None:
            checked = checked.unionByName(lost).cache()
            profile = _profile(checked)
    result.rows_read, result.rows_quarantined = profile["read"], profile["rejected"]
    result.quality, result.warnings = profile["reasons"], profile["warnings"]
    result.new_fields = profile["new_fields"]
    result.rule_results = rule_results(contract, result)
    failing = [r for r in result.rule_results if r["critical"] and not r["passed"]]
    if failing:
        worst = failing[0]
        raise QualityError(
            f"critical quality rule {worst['rule']} failed for {worst['failed_rows']} of {worst['total_rows']} "
            f"rows ({worst['failed_ratio']:.1%} > threshold {worst['threshold']:.1%}): nothing was published"
        )

    new_rows = r2s.to_silver(checked.where(F.size("_reasons") == 0), contract, run_id).withColumn(
        "_existing", F.lit(False)
    )
    partition_cols = [p.name for p in contract.silver_partitions]
    published = dict(catalog.get_partitions(silver.database, silver.name)) if not full else {}
    union = new_rows
    if published:
        # earlier rows that share a partition or a key with the new rows are rebuilt together with them
        earlier = read_silver(spark, contract, list(published.values()), io)
        keys = list(contract.dedupe_key)
        touched = (
            new_rows.select(*partition_cols)
            .union(earlier.join(new_rows.select(*keys).distinct(), keys, "left_semi").select(*partition_cols))
            .distinct()
        )
        affected = earlier.join(touched, partition_cols, "left_semi").withColumn("_existing", F.lit(True))
        union = new_rows.unionByName(affected)
    # duplicates are counted while the write runs (an observation), not by another pass over the rows
    tally = Observation()
    marked = r2s.mark_duplicates(union, contract, F.col("_existing")).observe(tally, *_dedupe_counts())
    keep = marked.where(~F.col("_duplicate")).drop("_duplicate", "_existing")

    entry = LedgerEntry(
        run_id,
        RAW_TO_SILVER,
        contract.name,
        "publishing",
        full,
        [list(i) for i in inputs],
        replace_all=[silver.qualified, quarantine.qualified] if full else [],
    )
    written, entry.partitions[silver.qualified] = _write(keep, silver, run_prefix(silver, run_id), io)
    by = tally.get
    result.duplicates_removed, result.rows_replaced = by["new_duplicate"], by["earlier_duplicate"]
    result.rule_results.append(_uniqueness(contract, result))
    if entry.partitions[silver.qualified]:
        result.tables[silver.qualified] = written.count()
        result.rows_written = written.where(F.col("_run_id") == run_id).count()
    entry.partitions[quarantine.qualified] = {}
    if result.rows_quarantined:
        q_uri = f"{quarantine.location}run_id={run_id}/"
        written, _ = _write(
            r2s.to_quarantine(checked.where(F.size("_reasons") > 0)), quarantine, q_uri, io, partitioned=False
        )
        result.tables[quarantine.qualified] = written.count()
        entry.partitions[quarantine.qualified] = {_key([run_id]): q_uri}
    carried = by["earlier_kept"]  # earlier rows rewritten unchanged into the rebuilt partitions
    if (
        not result.reconciled
        or result.tables.get(quarantine.qualified, 0) != result.rows_quarantined
        or result.tables.get(silver.qualified, 0) != result.rows_written + carried
    ):
        raise ReconciliationError(f"{contract.name} {RAW_TO_SILVER} does not reconcile: {result.as_dict()}")
    _commit(ledger, catalog, specs, entry)
    result.partitions = {t: len(p) for t, p in entry.partitions.items()}
    checked.unpersist()


def silver_to_gold(
    spark: SparkSession, contract: Contract, settings: Settings, run_id: str, io=None, full: bool = False
) -> StageResult:
    """Rebuild the dimensions, and the fact partitions whose silver changed, from silver."""
    specs = {s.qualified: s for s in gold_tables(contract, settings)}
    return _run_stage(SILVER_TO_GOLD, _silver_to_gold, spark, contract, settings, run_id, io, full, specs)


def _aligned(contract: Contract) -> bool:
    """Fact partitions are silver partitions (same names, same expressions): rebuild them one for one."""
    silver = [(p.name, p.expr) for p in contract.silver_partitions]
    return bool(silver) and all([(p.name, p.expr) for p in f.partitions] == silver for f in contract.facts)


def _silver_to_gold(*, spark, contract, settings, run_id, io, full, result, catalog, ledger, specs) -> None:
    silver = silver_table(contract, settings)
    current = {_key(v): loc for v, loc in catalog.get_partitions(silver.database, silver.name)}
    consumed = {} if full else ledger.last_consumed()
    changed = {k: loc for k, loc in current.items() if consumed.get(k) != loc}
    if not full and not changed and set(consumed) == set(current):
        return  # silver has not changed since the last committed run: nothing to rebuild
    everything = full or not _aligned(contract) or set(consumed) - set(current)
    if everything:
        result.mode = "full"
    scope = current if everything else changed
    result.inputs, result.input_files = len(scope), sorted(scope.values())
    # not cached: each dimension reads only its columns from Parquet, the fact reads them all once
    all_silver = read_silver(spark, contract, list(current.values()), io)
    scoped = all_silver if everything else read_silver(spark, contract, list(scope.values()), io)
    result.rows_read = scoped.count()

    entry = LedgerEntry(
        run_id, SILVER_TO_GOLD, contract.name, "publishing", bool(everything), consumed=current
    )
    by_name = {s.name: s for s in specs.values()}
    for dim in contract.dimensions:
        spec = by_name[dim.name]
        uri = run_prefix(spec, run_id)
        fiscal = (
            read_published(spark, settings, settings.database("silver"), "fiscal_calendar", io)
            if dim.kind == "calendar"
            else None
        )
        written, _ = _write(star.build_dimension(all_silver, dim, fiscal), spec, uri, io)
        result.tables[spec.qualified] = written.count()
        entry.table_locations[spec.qualified] = uri
    fact_rows = []
    for fact in contract.facts:
        spec = by_name[fact.name]
        rows = star.build_fact(scoped, fact, contract)
        if result.rows_read:
            written, parts = _write(rows, spec, run_prefix(spec, run_id), io)
            result.tables[spec.qualified] = written.count()
        else:
            parts, result.tables[spec.qualified] = {}, 0
        fact_rows.append(result.tables[spec.qualified])
        entry.partitions[spec.qualified] = parts
        if everything:
            entry.replace_all.append(spec.qualified)
    # every silver row in scope becomes exactly one row of each fact
    result.rows_written = min(fact_rows) if fact_rows else result.rows_read
    if any(n != result.rows_read for n in fact_rows):
        raise ReconciliationError(f"{contract.name}: fact rows {fact_rows} != silver rows {result.rows_read}")
    _commit(ledger, catalog, specs, entry)
    result.partitions = {t: len(p) for t, p in entry.partitions.items()}


BUILD_MODEL = "build_model"


def build_model(
    spark: SparkSession, model, settings: Settings, run_id: str, io=None, full: bool = False
) -> StageResult:
    """Rebuild a multi-source gold model (the sales star schema) from its sources' published silver."""
    specs = {s.qualified: s for s in model_tables(model, settings)}
    return _run_stage(BUILD_MODEL, _build_model, spark, model, settings, run_id, io, full, specs)


def _build_model(*, spark, contract, settings, run_id, io, full, result, catalog, ledger, specs) -> None:
    model = contract  # a model stands where a dataset's contract would
    silver_db = settings.database("silver")
    current = {
        f"{name}:{_key(v)}": loc
        for name in model.sources
        for v, loc in catalog.get_partitions(silver_db, name)
    }
    if not full and current == ledger.last_consumed():
        return  # none of the sources changed since the last committed build
    result.mode, result.inputs, result.input_files = "full", len(current), sorted(current.values())
    src = {name: read_published(spark, settings, silver_db, name, io) for name in model.sources}
    lines = sales.order_lines(src.get("transactions"), src.get("sales_orders"))
    if lines is None:
        return  # no order lines landed yet: nothing to build
    lines = lines.cache()
    result.rows_read = lines.count()
    versions = sales.customer_versions(src.get("customers"), src.get("sales_orders"))
    by_name = {s.name: s for s in specs.values()}
    dims = {
        "dim_customer": sales.scd2(versions).cache(),
        "dim_product": sales.dim_product(lines),
        "dim_date": calendar.build_calendar(spark, src.get("fiscal_calendar")),
    }
    entry = LedgerEntry(run_id, BUILD_MODEL, model.name, "publishing", True, consumed=current)
    for name, df in dims.items():
        spec = by_name[name]
        written, _ = _write(df.select(*spec.column_names), spec, run_prefix(spec, run_id), io)
        result.tables[spec.qualified] = written.count()
        entry.table_locations[spec.qualified] = run_prefix(spec, run_id)
    fact, rejected = sales.fact_transactions(lines, dims["dim_customer"], model.parameters)
    spec = by_name["fact_transactions"]
    written, parts = _write(
        fact.select(*spec.column_names, "order_month"), spec, run_prefix(spec, run_id), io
    )
    result.rows_written = result.tables[spec.qualified] = written.count()
    entry.partitions[spec.qualified], entry.replace_all = parts, [spec.qualified]
    quarantine = by_name[f"{model.name}_quarantine"]
    entry.partitions[quarantine.qualified] = {}
    entry.replace_all.append(quarantine.qualified)
    tally = {r["reason"].split(":")[0]: r["count"] for r in rejected.groupBy("reason").count().collect()}
    if tally:
        q_uri = f"{quarantine.location}run_id={run_id}/"
        written, _ = _write(rejected, quarantine, q_uri, io, partitioned=False)
        result.rows_quarantined = result.tables[quarantine.qualified] = written.count()
        entry.partitions[quarantine.qualified] = {_key([run_id]): q_uri}
    for rule in ("fk_customer", "fk_date"):
        failed = sum(n for r, n in tally.items() if r == rule)
        result.quality[rule] = failed
        result.rule_results.append(
            {
                "rule": rule,
                "check": "referential_integrity",
                "column": rule[3:] + "_key",
                "critical": False,
                "threshold": 0.0,
                "failed_rows": failed,
                "total_rows": result.rows_read,
                "passed": failed == 0,
                "failed_ratio": round(failed / result.rows_read, 6) if result.rows_read else 0.0,
            }
        )
    if not result.reconciled:
        raise ReconciliationError(f"{model.name} {BUILD_MODEL} does not reconcile: {result.as_dict()}")
    _commit(ledger, catalog, specs, entry)
    result.partitions = {t: len(p) for t, p in entry.partitions.items()}
    lines.unpersist()


STAGES = {RAW_TO_SILVER: raw_to_silver, SILVER_TO_GOLD: silver_to_gold}
