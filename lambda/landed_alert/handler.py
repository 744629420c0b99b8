"""Lambda: records of interest in newly landed files of the alert dataset -> one SNS message per batch.

Trigger: S3 ObjectCreated on the raw bucket, under the alert dataset's prefix. What counts and what the
message says is the dataset's domain's alerts.py; the logic is lakehouse.automation.alerts.
"""

import logging

from lakehouse.automation import handlers

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    return handlers.landed_alert(event, context, handlers.container_config())
