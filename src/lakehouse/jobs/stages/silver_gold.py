"""silver -> gold for one dataset: rebuild its dimensions, and the fact partitions whose silver changed.

Generic over the contract's `star` mapping. A `kind: calendar` dimension is the conformed calendar:
the model that declares a calendar table builds it (lakehouse.contract.registry), not this stage.
"""

from __future__ import annotations

from lakehouse.contract.dataset import Contract
from lakehouse.contract.registry import built_dimensions
from lakehouse.contract.tables import TableSpec, gold_tables, silver_table
from lakehouse.errors import ReconciliationError
from lakehouse.jobs.io import DRIVER_LISTS_UP_TO, rows_at
from lakehouse.jobs.readers import read_silver
from lakehouse.jobs.runner import StageContext, commit, partition_key, run_prefix, write
from lakehouse.settings import Settings
from lakehouse.transforms import star


def specs(contract: Contract, settings: Settings) -> tuple[TableSpec, ...]:
    """The tables this stage writes: its own dimensions (not the conformed calendar) and its facts."""
    built = {d.name for d in built_dimensions(contract)} | {f.name for f in contract.facts}
    return tuple(s for s in gold_tables(contract, settings) if s.name in built)


def _aligned(contract: Contract) -> bool:
    """Fact partitions are silver partitions (same names, same expressions): rebuild them one for one."""
    silver = [(p.name, p.expr) for p in contract.silver_partitions]
    return bool(silver) and all([(p.name, p.expr) for p in f.partitions] == silver for f in contract.facts)


def run(ctx: StageContext) -> None:
    contract, settings, result = ctx.contract, ctx.settings, ctx.result
    silver = silver_table(contract, settings)
    current = {partition_key(v): loc for v, loc in ctx.catalog.get_partitions(silver.database, silver.name)}
    consumed = {} if ctx.full else ctx.ledger.last_consumed()
    changed = {k: loc for k, loc in current.items() if consumed.get(k) != loc}
    if not ctx.full and not changed and set(consumed) == set(current):
        return  # silver has not changed since the last committed run: nothing to rebuild
    everything = ctx.full or not _aligned(contract) or bool(set(consumed) - set(current))
    if everything:
        result.mode = "full"
    scope = current if everything else changed
    result.inputs, result.input_files = len(scope), sorted(scope.values())
    # not cached: each dimension reads only its columns from Parquet, the fact reads them all once
    all_silver = read_silver(ctx.spark, contract, list(current.values()), ctx.io)
    scoped = all_silver if everything else read_silver(ctx.spark, contract, list(scope.values()), ctx.io)
    # a few partitions (an incremental run's): counted from their footers on the driver, not by a Spark
    # job; many (a full rebuild, or after a compaction) are listed and counted by the executors
    few = not everything and len(scope) <= DRIVER_LISTS_UP_TO
    result.rows_read = rows_at(ctx.spark, ctx.io, list(scope.values())) if few else scoped.count()

    entry = ctx.entry(everything, consumed=current)
    for dim in built_dimensions(contract):
        spec = ctx.spec(dim.name)
        uri = run_prefix(spec, ctx.run_id)
        result.tables[spec.qualified], _ = write(star.build_dimension(all_silver, dim), spec, uri, ctx.io)
        entry.table_locations[spec.qualified] = uri
    fact_rows = []
    for fact in contract.facts:
        spec = ctx.spec(fact.name)
        rows = star.build_fact(scoped, fact, contract)
        if result.rows_read:
            result.tables[spec.qualified], parts = write(rows, spec, run_prefix(spec, ctx.run_id), ctx.io)
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
    commit(ctx, entry)
