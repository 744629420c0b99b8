"""What the handlers decide and what came of it, as data.

The decide functions (lakehouse.automation.decide) turn an event into `Action`s without touching
AWS; the executor (lakehouse.automation.execute) carries them out and reports one `Outcome` each.
Outcomes are what handlers return, log, and what the CLI renders: fields, never text to parse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RegisterPartition:
    dataset: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class StartCrawler:
    dataset: str


@dataclass(frozen=True)
class RequestRun:
    """Start the job unless a start is already requested (debounced by lakehouse.jobs.ledger.RunRequest)."""

    dataset: str
    stage: str
    reason: str


@dataclass(frozen=True)
class StartIfRequested:
    """A run was requested while the job ran (its start met the concurrency limit): start it now."""

    dataset: str
    stage: str


@dataclass(frozen=True)
class PublishRun:
    """Make sure a succeeded run's publish is complete (the ledger entry says what it switches)."""

    dataset: str
    stage: str
    run_id: str


@dataclass(frozen=True)
class Alert:
    subject: str
    body: tuple[tuple[str, Any], ...]  # ordered fields of the JSON message

    @classmethod
    def of(cls, subject: str, **body: Any) -> Alert:
        return cls(subject, tuple(body.items()))


Action = RegisterPartition | StartCrawler | RequestRun | StartIfRequested | PublishRun | Alert


@dataclass(frozen=True)
class Outcome:
    """What one action did: `action` and `status` are from small fixed sets; the rest identifies it."""

    action: str  # partition | crawler | run | publish | alert | records
    status: str  # e.g. registered, known, started, running, already_requested, published, sent
    dataset: str = ""
    stage: str = ""
    detail: str = ""  # a run id, a partition, a count: never record contents

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def render(outcome: Outcome | dict[str, str]) -> str:
    """One short human phrase for an outcome (the CLI and the logs use it)."""
    o = outcome if isinstance(outcome, dict) else outcome.as_dict()
    who = " ".join(x for x in (o.get("dataset", ""), o.get("stage", "")) if x)
    status = o["status"].replace("_", " ")
    return f"{o['action']} {status}" + (f" ({who})" if who else "")
