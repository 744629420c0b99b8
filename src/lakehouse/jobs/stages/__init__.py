"""The job stages: one module per stage body, all run by lakehouse.jobs.runner.

    raw_to_silver   raw_silver.py   parse, type, validate, deduplicate; quarantine the rest
    silver_to_gold  silver_gold.py  a dataset's own dimensions and facts from its `star` mapping
    build_model     build_model.py  a model's tables, by the transform module its file names

`STAGES` maps each stage name (lakehouse.contract.registry spells them) to its body and the tables it writes;
`run` runs one. Each run: takes the dataset+stage lock, rolls forward any publish a dead run left
half done, works out its inputs from the ledger, calls the pure transforms, writes run-scoped,
reconciles, records its publish intent, switches the catalog, commits, and writes one audit record,
failed runs included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import SparkSession

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.dataset import Contract
from lakehouse.contract.model import Model
from lakehouse.contract.registry import BUILD_MODEL, RAW_TO_SILVER, SILVER_TO_GOLD
from lakehouse.contract.tables import TableSpec
from lakehouse.errors import QualityError, QuarantineLimitError, ReconciliationError
from lakehouse.jobs.io import JobIO
from lakehouse.jobs.result import StageResult, new_run_id
from lakehouse.jobs.runner import RunLimits, StageContext, run_stage
from lakehouse.jobs.stages import build_model, raw_silver, silver_gold
from lakehouse.settings import Settings


@dataclass(frozen=True)
class Stage:
    body: Callable[[StageContext], None]
    specs: Callable[..., tuple[TableSpec, ...]]  # (subject, settings) -> the tables it writes


STAGES: dict[str, Stage] = {
    RAW_TO_SILVER: Stage(raw_silver.run, raw_silver.specs),
    SILVER_TO_GOLD: Stage(silver_gold.run, silver_gold.specs),
    BUILD_MODEL: Stage(build_model.run, build_model.specs),
}


def run(
    stage: str,
    spark: SparkSession,
    subject: Contract | Model,
    settings: Settings,
    *,
    run_id: str,
    io: JobIO | None = None,
    full: bool = False,
    limits: RunLimits | None = None,
    arguments: dict[str, str] | None = None,
    storage: Storage | None = None,
    catalog: Catalog | None = None,
) -> StageResult:
    """Run one stage of a dataset (or, for build_model, a model); `storage` and `catalog` are the
    clients the run works through (by default the environment's)."""
    found = STAGES[stage]
    return run_stage(
        stage,
        lambda ctx: STAGES[stage].body(ctx),
        spark,
        subject,
        settings=settings,
        run_id=run_id,
        specs=found.specs(subject, settings),
        io=io,
        full=full,
        limits=limits,
        arguments=arguments,
        storage=storage,
        catalog=catalog,
    )


__all__ = [
    "STAGES",
    "QualityError",
    "QuarantineLimitError",
    "ReconciliationError",
    "RunLimits",
    "Stage",
    "StageResult",
    "new_run_id",
    "run",
]
