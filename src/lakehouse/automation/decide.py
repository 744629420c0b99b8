"""Pure decisions: an event (already unpacked) and the project's contracts -> the actions to take.

No AWS call, no clock, no Spark: unit tests call these with plain objects. Idempotency, dead letters
and the calls themselves are the executor's (lakehouse.automation.execute).
"""

from __future__ import annotations

import re
from datetime import date

from lakehouse.automation.actions import (
    Action,
    Alert,
    PublishRun,
    RegisterPartition,
    RequestRun,
    StartCrawler,
    StartIfRequested,
)
from lakehouse.automation.events import GlueStateChange, ObjectCreated
from lakehouse.contract.dataset import Contract
from lakehouse.contract.registry import RAW_TO_SILVER, Project
from lakehouse.errors import Ignored
from lakehouse.settings import Settings

FAILED_STATES = ("FAILED", "TIMEOUT", "STOPPED", "ERROR")


def dataset_of_key(project: Project, key: str) -> Contract | None:
    prefix = key.split("/", 1)[0]
    return project.contracts.get(prefix) if "/" in key else None


# the raw layout `lakehouse ingest` writes: ASCII digits, zero-padded, in range (a calendar date)
_RAW_VALUE = {
    "year": re.compile(r"(19[7-9][0-9]|2[0-9]{3})"),
    "month": re.compile(r"(0[1-9]|1[0-2])"),
    "day": re.compile(r"(0[1-9]|[12][0-9]|3[01])"),
    "hour": re.compile(r"([01][0-9]|2[0-3])"),
}


def partition_of_key(contract: Contract, key: str) -> tuple[str, ...] | None:
    """The raw partition values of `<dataset>/year=YYYY/month=MM/day=DD/hour=HH/<file>`: each folder
    right after the dataset, in the contract's order, fully matched and range-checked; None otherwise."""
    parts = key.split("/")
    names = contract.raw_partitions
    if len(parts) < len(names) + 2 or not parts[-1]:
        return None
    values = []
    for name, folder in zip(names, parts[1 : 1 + len(names)], strict=True):
        value = folder.removeprefix(f"{name}=")
        if value == folder or not _RAW_VALUE[name].fullmatch(value):
            return None
        values.append(value)
    if len(values) >= 3:
        try:
            date(int(values[0]), int(values[1]), int(values[2]))
        except ValueError:  # February 30th
            return None
    return tuple(values)


def on_raw_object(obj: ObjectCreated, project: Project, settings: Settings) -> list[Action]:
    contract = dataset_of_key(project, obj.key) if obj.bucket == settings.bucket("raw") else None
    if contract is None:
        raise Ignored("object of no known dataset")
    values = partition_of_key(contract, obj.key)
    if values is None:
        raise Ignored("object outside the raw layout")
    actions: list[Action] = [RegisterPartition(contract.name, values)]
    if contract.crawl:
        actions.append(StartCrawler(contract.name))
    else:
        actions.append(RequestRun(contract.name, RAW_TO_SILVER, obj.uri))
    return actions


def on_crawler_state(change: GlueStateChange, project: Project, settings: Settings) -> list[Action]:
    dataset = next((n for n in project.contracts if settings.crawler_name(n) == change.name), None)
    if dataset is None:
        raise Ignored("crawler of no known dataset")
    if change.state == "Succeeded":
        return [RequestRun(dataset, RAW_TO_SILVER, f"crawler {change.name} succeeded")]
    if change.state == "Failed":
        return [
            Alert.of(
                f"[{settings.project} {settings.env}] crawler {change.name} failed",
                crawler=change.name,
                state=change.state,
                error=change.message,
            )
        ]
    return []


def console_link(region: str, job: str, run_id: str) -> str:
    region = region or "us-east-1"
    return f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}#/job/{job}/run/{run_id}"


def on_job_state(change: GlueStateChange, project: Project, settings: Settings) -> list[Action]:
    job = project.job_named(settings, change.name)
    if job is None:
        raise Ignored("job of no known dataset")
    actions: list[Action] = []
    if change.state in FAILED_STATES:
        # a run that failed after recording its publish intent left tables half switched: complete it
        # now (the intent is written only once the run reconciled), not at the next run
        actions.append(PublishRun(job.name, job.stage, change.run_id))
        actions.append(
            Alert.of(
                f"[{settings.project} {settings.env}] Glue job {change.name} {change.state}",
                job=change.name,
                run_id=change.run_id,
                state=change.state,
                error=change.message,
                dataset=job.name,
                stage=job.stage,
                console=console_link(change.region, change.name, change.run_id),
            )
        )
    elif change.state == "SUCCEEDED":
        actions.append(PublishRun(job.name, job.stage, change.run_id))
        actions += [RequestRun(n.name, n.stage, f"{change.name} succeeded") for n in project.next_jobs(job)]
    if change.state in (*FAILED_STATES, "SUCCEEDED"):
        actions.append(StartIfRequested(job.name, job.stage))
    return actions


__all__ = ["Ignored", "on_crawler_state", "on_job_state", "on_raw_object"]
