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

from pyspark.sql import Column, Observation
from pyspark.sql import functions as F

from lakehouse import quality as q
from lakehouse.contracts import Contract
from lakehouse.jobs.accounting import (
    ReconciliationError,
    check_limits,
    checked_cache,
    profile,
    raw_rule_results,
)
from lakehouse.jobs.readers import raw_inputs, read_records, read_silver, unreadable_records
from lakehouse.jobs.result import rule_row
from lakehouse.jobs.runner import StageContext, commit, run_prefix, write, write_quarantine
from lakehouse.settings import Settings
from lakehouse.tables import EXTRA_FIELDS, TableSpec, quarantine_table, silver_table
from lakehouse.transforms import raw_to_silver as r2s

log = logging.getLogger("lakehouse.jobs")


def specs(contract: Contract, settings: Settings) -> tuple[TableSpec, ...]:
    return silver_table(contract, settings), quarantine_table(contract, settings)


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\- ]{0,63}")
MAX_NEW_FIELDS = 50
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
    ]


def run(ctx: StageContext) -> None:
    contract, settings, result, spark = ctx.contract, ctx.settings, ctx.result, ctx.spark
    silver, quarantine = specs(contract, settings)
    done = set() if ctx.full else ctx.ledger.processed_inputs()
    found, result.ignored_inputs = raw_inputs(contract, settings)
    if result.ignored_inputs:
        log.warning(
            "IGNORED %d objects under the raw prefix do not match %r: %s",
            len(result.ignored_inputs),
            contract.source.file_pattern,
            ", ".join(result.ignored_inputs[:5]),
        )
    inputs = [i for i in found if i not in done]
    result.inputs, result.input_files = len(inputs), [u for u, _ in inputs]
    if not inputs:
        return
    uris = [u for u, _ in inputs]
    checked = checked_cache(r2s.validate(read_records(spark, contract, uris, ctx.io), contract))
    found_out = profile(checked, EXTRA_FIELDS)  # one pass over the input: every count and tally of the run
    if contract.source.format == "json":  # the CSV reader reports unreadable files itself
        lost = unreadable_records(spark, settings, found_out.files, uris, contract)
        if lost is not None:
            checked = checked.unionByName(lost).cache()
            found_out = profile(checked, EXTRA_FIELDS)
    result.rows_read, result.rows_quarantined = found_out.read, found_out.rejected
    result.quality, result.warnings = found_out.reasons, found_out.warnings
    result.examples = found_out.examples
    result.messages = {c: q.message(q.Code.parse(c), contract) for c in result.examples}
    good = checked.where(F.size("_reasons") == 0)
    result.new_fields = field_names(found_out.new_fields.items())
    result.rule_results = raw_rule_results(contract, result)
    check_limits(contract, result)

    new_rows = r2s.to_silver(good, contract, ctx.run_id).withColumn("_existing", F.lit(False))
    partition_cols = [p.name for p in contract.silver_partitions]
    published = dict(ctx.catalog.get_partitions(silver.database, silver.name)) if not ctx.full else {}
    union = new_rows
    if published:
        # earlier rows that share a partition or a key with the new rows are rebuilt together with them
        earlier = read_silver(spark, contract, list(published.values()), ctx.io)
        keys = list(contract.dedupe_key)
        touched = (
            new_rows.select(*partition_cols)
            .union(earlier.join(new_rows.select(*keys).distinct(), keys, "left_semi").select(*partition_cols))
            .distinct()
        )
        affected = earlier.join(touched, partition_cols, "left_semi").withColumn("_existing", F.lit(True))
        union = new_rows.unionByName(affected)
    # duplicates are counted while the write runs (an observation), not by another pass over the rows
    observed = Observation()
    marked = r2s.mark_duplicates(union, contract, F.col("_existing")).observe(observed, *_dedupe_counts())
    keep = marked.where(~F.col("_duplicate")).drop("_duplicate", "_existing")

    entry = ctx.entry(
        ctx.full,
        inputs=[list(i) for i in inputs],
        replace_all=[silver.qualified, quarantine.qualified] if ctx.full else [],
    )
    written, entry.partitions[silver.qualified] = write(keep, silver, run_prefix(silver, ctx.run_id), ctx.io)
    by = observed.get
    result.duplicates_removed, result.rows_replaced = by["new_duplicate"], by["earlier_duplicate"]
    unique = q.Code("unique_" + "_".join(contract.dedupe_key), ",".join(contract.dedupe_key), "uniqueness")
    result.rule_results.append(
        rule_row(unique, result.duplicates_removed, result.rows_read) | {"passed": True}
    )
    if entry.partitions[silver.qualified]:
        result.tables[silver.qualified] = written.count()
        result.rows_written = written.where(F.col("_run_id") == ctx.run_id).count()
    entry.partitions[quarantine.qualified] = {}
    if result.rows_quarantined:
        write_quarantine(
            ctx,
            quarantine,
            r2s.to_quarantine(checked.where(F.size("_reasons") > 0), q.described(contract)),
            entry,
        )
    carried = by["earlier_kept"]  # earlier rows rewritten unchanged into the rebuilt partitions
    if (
        not result.reconciled
        or result.tables.get(quarantine.qualified, 0) != result.rows_quarantined
        or result.tables.get(silver.qualified, 0) != result.rows_written + carried
    ):
        raise ReconciliationError(f"{contract.name} {ctx.stage} does not reconcile: {result.as_dict()}")
    commit(ctx, entry)
    checked.unpersist()
