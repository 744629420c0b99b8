"""raw -> silver: parse, type, validate and deduplicate new raw records into silver; quarantine the rest.

Incremental runs rebuild whole silver partitions: those the new rows fall in plus those holding
earlier copies of their keys, deduplicated with the same total order a full run uses, so the
incremental history and `--full` keep the same rows. Objects under the raw prefix that the contract's
`file_pattern` does not match are reported in `ignored_inputs`, never skipped silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F

from lakehouse.contract import quality as q
from lakehouse.contract.dataset import Contract
from lakehouse.contract.tables import EXTRA_FIELDS, TableSpec, quarantine_table, silver_table
from lakehouse.errors import ReconciliationError
from lakehouse.jobs.accounting import Profile, check_limits, checked_cache, profile, raw_rule_results
from lakehouse.jobs.io import rows_at
from lakehouse.jobs.ledger import LedgerEntry
from lakehouse.jobs.readers import raw_inputs, read_records, read_silver, unreadable_records
from lakehouse.jobs.result import rule_row
from lakehouse.jobs.runner import (
    StageContext,
    commit,
    partition_key,
    run_prefix,
    write,
    write_quarantine,
    written_partitions,
)
from lakehouse.settings import Settings
from lakehouse.transforms import silver as r2s

log = logging.getLogger("lakehouse.jobs")


def specs(contract: Contract, settings: Settings) -> tuple[TableSpec, ...]:
    return silver_table(contract, settings), quarantine_table(contract, settings)


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\- ]{0,63}")
MAX_NEW_FIELDS = 50
BROADCAST_KEYS = 500_000  # up to this many keys are sent to every task rather than shuffling the other side
# up to this many rows, the dedupe window simply sorts them all: cheaper than the Spark jobs that find and
# broadcast the repeated keys first (an incremental run's new rows and the partitions it rebuilds)
SORT_ALL_ROWS = 200_000
OTHER_FIELDS = "<other field names>"  # names that look like data (an e-mail as a JSON key), or too many


def field_names(counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Undeclared source fields for the audit and the log: names that look like names, at most
    MAX_NEW_FIELDS; the rest counted together, so a record's keys that are data never leak."""
    out: dict[str, int] = {}
    for name, n in sorted(counts, key=lambda kv: (-kv[1], kv[0])):
        key = (
            name
            if _FIELD_NAME.fullmatch(name) and "@" not in name and len(out) < MAX_NEW_FIELDS
            else OTHER_FIELDS
        )
        out[key] = out.get(key, 0) + n
    return out


def _count_if(condition: Column, name: str) -> Column:
    return F.count(F.when(condition, 1)).alias(name)


def _dedupe_counts() -> list[Column]:
    existing, duplicate = F.col("_existing"), F.col("_duplicate")
    return [
        _count_if(~existing & duplicate, "new_duplicate"),
        _count_if(existing & duplicate, "earlier_duplicate"),
        _count_if(existing & ~duplicate, "earlier_kept"),
        _count_if(~existing & ~duplicate, "new_kept"),
    ]


def _touched(ctx: StageContext, new_rows: DataFrame, published: dict[tuple, str]) -> dict[str, str]:
    """{partition key: location} of the published silver partitions an incremental run rebuilds: those
    its new rows fall in, and those holding earlier copies of its keys (null is a key too, as in the
    dedupe). Found from the key column of silver and the names of the files that hold a match (a few),
    so only the touched partitions are then read whole."""
    contract, names = ctx.contract, [p.name for p in ctx.contract.silver_partitions]
    keys = list(contract.dedupe_key)
    as_text = [F.col(f"`{n}`").cast("string") for n in names]  # as Spark names partition folders
    touched = {partition_key(tuple(r)) for r in new_rows.select(*as_text).distinct().collect()}
    new_keys = new_rows.select(*r2s.key_columns(new_rows, contract, "_new_key_")).distinct()
    if ctx.result.rows_read <= BROADCAST_KEYS:  # a few new keys: silver's keys are not shuffled to meet them
        new_keys = F.broadcast(new_keys)
    earlier = read_silver(ctx.spark, contract, list(published.values()), ctx.io)
    files = (
        earlier.select(*keys, F.expr("input_file_name()").alias("_file"))
        .join(new_keys, r2s.same_key(contract, "_new_key_"), "left_semi")
        .select("_file")
        .distinct()
        .collect()
    )
    touched |= set(written_partitions([r["_file"] for r in files], names, ""))
    found = {partition_key(values): loc for values, loc in published.items()}
    return {k: loc for k, loc in found.items() if k in touched}


