"""The automation behind the Lambda functions in lambda/: plain functions of (event, context).

    on_raw_object     S3 object created -> register its raw partition; crawl (if the contract asks) or
                      request the raw->silver job
    on_crawler_state  crawler Succeeded -> request the job; Failed -> alert
    on_job_state      job FAILED/TIMEOUT/STOPPED -> alert; SUCCEEDED -> make sure the run's partitions
                      are published, request what the registry says comes next; any end -> start a
                      run requested meanwhile
    landed_alert      newly landed files of the alert dataset -> its domain's alerts.py -> one SNS message per batch

Each handler is a pure decision (lakehouse.automation.decide) run by the one executor
(lakehouse.automation.execute), which handles configuration, idempotency and dead letters. They
return a summary whose `actions` are structured outcomes (lakehouse.automation.actions). A caller
may pass the `config` (whose cache then lives as long as the caller keeps it) and the `executor`
(whose AWS clients then are the caller's).
"""

from __future__ import annotations

import functools
from typing import Any

from lakehouse.automation import decide
from lakehouse.automation.actions import Action
from lakehouse.automation.alerts import landed_alert
from lakehouse.automation.events import foreign, glue_state_change, object_created
from lakehouse.automation.execute import Config, Executor, handle, project
from lakehouse.errors import Ignored, MalformedEvent

__all__ = [
    "Config",
    "Executor",
    "container_config",
    "landed_alert",
    "on_crawler_state",
    "on_job_state",
    "on_raw_object",
    "project",
]


@functools.cache
def container_config() -> Config:
    """A Lambda container's configuration, read at its first event: what it looks up through it (the
    project for a minute, the account, ledger entries) is kept as long as the container lives."""
    return Config.from_env()


def on_raw_object(
    event: dict[str, Any],
    context: object = None,
    config: Config | None = None,
    *,
    executor: Executor | None = None,
) -> dict[str, Any]:
    def each(record: dict[str, Any], config: Config) -> tuple[str, list[Action]]:
        obj = object_created(record)
        why = foreign(obj, "s3", config.settings.region, config.account())
        if why:
            raise Ignored(why)
        return obj.delivery_id, decide.on_raw_object(obj, project(config), config.settings)

    return handle("on_raw_object", event, config, each, executor=executor)


def on_crawler_state(
    event: dict[str, Any],
    context: object = None,
    config: Config | None = None,
    *,
    executor: Executor | None = None,
) -> dict[str, Any]:
    def each(record: dict[str, Any], config: Config) -> tuple[str, list[Action]]:
        change = glue_state_change(record)
        if change.kind != "crawler":
            raise MalformedEvent(f"not a crawler state change: {change.kind}")
        why = foreign(change, "glue", config.settings.region, config.account())
        if why:
            raise Ignored(why)
        return change.event_id, decide.on_crawler_state(change, project(config), config.settings)

    return handle("on_crawler_state", event, config, each, executor=executor)


def on_job_state(
    event: dict[str, Any],
    context: object = None,
    config: Config | None = None,
    *,
    executor: Executor | None = None,
) -> dict[str, Any]:
    def each(record: dict[str, Any], config: Config) -> tuple[str, list[Action]]:
        change = glue_state_change(record)
        if change.kind != "job":
            raise MalformedEvent(f"not a job state change: {change.kind}")
        why = foreign(change, "glue", config.settings.region, config.account())
        if why:
            raise Ignored(why)
        return change.event_id, decide.on_job_state(change, project(config), config.settings)

    return handle("on_job_state", event, config, each, executor=executor)
