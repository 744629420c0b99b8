"""Lambda: an object landed in the raw zone -> register its partition at once; crawl or request the job.

Trigger: S3 ObjectCreated on the raw bucket (notification, via SQS, or EventBridge). The logic is
lakehouse.automation.handlers.on_raw_object; configuration comes from LAKEHOUSE_* variables.
"""

import logging

from lakehouse.automation import handlers

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    return handlers.on_raw_object(event, context, handlers.container_config())