def run(ctx: StageContext) -> None:
    """Read and check the new raw objects, rebuild the silver partitions they touch, reconcile, commit."""
    silver, quarantine = specs(ctx.contract, ctx.settings)
    inputs, sizes = _new_inputs(ctx)
    if not inputs:
        return
    cached, checked, found_out = _read_checked(ctx, [u for u, _ in inputs], sizes)
    _record_profile(ctx, found_out)
    good = checked.where(F.size("_reasons") == 0)
    new_rows = r2s.to_silver(good, ctx.contract, ctx.run_id).withColumn("_existing", F.lit(False))
    published = dict(ctx.catalog.get_partitions(silver.database, silver.name)) if not ctx.full else {}
    union, rebuilt, earlier_rows = _with_earlier_rows(ctx, new_rows, published)
    union, repeated = _repeated_keys(ctx, union, rebuilt, earlier_rows)
    keep, observed = _deduplicated(ctx, union, repeated)
    entry, silver_rows = _write_silver(ctx, keep, inputs, silver, quarantine)
    if repeated is not None:
        repeated.unpersist()
    union.unpersist()
    by = observed.get
    _record_dedupe(ctx, by, entry, silver, silver_rows)
    _write_quarantine(ctx, checked, entry, quarantine)
    _reconcile(ctx, entry, by["earlier_kept"], published, rebuilt, earlier_rows, (silver, quarantine))
    commit(ctx, entry)
    cached.unpersist()


def _new_inputs(ctx: StageContext) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """The raw objects to read, (uri, etag), and all sizes: every one with --full, else the unprocessed."""
    contract, result = ctx.contract, ctx.result
    done = set() if ctx.full else ctx.ledger.processed_inputs()
    found, result.ignored_inputs, sizes = raw_inputs(contract, ctx.settings, storage=ctx.storage)
    if result.ignored_inputs:
        log.warning(
            "IGNORED %d objects under the raw prefix do not match %r: %s",
            len(result.ignored_inputs),
            contract.source.file_pattern,
            ", ".join(result.ignored_inputs[:5]),
        )
    inputs = [i for i in found if i not in done]
    result.inputs, result.input_files = len(inputs), [u for u, _ in inputs]
    return inputs, sizes


def _read_checked(
    ctx: StageContext, uris: list[str], sizes: dict[str, int]
) -> tuple[DataFrame, DataFrame, Profile]:
    """The new records read and validated: the cached rows, the rows to use, and their one-pass profile."""
    contract, settings, spark = ctx.contract, ctx.settings, ctx.spark
    cached = checked_cache(
        r2s.validate(read_records(spark, contract, uris, ctx.io, sizes=sizes, settings=settings), contract)
    )
    # large files were read in blocks: their lines are numbered from the blocks' line counts (this
    # pass fills the cache)
    checked = r2s.number_lines(cached) if r2s.BLOCK in cached.columns else cached
    found_out = profile(checked, EXTRA_FIELDS)  # one pass: every count and tally of the run
    if contract.source.format == "json":  # the CSV reader reports unreadable files itself
        lost = unreadable_records(
            spark,
            settings,
            found_out.files,
            {u: sizes[u] for u in uris},
            contract=contract,
            storage=ctx.storage,
        )
        if lost is not None:  # a few rows, made on the driver: profiled alone, not cached again with the rest
            checked = checked.unionByName(lost)
            found_out = found_out.merged(profile(lost, EXTRA_FIELDS))
    return cached, checked, found_out


def _record_profile(ctx: StageContext, found_out: Profile) -> None:
    """Put the profile's counts, reasons, examples and new fields in the result; check the run's limits."""
    contract, result = ctx.contract, ctx.result
    result.rows_read, result.rows_quarantined = found_out.read, found_out.rejected
    result.quality, result.warnings = found_out.reasons, found_out.warnings
    result.examples = found_out.examples
    result.messages = {c: q.message(q.Code.parse(c), contract) for c in result.examples}
    result.new_fields = field_names(found_out.new_fields.items())
    result.rule_results = raw_rule_results(contract, result)
    check_limits(contract, result)


def _with_earlier_rows(
    ctx: StageContext, new_rows: DataFrame, published: dict[tuple, str]
) -> tuple[DataFrame, dict[str, str], int]:
    """The new rows plus the earlier rows of the partitions they touch, those partitions, their rows."""
    union, rebuilt, earlier_rows = new_rows, {}, 0
    if published:
        # earlier rows that share a partition or a key with the new rows are rebuilt together with them
        rebuilt = _touched(ctx, new_rows, published)
        if rebuilt:
            locations = list(rebuilt.values())
            earlier_rows = rows_at(ctx.spark, ctx.io, locations)
            earlier = read_silver(ctx.spark, ctx.contract, locations, ctx.io).withColumn(
                "_existing", F.lit(True)
            )
            union = new_rows.unionByName(earlier)
    return union, rebuilt, earlier_rows


