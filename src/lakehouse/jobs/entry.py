"""What a Glue job script does: parse Glue arguments, load the contract or model, get a session, run one stage.

The scripts in glue/jobs/ call `run_job`; the local runner imports the same scripts and calls their
`main(argv, io=StagingIO(...))`, so the code path is the same on Glue and on a laptop. Contracts and
models are read from a path or an s3:// URI by the one loader (lakehouse.contract.registry).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta

from lakehouse.contract.dataset import Contract
from lakehouse.contract.model import Model
from lakehouse.contract.registry import BUILD_MODEL, load_contract_at, load_model_at
from lakehouse.errors import JobFailed, LakehouseError
from lakehouse.jobs import stages
from lakehouse.jobs.io import JobIO
from lakehouse.jobs.result import StageResult, new_run_id
from lakehouse.jobs.runner import RunLimits, error_text
from lakehouse.settings import Settings, aws_region, env_str

log = logging.getLogger("lakehouse.jobs")
DATASET_ARGS = ["JOB_NAME", "dataset", "contract_uri", "project", "env"]  # plus optional --full_refresh true
# Optional on every job: --lock_ttl_minutes (the job timeout: a lock older than this is a dead run's) and
# --retention_hours (how long superseded run files stay); without them, the LAKEHOUSE_* variables.
LOCK_TTL_ARG, RETENTION_ARG = "lock_ttl_minutes", "retention_hours"
MODEL_ARGS = ["JOB_NAME", "model", "model_uri", "project", "env"]


def optional_arg(argv: list[str], name: str, default: str) -> str:
    """An optional job argument (getResolvedOptions only knows required ones): `--name value`."""
    flag = f"--{name}"
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return default


def run_limits(argv: list[str]) -> RunLimits:
    """The lock TTL and retention period of a job run, from its optional job arguments."""
    default = RunLimits.from_env()

    def duration(name: str, unit: str, fallback: timedelta) -> timedelta:
        text = optional_arg(argv, name, "")
        if not text:
            return fallback
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value < 1e6:
            raise ValueError(f"--{name} must be a positive number of {unit}, got {text!r}")
        return timedelta(**{unit: value})

    return RunLimits(
        duration(LOCK_TTL_ARG, "minutes", default.lock_ttl),
        duration(RETENTION_ARG, "hours", default.retention),
    )


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
        region=aws_region(),
        endpoint_url=env_str("AWS_ENDPOINT_URL") or None,
    )


def run_job(stage: str, argv: list[str], io: JobIO | None = None) -> StageResult:
    """The job of one stage: --dataset/--contract_uri, or --model/--model_uri for build_model."""
    from awsglue.utils import getResolvedOptions

    from lakehouse.jobs.spark import job_session

    _log_to_stderr()
    args = getResolvedOptions(argv, MODEL_ARGS if stage == BUILD_MODEL else DATASET_ARGS)
    settings = _settings(args)
    if stage == BUILD_MODEL:
        subject: Contract | Model = load_model_at(args["model_uri"], settings)
        wanted = args["model"]
    else:
        subject = load_contract_at(args["contract_uri"], settings)
        wanted = args["dataset"]
    name = getattr(subject, "name", "")
    if name != wanted:
        raise ValueError(
            f"the job is for {wanted!r} but {args.get('contract_uri') or args['model_uri']} is {name!r}"
        )
    run_id = args.get("JOB_RUN_ID") or new_run_id()
    limits = run_limits(argv)
    spark, job = job_session(args["JOB_NAME"], args)
    full = optional_arg(argv, "full_refresh", "false").lower() == "true"
    arguments = {}
    if isinstance(subject, Model):  # the model's declared run arguments, when the run gives them
        arguments = {a: v for a in subject.arguments if (v := optional_arg(argv, a, ""))}
    try:
        result = stages.run(
            stage,
            spark,
            subject,
            settings,
            run_id=run_id,
            io=io,
            full=full,
            limits=limits,
            arguments=arguments,
        )
    except Exception as exc:
        if isinstance(exc, LakehouseError):
            raise
        # Glue's failure message (and so the job alert) is this exception's text: never a record's value
        raise JobFailed(error_text(exc)) from exc
    log.info("RECONCILIATION %s", json.dumps(result.as_dict(), sort_keys=True))
    if job is not None:
        job.commit()
    return result
