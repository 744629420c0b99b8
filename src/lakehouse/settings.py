"""Where things live, and what the environment says: the one place that reads environment variables.

`Settings` turns (project, env) into bucket, database and endpoint names: Terraform, the local deploy,
the jobs and the query engine all name resources through here, so `<project>-<env>-raw` is spelled once.

`VARIABLES` declares every environment variable the kit reads, with its type, default and meaning;
`env_str`, `env_int` and `env_float` read one of them at the time of the call (never at import, so a
changed value is seen), refuse a name the table does not declare, and turn a malformed value into one
UsageError naming the variable. Writes go through here too: `set_default` (a value a child process
reads), `environment_override` (a value for a while, restored after) and `process_environment` (a
copy for a subprocess). Nothing else in the package touches `os.environ` (tests/unit/test_settings.py
checks it); boto3 still reads AWS's own variables (credentials, region) itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.errors import UsageError

ZONES = ("raw", "silver", "gold", "athena-results", "artifacts", "logs")
KMS_ZONES = ZONES[:-1]  # the logs bucket is SSE-S3: S3 server access logging cannot write SSE-KMS
DATA_ZONES = ("raw", "silver", "gold")
LOCAL_ENDPOINT = "http://127.0.0.1:4566"
LOCAL_ENV = "local"

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")


# the environment variables -----------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """One environment variable the kit reads. Its name never changes: Terraform and users set it."""

    name: str
    type: type[str] | type[int] | type[float]  # what its value must parse as
    default: (
        str | int | float | None
    )  # the value when unset or empty; None: no value (`meaning` says then what)
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    # where: the environment, its names and its domains
    Variable(
        "LAKEHOUSE_PROJECT",
        str,
        "lakehouse",
        "Project name, the first part of every resource name (`<project>-<env>-raw`); Terraform sets it on "
        "the functions.",
    ),
    Variable(
        "LAKEHOUSE_ENV",
        str,
        LOCAL_ENV,
        "Environment name, the second part of every resource name; `local` is the emulated endpoint. "
        "Terraform sets it on the functions.",
    ),
    Variable(
        "LAKEHOUSE_DOMAINS",
        str,
        "domains",
        "Folders of domains, separated by ':' (lakehouse.contract.domains); the CLI's --domains overrides it.",
    ),
    Variable(
        "LAKEHOUSE_STATE_DIR",
        str,
        ".lakehouse",
        "Where the local loop keeps its state: the endpoint's PID file and log, the Terraform state and "
        "provider config, the demo's landing files.",
    ),
    # the functions (Terraform's events module sets them)
    Variable(
        "LAKEHOUSE_CONTRACTS_URI",
        str,
        None,
        "Where the functions read the contracts and models; unset: s3://<project>-<env>-artifacts/domains/.",
    ),
    Variable(
        "LAKEHOUSE_ALERT_TOPIC_ARN",
        str,
        None,
        "The SNS topic alerts go to; unset: alerts are only logged.",
    ),
    Variable(
        "LAKEHOUSE_DLQ_URL",
        str,
        None,
        "The SQS dead-letter queue malformed events go to; unset: they are only logged.",
    ),
    Variable(
        "LAKEHOUSE_ALERT_DATASET",
        str,
        None,
        "The dataset whose landed files the landed_alert function reads (its domain's alerts.py); unset: none.",
    ),
    Variable(
        "LAKEHOUSE_ACCOUNT_ID",
        str,
        None,
        "The account whose events are this environment's (others are ignored); unset: the caller's, asked "
        "of STS once per handler configuration.",
    ),
    Variable(
        "LAKEHOUSE_REQUEST_TTL_MINUTES",
        float,
        15.0,
        "A run request older than this was left by a start that never happened and is replaced by the next "
        "event (the longest a Lambda function runs).",
    ),
    # the runs (Glue jobs get the first two as the job arguments --lock_ttl_minutes, --retention_hours)
    Variable(
        "LAKEHOUSE_LOCK_TTL_MINUTES",
        float,
        360.0,
        "A run lock older than this was left by a dead run and is taken over (the Glue job timeout).",
    ),
    Variable(
        "LAKEHOUSE_RETENTION_HOURS",
        float,
        168.0,
        "How long superseded run files are kept after they stopped being published.",
    ),
    Variable(
        "LAKEHOUSE_QUARANTINE_LIMIT",
        float,
        0.05,  # lakehouse.contract.quality.DEFAULT_QUARANTINE_LIMIT (tests/unit/test_settings.py)
        "The share of a run's rows that may be quarantined when the contract sets no quarantine_limit.",
    ),
    Variable(
        "LAKEHOUSE_QUARANTINE_EXPIRY_DAYS",
        float,
        30.0,
        "How long a run's quarantine partition is kept when the contract sets no quarantine_expiry_days.",
    ),
    Variable(
        "LAKEHOUSE_TARGET_FILE_MB",
        float,
        128.0,
        "The size every table write aims at for its Parquet files, in MiB (lakehouse.jobs.io).",
    ),
    Variable(
        "LAKEHOUSE_FAILPOINT",
        str,
        None,
        "Crash tests only: the named point (e.g. `raw_to_silver:after_intent`) kills the run there; unset: "
        "none does.",
    ),
    # the local loop
    Variable(
        "LAKEHOUSE_SPARK_MASTER",
        str,
        "local[2]",
        "The master of a local Spark session (lakehouse.jobs.spark.local_session).",
    ),
    Variable(
        "LAKEHOUSE_ENDPOINT_DEADLINE_S",
        float,
        15.0,
        "How long the CLI waits for the local endpoint to answer before it calls it down, in seconds.",
    ),
    Variable(
        "LAKEHOUSE_TF_PROVIDER_MIRROR",
        str,
        "/opt/tf-plugins",
        "A Terraform filesystem mirror holding hashicorp/aws; used when it holds it, else the registry.",
    ),
    Variable(
        "LAKEHOUSE_TERRAFORM",
        str,
        None,
        "The Terraform binary the local deploy runs; unset: `terraform` on PATH.",
    ),
    # AWS's own (boto3 reads them too)
    Variable(
        "AWS_REGION",
        str,
        None,
        "The AWS region (Glue and Lambda set it); unset: AWS_DEFAULT_REGION.",
    ),
    Variable("AWS_DEFAULT_REGION", str, "us-east-1", "The AWS region when AWS_REGION is unset."),
    Variable(
        "AWS_ENDPOINT_URL",
        str,
        None,
        "An endpoint every client talks to (the emulated AWS); unset: AWS's own, or in the local "
        f"environment {LOCAL_ENDPOINT}. A local job run sets it to its endpoint for the run.",
    ),
    Variable(
        "AWS_ACCESS_KEY_ID",
        str,
        None,
        "Only whether it is set: unset (and no AWS_PROFILE), an emulated endpoint gets dummy credentials.",
    ),
    Variable(
        "AWS_PROFILE",
        str,
        None,
        "Only whether it is set: unset (and no AWS_ACCESS_KEY_ID), an emulated endpoint gets dummy "
        "credentials.",
    ),
    # the machine's and Spark's
    Variable("TMPDIR", str, "/tmp", "Where a local Spark session keeps its warehouse directory."),
    Variable(
        "PYSPARK_PYTHON",
        str,
        None,
        "The Python of Spark's workers; unset: a local session sets it to the driver's (they import "
        "lakehouse from there).",
    ),
    Variable(
        "PYSPARK_GATEWAY_PORT",
        str,
        None,
        "Only whether it is set: spark-submit (Glue) launched the job, so the session comes from there; "
        "unset: a local session.",
    ),
    Variable(
        "COLUMNS",
        int,
        160,
        "The width of the CLI's tables when its output is not a terminal.",
    ),
)

_DECLARED = {v.name: v for v in VARIABLES}
_KINDS = {str: "text", int: "an integer", float: "a number"}


def variable(name: str) -> Variable:
    """The declaration of an environment variable; KeyError for one the table does not declare."""
    try:
        return _DECLARED[name]
    except KeyError:
        raise KeyError(
            f"{name} is not a declared environment variable: add it to lakehouse.settings.VARIABLES"
        ) from None


def _read(name: str, kind: type) -> tuple[Variable, str | None]:
    declared = variable(name)
    if declared.type is not kind:
        raise TypeError(f"{name} is {_KINDS[declared.type]}, not {_KINDS[kind]}")
    return declared, os.environ.get(name) or None  # empty counts as unset


def env_str(name: str) -> str:
    """A text variable's value; unset or empty: its default, or "" when it has none."""
    declared, text = _read(name, str)
    if text is not None:
        return text
    return "" if declared.default is None else str(declared.default)


