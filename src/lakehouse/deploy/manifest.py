"""The deployment manifest: what Terraform needs to know about the contracts, derived, never restated.

Terraform reads `build/terraform/manifest.json` (written by `lakehouse manifest`, which `make plan`,
`make apply` and `make tf-check` run first). It holds, for every dataset and model, its catalog tables
in every zone (the same TableSpecs the local deploy and the jobs use), its Glue jobs with their
arguments, its crawler, and exactly which S3 prefixes and catalog tables each job may touch, so the
IAM policies in terraform/modules/security name nothing else. Names that depend on the environment
(buckets, databases) are left to Terraform: locations are bucket-relative prefixes under a zone.

Adding a contract adds its tables, jobs, crawler and permissions here, with no Terraform edit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from lakehouse.aws.catalog import table_input
from lakehouse.contract.dataset import Contract
from lakehouse.contract.domains import sql_files
from lakehouse.contract.model import Model
from lakehouse.contract.registry import BUILD_MODEL as MODEL_STAGE
from lakehouse.contract.registry import RAW_TO_SILVER, Project, built_dimensions, dataset_stages, script_path
from lakehouse.contract.tables import TableSpec, audit_table, model_tables, quality_table, tables_for
from lakehouse.settings import Settings

# Placeholder names: every environment-dependent part is cut back to (zone, prefix) below.
_PLACEHOLDER = Settings(project="manifest", env="any")


def _prefix(spec: TableSpec) -> str:
    bucket = _PLACEHOLDER.bucket(spec.zone)
    return spec.location.removeprefix(f"s3://{bucket}/")


def _table(spec: TableSpec) -> dict:
    glue = table_input(spec, location="")
    sd = glue["StorageDescriptor"]
    params = dict(glue["Parameters"])
    if "storage.location.template" in params:  # the raw projection: the bucket is Terraform's to name
        bucket = _PLACEHOLDER.bucket(spec.zone)
        params["storage.location.template"] = params["storage.location.template"].replace(
            f"s3://{bucket}/", "s3://${bucket}/"
        )
    return {
        "zone": spec.zone,
        "name": spec.name,
        "description": spec.description,
        "format": spec.format,
        "prefix": _prefix(spec),
        "columns": [{"name": n, "type": t} for n, t in spec.columns],
        "partition_keys": [{"name": n, "type": t} for n, t in spec.partition_keys],
        "parameters": params,
        "input_format": sd["InputFormat"],
        "output_format": sd["OutputFormat"],
        "serde": sd["SerdeInfo"]["SerializationLibrary"],
        "serde_parameters": sd["SerdeInfo"]["Parameters"],
    }


def _key(spec: TableSpec) -> str:
    return f"{spec.zone}.{spec.name}"


def _access(reads: list[tuple[str, str]], writes: list[tuple[str, str]], tables: list[str]) -> dict:
    return {
        "s3_read": [{"zone": z, "prefix": p} for z, p in sorted(set(reads))],
        "s3_write": [{"zone": z, "prefix": p} for z, p in sorted(set(writes))],
        "tables": sorted(set(tables)),
    }


def _ledger(name: str) -> tuple[str, str]:
    return ("silver", f"_ledger/{name}/")


def _audit() -> list[tuple[str, str]]:
    return [("silver", "_audit/")]


def contract_key(contract: Contract) -> str:
    """Where a contract is uploaded, and read by the jobs and handlers: as in the repository."""
    return f"domains/{contract.domain}/{contract.path.name}"


def model_key(model: Model) -> str:
    return f"domains/{model.domain.name}/models/{model.path.name}"


def build(roots: Path | Sequence[Path]) -> dict:
    project = Project.load(roots)
    contracts, models = project.contracts, project.models
    tables: dict[str, dict] = {}
    audit = [audit_table(_PLACEHOLDER), quality_table(_PLACEHOLDER)]
    for spec in audit:
        tables[_key(spec)] = _table(spec)
    datasets, jobs = {}, {}
    for contract in contracts.values():
        specs = tables_for(contract, _PLACEHOLDER)
        for spec in specs:
            tables[_key(spec)] = _table(spec)
        by_zone = {z: [s for s in specs if s.zone == z] for z in ("raw", "silver", "gold")}
        datasets[contract.name] = {
            "contract": contract_key(contract),
            "domain": contract.domain,
            "format": contract.source.format,
            "crawl": bool(contract.crawl),
            "raw_prefix": f"{contract.name}/",
            "raw_partitions": list(contract.raw_partitions),
            "model": contract.model,
            "tables": [_key(s) for s in specs],
        }
        for stage in dataset_stages(contract):
            jobs[f"{contract.name}-{stage}"] = _dataset_job(contract, stage, by_zone)
    for model in models.values():
        specs = model_tables(model, _PLACEHOLDER)
        for spec in specs:
            tables[_key(spec)] = _table(spec)
        jobs[f"{model.name}-{MODEL_STAGE}"] = _model_job(model, specs)
    return {
        "datasets": datasets,
        "models": {
            m.name: {"file": model_key(m), "domain": m.domain.name, "sources": list(m.sources)}
            for m in models.values()
        },
        # every domain's named queries (Athena saves them): name -> file, as in the repository
        "queries": {
            p.stem: f"domains/{p.parent.parent.name}/queries/{p.name}" for p in sql_files(roots, "queries")
        },
        "jobs": jobs,
        "tables": tables,
    }


def _dataset_job(contract: Contract, stage: str, by_zone: dict[str, list[TableSpec]]) -> dict:
    name = contract.name
    if stage == RAW_TO_SILVER:
        reads = [("raw", f"{name}/")]
        writes = [(s.zone, _prefix(s)) for s in by_zone["silver"]]
        tables = [_key(s) for s in by_zone["raw"] + by_zone["silver"]]
    else:
        silver = next(s for s in by_zone["silver"] if s.name == name)
        reads = [("silver", _prefix(silver))]
        own = {d.name for d in built_dimensions(contract)} | {f.name for f in contract.facts}
        built = [s for s in by_zone["gold"] if s.name in own]  # not the conformed calendar: its model's
        writes = [(s.zone, _prefix(s)) for s in built]
        tables = [_key(silver)] + [_key(s) for s in by_zone["gold"]]
    writes += [_ledger(name), *_audit()]
    tables += ["silver.pipeline_runs", "silver.quality_results"]
    return {
        "kind": "dataset",
        "name": name,
        "stage": stage,
        "script": script_path(stage),
        "arguments": {"--dataset": name, "--contract_uri": contract_key(contract)},
        "access": _access(reads, writes, tables),
    }


def _model_job(model: Model, specs: tuple[TableSpec, ...]) -> dict:
    # every source the model file names, deployed or not: the build looks each one up and treats a
    # missing table (its domain not deployed) as not landed, which needs the lookup to be allowed
    reads = [("silver", f"{name}/") for name in model.sources]
    writes = [(s.zone, _prefix(s)) for s in specs] + [_ledger(model.name), *_audit()]
    tables = [f"silver.{name}" for name in model.sources] + [_key(s) for s in specs]
    tables += ["silver.pipeline_runs", "silver.quality_results"]
    return {
        "kind": "model",
        "name": model.name,
        "stage": MODEL_STAGE,
        "script": script_path(MODEL_STAGE),
        "arguments": {"--model": model.name, "--model_uri": model_key(model)},
        "access": _access(reads, writes, tables),
    }


def write(roots: Path | Sequence[Path], out: Path) -> dict:
    manifest = build(roots)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest
