"""Lambda: purchases in newly landed clickstream files -> one SNS message per batch (ids and amounts only).

Trigger: S3 ObjectCreated on the raw bucket, prefix clickstream/. The logic is
lakehouse.automation.handlers.purchase_alert.
"""

import logging

from lakehouse.automation import handlers

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    return handlers.purchase_alert(event, context)