def _parsed(name: str, kind: type[int] | type[float]) -> Any:
    declared, text = _read(name, kind)
    if text is None:
        if declared.default is None:
            raise TypeError(f"{name} has no default: declare one in lakehouse.settings.VARIABLES")
        return kind(declared.default)
    try:
        return kind(text)
    except ValueError:
        raise UsageError(f"{name} must be {_KINDS[kind]}, got {text!r}") from None


def env_int(name: str) -> int:
    """An integer variable's value, else its default; UsageError naming it when it is not an integer."""
    return int(_parsed(name, int))


def env_float(name: str) -> float:
    """A number variable's value, else its default; UsageError naming it when it is not a number."""
    return float(_parsed(name, float))


def env_set(name: str) -> bool:
    """Whether a variable is set (to anything but the empty string)."""
    return bool(os.environ.get(variable(name).name))


def aws_region() -> str:
    """The AWS region: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1."""
    return env_str("AWS_REGION") or env_str("AWS_DEFAULT_REGION")


def set_default(name: str, value: str) -> str:
    """Set a variable (that a child process reads) unless it is set already; returns its value."""
    return os.environ.setdefault(variable(name).name, value)


@contextmanager
def environment_override(**values: str | None) -> Iterator[None]:
    """Variables set (None: unset) for the duration of the block; what was there before is restored."""
    saved = {variable(name).name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, before in saved.items():
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before


def process_environment(*overlays: Mapping[str, str]) -> dict[str, str]:
    """A copy of this process's environment with the overlays applied in order: a subprocess's."""
    out = dict(os.environ)
    for overlay in overlays:
        out.update(overlay)
    return out


# where things live -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """The environment a command or job works in."""

    project: str = "lakehouse"
    env: str = LOCAL_ENV
    region: str = "us-east-1"
    endpoint_url: str | None = None
    # folders of domains (lakehouse.contract.domains): LAKEHOUSE_DOMAINS, paths separated by ':'
    domains: tuple[Path, ...] = (Path("domains"),)

    def __post_init__(self) -> None:
        for what, value in (("project", self.project), ("env", self.env)):
            if not _NAME.match(value):
                raise ValueError(
                    f"{what} {value!r} must be 3-32 characters of a-z, 0-9 and '-', starting with a letter"
                )

    @property
    def is_local(self) -> bool:
        return self.env == LOCAL_ENV

    def bucket(self, zone: str) -> str:
        """S3 bucket of a zone: `<project>-<env>-<zone>`."""
        if zone not in ZONES:
            raise ValueError(f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
        return f"{self.project}-{self.env}-{zone}"

    def database(self, zone: str) -> str:
        """Glue database of a data zone: `<project>_<env>_<zone>` (Athena wants no hyphens)."""
        if zone not in DATA_ZONES:
            raise ValueError(f"unknown data zone {zone!r}; data zones are {', '.join(DATA_ZONES)}")
        return f"{self.project}_{self.env}_{zone}".replace("-", "_")

    @property
    def kms_alias(self) -> str:
        return f"alias/{self.project}-{self.env}"

    @property
    def athena_workgroup(self) -> str:
        return f"{self.project}-{self.env}"

    def job_name(self, dataset: str, stage: str) -> str:
        """Glue job of a dataset's stage: `<project>-<env>-<dataset>-<stage>` (Terraform names it the same)."""
        return f"{self.project}-{self.env}-{dataset}-{stage}"

    def crawler_name(self, dataset: str) -> str:
        return f"{self.project}-{self.env}-{dataset}-raw"

    def resource(self, suffix: str) -> str:
        """Name of an environment-wide resource: `<project>-<env>-<suffix>` (queues, topics, rules)."""
        return f"{self.project}-{self.env}-{suffix}"

    @classmethod
    def from_env(cls, env: str | None = None, **overrides) -> Settings:
        """Settings from LAKEHOUSE_* and AWS_* variables; the local env defaults to the local endpoint."""
        env = env or env_str("LAKEHOUSE_ENV")
        endpoint = env_str("AWS_ENDPOINT_URL") or (LOCAL_ENDPOINT if env == LOCAL_ENV else None)
        values: dict[str, Any] = dict(
            project=env_str("LAKEHOUSE_PROJECT"),
            env=env,
            region=aws_region(),
            endpoint_url=endpoint,
            domains=tuple(Path(p) for p in env_str("LAKEHOUSE_DOMAINS").split(":") if p)
            or (Path("domains"),),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
