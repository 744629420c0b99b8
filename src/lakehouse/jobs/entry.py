"""What a Glue job script does: parse Glue arguments, load the contract, get a session, run one stage.

The scripts in glue/jobs/ call `run_stage`; the local runner imports the same scripts and calls their
`main(argv, io=StagingIO(...))`, so the code path is the same on Glue and on a laptop.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import yaml

from lakehouse.contracts import Contract, load_contract, parse_contract
from lakehouse.jobs import stages
from lakehouse.jobs.stages import STAGES
from lakehouse.settings import Settings
from lakehouse.storage import Storage

log = logging.getLogger("lakehouse.jobs")
JOB_ARGS = ["JOB_NAME", "dataset", "contract_uri", "project", "env"]  # plus optional --full_refresh true


def optional_arg(argv: list[str], name: str, default: str) -> str:
    """An optional job argument (getResolvedOptions only knows required ones): `--name value`."""
    flag = f"--{name}"
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return default


def load_contract_uri(uri: str, settings: Settings) -> Contract:
    """A contract from a local path or an s3:// object (Terraform uploads contracts to the artifacts bucket)."""
    if uri.startswith("s3://"):
        doc = yaml.safe_load(Storage(settings).read_bytes(uri))
        return parse_contract(doc, Path(uri.rsplit("/", 1)[-1]))
    return load_contract(uri)


def run_model(argv: list[str], io=None) -> stages.StageResult:
    """The model build job: --model, --model_uri (the model file), --project, --env."""
    from awsglue.utils import getResolvedOptions

    from lakehouse.models import load_model
    from lakehouse.spark import job_session

    _log_to_stderr()
    args = getResolvedOptions(argv, ["JOB_NAME", "model", "model_uri", "project", "env"])
    settings = _settings(args)
    if args["model_uri"].startswith("s3://"):
        import tempfile

        local = Path(tempfile.mkdtemp()) / args["model_uri"].rsplit("/", 1)[-1]
        local.write_bytes(Storage(settings).read_bytes(args["model_uri"]))
        model = load_model(local)
    else:
        model = load_model(args["model_uri"])
    spark, job = job_session(args["JOB_NAME"], args)
    full = optional_arg(argv, "full_refresh", "false").lower() == "true"
    result = stages.build_model(
        spark, model, settings, args.get("JOB_RUN_ID") or stages.new_run_id(), io, full
    )
    log.info("RECONCILIATION %s", json.dumps(result.as_dict(), sort_keys=True))
    if job is not None:
        job.commit()
    return result


def _log_to_stderr() -> None:
    if not log.handlers:  # Glue's driver log (and the local terminal's stderr) gets one JSON line per stage
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def _settings(args: dict) -> Settings:
    return Settings(
        project=args["project"],
        env=args["env"],
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
    )


def run_stage(stage: str, argv: list[str], io=None) -> stages.StageResult:
    from awsglue.utils import getResolvedOptions

    from lakehouse.spark import job_session

    _log_to_stderr()
    args = getResolvedOptions(argv, JOB_ARGS)
    settings = _settings(args)
    contract = load_contract_uri(args["contract_uri"], settings)
    if contract.name != args["dataset"]:
        raise ValueError(f"--dataset {args['dataset']!r} but the contract is for {contract.name!r}")
    run_id = args.get("JOB_RUN_ID") or stages.new_run_id()
    spark, job = job_session(args["JOB_NAME"], args)
    full = optional_arg(argv, "full_refresh", "false").lower() == "true"
    result = STAGES[stage](spark, contract, settings, run_id, io, full=full)
    log.info("RECONCILIATION %s", json.dumps(result.as_dict(), sort_keys=True))
    if job is not None:
        job.commit()
    return result
