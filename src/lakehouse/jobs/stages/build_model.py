"""build_model: rebuild a model's gold tables from its sources' published silver, by its transform module.

Generic: the model file names the module holding its rules (lakehouse.transforms.model_build.ModelBuild is
what it returns). A model with sources is rebuilt when one of them changed since its last committed
build; a model is always built once, even before any source has landed (the calendar). A model's
run arguments (e.g. a snapshot model's snapshot dates) are part of what a build consumed, so a run for
another snapshot date builds even when no source changed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lakehouse.contract.model import Model
from lakehouse.contract.tables import TableSpec, model_tables
from lakehouse.errors import ReconciliationError
from lakehouse.jobs.accounting import tally
from lakehouse.jobs.readers import read_published
from lakehouse.jobs.result import rule_row
from lakehouse.jobs.runner import StageContext, commit, partition_key, write_quarantine, write_table
from lakehouse.settings import Settings
from lakehouse.transforms import silver as r2s
from lakehouse.transforms.model_build import ModelBuild


def specs(model: Model, settings: Settings) -> tuple[TableSpec, ...]:
    return model_tables(model, settings)


def transform(model: Model):
    """The model's transform module (its `build` function)."""
    module = model.domain.module(model.transform)
    if not callable(getattr(module, "build", None)):
        raise TypeError(f"{model.transform} (the transform of model {model.name}) has no build() function")
    return module.build


def run(ctx: StageContext) -> None:
    model, settings, result = ctx.model, ctx.settings, ctx.result
    silver_db = settings.database("silver")
    # a source whose domain is not deployed (its folder deleted) has no table: it has not landed
    landed = [name for name in model.sources if ctx.catalog.get_table(silver_db, name) is not None]
    current = {
        f"{name}:{partition_key(v)}": loc
        for name in landed
        for v, loc in ctx.catalog.get_partitions(silver_db, name)
    }
    input_files = sorted(current.values())
    arguments = {name: ctx.arguments.get(name) for name in model.arguments}
    current.update({f"argument:{k}": v for k, v in arguments.items() if v is not None})
    if model.arguments:  # defaults such as "today" resolve at run time: a new day is a new build
        current["argument:run_day"] = datetime.now(UTC).date().isoformat()
    committed = ctx.ledger.committed()
    if not ctx.full and committed and current == committed[-1].consumed:
        return  # none of the sources (nor the run's arguments) changed since the last committed build
    result.mode, result.inputs, result.input_files = "full", len(input_files), input_files
    sources = {
        name: read_published(ctx.spark, settings, silver_db, name, io=ctx.io, catalog=ctx.catalog)
        for name in model.sources
    }
    build: ModelBuild | None = transform(model)(ctx.spark, sources, {**model.parameters, **arguments})
    if build is None:
        return  # nothing to build from what has landed yet
    grains = ([(build.lines, build.fact)] if build.lines is not None else []) + list(build.more)
    result.rows_read = sum(lines.count() for lines, _ in grains)
    entry = ctx.entry(True, consumed=current)
    for name, df in build.tables.items():
        count = write_table(ctx, ctx.spec(name), df, entry, replace=model.table(name).publish == "table")
        if any(name == table for _, table in grains):
            result.rows_written += count
    quarantine = ctx.spec(f"{model.name}_quarantine")
    entry.partitions[quarantine.qualified] = {}
    entry.replace_all.append(quarantine.qualified)
    failed: dict[str, int] = {}
    if build.rejected is not None:
        failed, result.examples = tally(build.rejected, "_codes")
        if failed:
            described = {str(c): f"{c}: {text}" for c, text in build.checks}
            rows = r2s.to_quarantine(build.rejected, described, "_codes")
            result.rows_quarantined = write_quarantine(ctx, quarantine, rows, entry)
    result.messages = {str(c): text for c, text in build.checks if str(c) in failed}
    for code, _ in build.checks:
        result.quality[str(code)] = failed.get(str(code), 0)
        result.rule_results.append(rule_row(code, failed.get(str(code), 0), result.rows_read))
    if not result.reconciled:
        raise ReconciliationError(f"{model.name} {ctx.stage} does not reconcile: {result.as_dict()}")
    commit(ctx, entry)
    for lines, _ in grains:
        lines.unpersist()
