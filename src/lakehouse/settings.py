"""Where things live: one place that turns (project, env) into bucket, database and endpoint names.

Terraform, the local deploy, the jobs and the query engine all name resources through here, so
`<project>-<env>-raw` is spelled once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ZONES = ("raw", "silver", "gold", "athena-results", "artifacts", "logs")
KMS_ZONES = ZONES[:-1]  # the logs bucket is SSE-S3: S3 server access logging cannot write SSE-KMS
DATA_ZONES = ("raw", "silver", "gold")
LOCAL_ENDPOINT = "http://127.0.0.1:4566"
LOCAL_ENV = "local"

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")


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
        env = env or os.environ.get("LAKEHOUSE_ENV", LOCAL_ENV)
        endpoint = os.environ.get("AWS_ENDPOINT_URL") or (LOCAL_ENDPOINT if env == LOCAL_ENV else None)
        values: dict[str, Any] = dict(
            project=os.environ.get("LAKEHOUSE_PROJECT", "lakehouse"),
            env=env,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=endpoint,
            domains=tuple(Path(p) for p in os.environ.get("LAKEHOUSE_DOMAINS", "domains").split(":") if p),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
