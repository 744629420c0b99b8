"""Look-ups of the local environment's event plumbing that `lakehouse deploy` (Terraform) created.

The dispatcher reads the queues terraform/envs/local points S3 notifications and Glue state rules at,
and the handlers it calls send alerts to the environment's topic. These functions only look up: a
missing queue or topic means the environment was not deployed, which they say in one line.
"""

from __future__ import annotations

from lakehouse import aws
from lakehouse.errors import NotDeployed
from lakehouse.settings import Settings


def find_queue_url(settings: Settings, suffix: str, sqs=None) -> str:
    """The URL of the environment queue `<project>-<env>-<suffix>`."""
    sqs = sqs or aws.client("sqs", settings)
    name = settings.resource(suffix)
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        raise NotDeployed(f"queue {name} not found: run `lakehouse deploy --env {settings.env}`") from None


def queue_arn(settings: Settings, url: str, sqs=None) -> str:
    sqs = sqs or aws.client("sqs", settings)
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def find_alerts_topic(settings: Settings, sns=None) -> str:
    """The ARN of the environment's alerts topic `<project>-<env>-alerts`."""
    sns = sns or aws.client("sns", settings)
    name = settings.resource("alerts")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"]
    raise NotDeployed(f"topic {name} not found: run `lakehouse deploy --env {settings.env}`")
