"""Lambda: Glue Crawler State Change -> on Succeeded request the dataset's job; on Failed alert.

Trigger: EventBridge rule on source aws.glue, detail-type "Glue Crawler State Change". The logic is
lakehouse.automation.handlers.on_crawler_state.
"""

import logging

from lakehouse.automation import handlers

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    return handlers.on_crawler_state(event, context, handlers.container_config())