def _repeated_keys(
    ctx: StageContext, union: DataFrame, rebuilt: dict[str, str], earlier_rows: int
) -> tuple[DataFrame, DataFrame | None]:
    """The rows to dedupe (cached if read twice) and, for many rows, their repeated keys (None: sort all)."""
    result = ctx.result
    rows = result.rows_read - result.rows_quarantined + earlier_rows
    repeated = None
    if rows > SORT_ALL_ROWS:
        # many rows: only the rows of keys seen more than once are sorted (see r2s.mark_duplicates); a
        # key repeats in at least two rows, so when half the rows fit the broadcast the keys surely do
        if rebuilt:  # finding the repeated keys and the write both read the earlier rows: cached
            union = union.cache()
        repeated = r2s.repeated_keys(union, ctx.contract).cache()
        if rows // 2 > BROADCAST_KEYS and repeated.count() > BROADCAST_KEYS:
            repeated.unpersist()
            repeated = None  # too many to broadcast: the full window sorts them all
    return union, repeated


def _deduplicated(
    ctx: StageContext, union: DataFrame, repeated: DataFrame | None
) -> tuple[DataFrame, Observation]:
    """The rows kept, one per dedupe key, and the observation counting duplicates as the write runs."""
    # duplicates are counted while the write runs (an observation), not by another pass over the rows
    observed = Observation()
    marked = r2s.mark_duplicates(
        union, ctx.contract, F.col("_existing"), repeated=None if repeated is None else F.broadcast(repeated)
    ).observe(observed, *_dedupe_counts())
    return marked.where(~F.col("_duplicate")).drop("_duplicate", "_existing"), observed


def _write_silver(
    ctx: StageContext,
    keep: DataFrame,
    inputs: list[tuple[str, str]],
    silver: TableSpec,
    quarantine: TableSpec,
) -> tuple[LedgerEntry, int]:
    """The run's ledger entry, with the silver partitions written under the run's prefix, and their rows."""
    entry = ctx.entry(
        ctx.full,
        inputs=[list(i) for i in inputs],
        replace_all=[silver.qualified, quarantine.qualified] if ctx.full else [],
    )
    silver_rows, entry.partitions[silver.qualified] = write(
        keep, silver, run_prefix(silver, ctx.run_id), ctx.io
    )
    return entry, silver_rows


def _record_dedupe(
    ctx: StageContext, by: dict[str, Any], entry: LedgerEntry, silver: TableSpec, silver_rows: int
) -> None:
    """The observed duplicates, the uniqueness rule's row and the silver rows written into the result."""
    contract, result = ctx.contract, ctx.result
    result.duplicates_removed, result.rows_replaced = by["new_duplicate"], by["earlier_duplicate"]
    unique = q.Code("unique_" + "_".join(contract.dedupe_key), ",".join(contract.dedupe_key), "uniqueness")
    result.rule_results.append(
        rule_row(unique, result.duplicates_removed, result.rows_read) | {"passed": True}
    )
    if entry.partitions[silver.qualified]:
        result.tables[silver.qualified] = silver_rows
        result.rows_written = by["new_kept"]


def _write_quarantine(
    ctx: StageContext, checked: DataFrame, entry: LedgerEntry, quarantine: TableSpec
) -> None:
    """The rejected records, described, as the run's quarantine partition (none: no partition)."""
    entry.partitions[quarantine.qualified] = {}
    if ctx.result.rows_quarantined:
        write_quarantine(
            ctx,
            quarantine,
            r2s.to_quarantine(checked.where(F.size("_reasons") > 0), q.described(ctx.contract)),
            entry,
        )


def _reconcile(
    ctx: StageContext,
    entry: LedgerEntry,
    carried: int,  # earlier rows rewritten unchanged into the rebuilt partitions
    published: dict[tuple, str],
    rebuilt: dict[str, str],
    earlier_rows: int,
    tables: tuple[TableSpec, TableSpec],
) -> None:
    """Refuse to publish unless every row is accounted for and no published partition is replaced unread."""
    contract, result = ctx.contract, ctx.result
    silver, quarantine = tables
    # a published partition this run writes must be one it read whole, or its other rows would be lost
    unread = sorted(
        set(entry.partitions[silver.qualified]) & {partition_key(v) for v in published} - set(rebuilt)
    )
    if unread:
        raise ReconciliationError(
            f"{contract.name} {ctx.stage} would replace published partitions it did not read: {unread}"
        )
    if (
        not result.reconciled
        or earlier_rows != carried + result.rows_replaced
        or result.tables.get(quarantine.qualified, 0) != result.rows_quarantined
        or result.tables.get(silver.qualified, 0) != result.rows_written + carried
    ):
        raise ReconciliationError(f"{contract.name} {ctx.stage} does not reconcile: {result.as_dict()}")
