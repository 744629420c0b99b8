"""Lambda: an object landed in the raw zone -> register its partition at once; crawl or request the job.

Trigger: S3 ObjectCreated on the raw bucket (notification, via SQS, or EventBridge). The logic is
lakehouse.automation.handlers.on_raw_object; configuration comes from LAKEHOUSE_* variables.
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
    return handlers.on_raw_object(event, context, config())
