"""Lambda: Glue Job State Change -> alert on FAILED/TIMEOUT/STOPPED; on SUCCEEDED publish and go on.

Trigger: EventBridge rule on source aws.glue, detail-type "Glue Job State Change". The logic is
lakehouse.automation.handlers.on_job_state.
"""

import functools
import logging

from lakehouse.automation import handlers

logging.getLogger().setLevel(logging.INFO)


@functools.cache
def config() -> handlers.Config:
    """This container's configuration, read at its first event: what it looks up (the project for a
    minute, the account, ledger entries) is kept as long as the container lives."""
    return handlers.Config.from_env()


def handler(event, context):
    return handlers.on_job_state(event, context, config())
