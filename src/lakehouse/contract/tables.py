"""Table definitions derived from contracts: every catalog table of every zone, computed, never hand-written.

`tables_for(contract, settings)` is what the local deploy creates, what the jobs write, and what the
Terraform catalog module must match. Pure: no AWS calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.contract.dataset import Contract, Dimension, Fact
from lakehouse.settings import Settings

RAW_COMPLEX = ("map<", "array<", "struct<")

# Columns every silver row carries after the contract's: source fields the contract does not declare
# yet (schema drift is kept, never dropped), and lineage: where the row came from, which run wrote it.
EXTRA_FIELDS = "_extra_fields"
LINEAGE_COLUMNS = (
    (EXTRA_FIELDS, "map<string,string>"),
    ("_source_file", "string"),
    ("_source_line", "bigint"),
    ("_run_id", "string"),
)

QUARANTINE_COLUMNS = (
    ("source_file", "string"),
    ("source_line", "bigint"),
    ("reason", "string"),
    ("record", "string"),
    ("quarantined_at", "timestamp"),
)

CALENDAR_COLUMNS = (
    ("date", "date"),
    ("year", "int"),
    ("quarter", "int"),
    ("month", "int"),
    ("month_name", "string"),
    ("day", "int"),
    ("day_of_week", "int"),
    ("day_name", "string"),
    ("day_of_year", "int"),
    ("week_of_year", "int"),
    ("is_weekend", "boolean"),
    ("fiscal_year", "int"),
    ("fiscal_quarter", "int"),
    ("fiscal_month", "int"),
    ("fiscal_week", "int"),
)

AUDIT_TABLE = "pipeline_runs"
AUDIT_COLUMNS = (
    ("run_id", "string"),
    ("dataset", "string"),
    ("stage", "string"),
    ("status", "string"),
    ("started_at", "string"),
    ("finished_at", "string"),
    ("duration_s", "double"),
    ("inputs", "bigint"),
    ("rows_read", "bigint"),
    ("rows_written", "bigint"),
    ("duplicates_removed", "bigint"),
    ("rows_quarantined", "bigint"),
    ("rows_replaced", "bigint"),
    ("reconciled", "boolean"),
    ("mode", "string"),
    ("input_files", "array<string>"),
    ("quality", "string"),
    ("new_fields", "string"),
    ("error", "string"),
)


QUALITY_TABLE = "quality_results"
QUALITY_COLUMNS = (
    ("run_id", "string"),
    ("dataset", "string"),
    ("stage", "string"),
    ("rule", "string"),
    ("check", "string"),
    ("column", "string"),
    ("critical", "boolean"),
    ("threshold", "double"),
    ("failed_rows", "bigint"),
    ("total_rows", "bigint"),
    ("failed_ratio", "double"),
    ("passed", "boolean"),
)


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """One catalog table: where it lives, how it is stored, its columns and partition keys."""

    zone: str
    database: str
    name: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[tuple[str, str], ...]
    format: str  # parquet | json | csv
    location: str
    description: str = ""
    serde_parameters: tuple[tuple[str, str], ...] = ()  # over the format's defaults (lakehouse.aws.catalog)
    parameters: tuple[tuple[str, str], ...] = ()  # table parameters beyond the format's

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.columns)


def _raw_type(glue_type: str) -> str:
    """Raw tables read what landed: scalars as strings (never a failed cast), complex types as declared."""
    return glue_type if glue_type.startswith(RAW_COMPLEX) else "string"


def raw_table(contract: Contract, settings: Settings) -> TableSpec:
    src = contract.source
    csv = src.format == "csv"
    return TableSpec(
        zone="raw",
        database=settings.database("raw"),
        name=contract.name,
        columns=tuple((c.name, _raw_type(c.type)) for c in contract.columns),
        partition_keys=tuple((p, "string") for p in contract.raw_partitions),
        format=contract.source.format,
        location=f"s3://{settings.bucket('raw')}/{contract.name}/",
        description=f"{contract.name} as landed ({contract.source.format}); partitioned by event time",
        serde_parameters=(("separatorChar", src.delimiter),) if csv else (),
        parameters=(("skip.header.line.count", "1"),) if csv and src.header else (),
    )


def silver_table(contract: Contract, settings: Settings) -> TableSpec:
    return TableSpec(
        zone="silver",
        database=settings.database("silver"),
        name=contract.name,
        columns=contract.silver_columns + LINEAGE_COLUMNS,
        partition_keys=tuple((p.name, p.type) for p in contract.silver_partitions),
        format="parquet",
        location=f"s3://{settings.bucket('silver')}/{contract.name}/",
        description=f"{contract.name}: typed, validated, deduplicated on {', '.join(contract.dedupe_key)}",
    )


def quarantine_table(contract: Contract, settings: Settings) -> TableSpec:
    return TableSpec(
        zone="silver",
        database=settings.database("silver"),
        name=f"{contract.name}_quarantine",
        columns=QUARANTINE_COLUMNS,
        partition_keys=(("run_id", "string"),),
        format="parquet",
        location=f"s3://{settings.bucket('silver')}/_quarantine/{contract.name}/",
        description=f"{contract.name} records rejected by the raw->silver job, with reason and source",
    )


def audit_table(settings: Settings) -> TableSpec:
    return TableSpec(
        zone="silver",
        database=settings.database("silver"),
        name=AUDIT_TABLE,
        columns=AUDIT_COLUMNS,
        partition_keys=(),
        format="json",
        location=f"s3://{settings.bucket('silver')}/_audit/{AUDIT_TABLE}/",
        description="one record per job run: inputs, row counts, reconciliation, status",
    )


def quality_table(settings: Settings) -> TableSpec:
    return TableSpec(
        zone="silver",
        database=settings.database("silver"),
        name=QUALITY_TABLE,
        columns=QUALITY_COLUMNS,
        partition_keys=(),
        format="json",
        location=f"s3://{settings.bucket('silver')}/_audit/{QUALITY_TABLE}/",
        description="one row per quality rule per job run: rows failing it, and whether the run passed it",
    )


def dimension_columns(dim: Dimension) -> tuple[tuple[str, str], ...]:
    key_type = "int" if dim.kind == "calendar" else "bigint"
    body = CALENDAR_COLUMNS if dim.kind == "calendar" else tuple((c.name, c.type) for c in dim.columns)
    return ((dim.surrogate_key, key_type), *body)


def fact_columns(fact: Fact, contract: Contract) -> tuple[tuple[str, str], ...]:
    keys = [(fact.surrogate_key, "bigint")]
    for ref in fact.references:
        dim = contract.dimension(ref)
        keys.append((dim.surrogate_key, "int" if dim.kind == "calendar" else "bigint"))
    return (*keys, *((c.name, c.type) for c in fact.columns))


def gold_tables(contract: Contract, settings: Settings) -> tuple[TableSpec, ...]:
    db, bucket = settings.database("gold"), settings.bucket("gold")
    specs = [
        TableSpec(
            zone="gold",
            database=db,
            name=d.name,
            columns=dimension_columns(d),
            partition_keys=(),
            format="parquet",
            location=f"s3://{bucket}/{d.name}/",
            description=f"dimension of {contract.name} (SCD type {d.scd_type})"
            if d.kind == "entity"
            else "calendar",
        )
        for d in contract.dimensions
    ]
    specs += [
        TableSpec(
            zone="gold",
            database=db,
            name=f.name,
            columns=fact_columns(f, contract),
            partition_keys=tuple((p.name, p.type) for p in f.partitions),
            format="parquet",
            location=f"s3://{bucket}/{f.name}/",
            description=f"fact table of {contract.name}",
        )
        for f in contract.facts
    ]
    return tuple(specs)


def model_tables(model, settings: Settings) -> tuple[TableSpec, ...]:
    """The gold tables of a multi-source model (lakehouse.contract.model) and its quarantine."""
    db, bucket = settings.database("gold"), settings.bucket("gold")
    specs = [
        TableSpec(
            zone="gold",
            database=db,
            name=t.name,
            columns=t.columns,
            partition_keys=t.partitions,
            format="parquet",
            location=f"s3://{bucket}/{t.name}/",
            description=t.description or f"{model.name} model",
        )
        for t in model.tables
    ]
    quarantine = TableSpec(
        zone="silver",
        database=settings.database("silver"),
        name=f"{model.name}_quarantine",
        columns=QUARANTINE_COLUMNS,
        partition_keys=(("run_id", "string"),),
        format="parquet",
        location=f"s3://{settings.bucket('silver')}/_quarantine/{model.name}/",
        description=f"{model.name} model lines rejected by referential integrity, with the failed rule",
    )
    return (*specs, quarantine)


def tables_for(contract: Contract, settings: Settings) -> tuple[TableSpec, ...]:
    """Every table one dataset owns, in every zone."""
    return (
        raw_table(contract, settings),
        silver_table(contract, settings),
        quarantine_table(contract, settings),
        *gold_tables(contract, settings),
    )
