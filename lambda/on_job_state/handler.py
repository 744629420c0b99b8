"""Lambda: Glue Job State Change -> alert on FAILED/TIMEOUT/STOPPED; on SUCCEEDED publish and go on.

Trigger: EventBridge rule on source aws.glue, detail-type "Glue Job State Change". The logic is
lakehouse.automation.handlers.on_job_state.
"""

import logging

from lakehouse.automation import handlers

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    return handlers.on_job_state(event, context, handlers.container_config())
