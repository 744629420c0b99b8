"""The test fast path's event plumbing: what terraform/envs/local creates, made with boto3 in a second.

`lakehouse deploy --env local` applies the Terraform; this module (with fast_deploy.py) exists only so
tests can reset the endpoint per case without an 80-second apply each time. A parity test
(tests/terraform/test_local_apply.py) asserts it creates exactly what the Terraform apply creates.

- Glue jobs `<project>-<env>-<dataset>-<stage>` (one concurrent run each) whose scripts and contracts are
  uploaded to the artifacts bucket; a crawler for datasets whose contract asks for one.
- S3 ObjectCreated notifications of the raw bucket -> SQS `<p>-<e>-raw-events`.
- EventBridge rules `<p>-<e>-job-state` and `<p>-<e>-crawler-state` on this environment's Glue jobs and
  crawlers -> SQS `<p>-<e>-glue-events`.
- SNS topic `<p>-<e>-alerts` with an SQS subscriber `<p>-<e>-alerts-inbox`, and a dead-letter queue
  `<p>-<e>-automation-dlq` for malformed events.

On AWS the queues' consumers are the Lambda functions; locally lakehouse.local.dispatcher reads them and
calls the same handlers in-process (the local endpoint does not run Lambda code).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lakehouse import aws
from lakehouse.contract.dataset import Contract
from lakehouse.contract.registry import BUILD_MODEL as MODEL_STAGE
from lakehouse.contract.registry import DATASET_STAGES as STAGES
from lakehouse.contract.registry import dataset_stages
from lakehouse.deploy.manifest import contract_key, model_key
from lakehouse.local.resources import find_alerts_topic, find_queue_url, queue_arn
from lakehouse.settings import Settings

__all__ = [  # the registry's names used below, and the look-ups tests use
    "MODEL_STAGE",
    "STAGES",
    "dataset_stages",
    "find_alerts_topic",
    "find_queue_url",
    "queue_arn",
]


def glue_rules(settings: Settings) -> dict[str, dict]:
    """The Glue state rules of modules/events (name -> pattern), scoped to this environment's names."""
    prefix = [{"prefix": f"{settings.project}-{settings.env}-"}]
    return {
        settings.resource("crawler-state"): {
            "source": ["aws.glue"],
            "detail-type": ["Glue Crawler State Change"],
            "detail": {"crawlerName": prefix, "state": ["Succeeded", "Failed"]},
        },
        settings.resource("job-state"): {
            "source": ["aws.glue"],
            "detail-type": ["Glue Job State Change"],
            "detail": {"jobName": prefix, "state": ["SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR"]},
        },
    }


def ensure_queue(settings: Settings, suffix: str) -> tuple[str, str]:
    """(url, created|unchanged) of an environment queue."""
    sqs = aws.client("sqs", settings)
    try:
        return sqs.get_queue_url(QueueName=settings.resource(suffix))["QueueUrl"], "unchanged"
    except sqs.exceptions.QueueDoesNotExist:
        return sqs.create_queue(QueueName=settings.resource(suffix))["QueueUrl"], "created"


def ensure_alerts_topic(settings: Settings) -> str:
    return aws.client("sns", settings).create_topic(Name=settings.resource("alerts"))[
        "TopicArn"
    ]  # idempotent


def upload_artifacts(
    settings: Settings, contracts: dict[str, Contract], glue_dir: Path, models: dict | None = None
) -> list[tuple[str, str]]:
    """Contracts, models and job scripts into the artifacts bucket (what the Glue jobs and Lambdas read)."""
    s3 = aws.client("s3", settings)
    bucket = settings.bucket("artifacts")
    files = {contract_key(c): c.path for c in contracts.values()}
    files |= {model_key(m): m.path for m in (models or {}).values()}
    files |= {f"glue/jobs/{stage}.py": glue_dir / f"{stage}.py" for stage in (*STAGES, MODEL_STAGE)}
    out = []
    for key, path in sorted(files.items()):
        body = path.read_bytes()
        try:
            same = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"') == hashlib.md5(body).hexdigest()
        except s3.exceptions.ClientError:
            same = None
        if not same:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        out.append(
            (f"s3://{bucket}/{key}", "unchanged" if same else "created" if same is None else "updated")
        )
    return out


def _ensure_job(glue, name: str, spec: dict) -> tuple[str, str]:
    try:
        glue.get_job(JobName=name)
        return name, "unchanged"
    except glue.exceptions.EntityNotFoundException:
        glue.create_job(Name=name, **spec)
        return name, "created"


def ensure_jobs(
    settings: Settings, contracts: dict[str, Contract], models: dict | None = None
) -> list[tuple[str, str]]:
    glue = aws.client("glue", settings)
    artifacts = settings.bucket("artifacts")
    out = []
    for model in (models or {}).values():
        out.append(
            _ensure_job(
                glue,
                settings.job_name(model.name, MODEL_STAGE),
                {
                    "Role": f"arn:aws:iam::123456789012:role/{settings.resource('glue-jobs')}",
                    "Command": {
                        "Name": "glueetl",
                        "ScriptLocation": f"s3://{artifacts}/glue/jobs/{MODEL_STAGE}.py",
                        "PythonVersion": "3",
                    },
                    "DefaultArguments": {
                        "--model": model.name,
                        "--project": settings.project,
                        "--env": settings.env,
                        "--model_uri": f"s3://{artifacts}/{model_key(model)}",
                    },
                    "ExecutionProperty": {"MaxConcurrentRuns": 1},
                    "GlueVersion": "5.1",
                },
            )
        )
    for contract in contracts.values():
        for stage in dataset_stages(contract):
            name = settings.job_name(contract.name, stage)
            spec = {
                "Role": f"arn:aws:iam::123456789012:role/{settings.resource('glue-jobs')}",
                "Command": {
                    "Name": "glueetl",
                    "ScriptLocation": f"s3://{artifacts}/glue/jobs/{stage}.py",
                    "PythonVersion": "3",
                },
                "DefaultArguments": {
                    "--dataset": contract.name,
                    "--project": settings.project,
                    "--env": settings.env,
                    "--contract_uri": f"s3://{artifacts}/{contract_key(contract)}",
                },
                "ExecutionProperty": {"MaxConcurrentRuns": 1},
                "GlueVersion": "5.1",
            }
            out.append(_ensure_job(glue, name, spec))
        if contract.crawl:
            crawler = settings.crawler_name(contract.name)
            try:
                glue.get_crawler(Name=crawler)
                out.append((crawler, "unchanged"))
            except glue.exceptions.EntityNotFoundException:
                glue.create_crawler(
                    Name=crawler,
                    Role=f"arn:aws:iam::123456789012:role/{settings.resource('crawler')}",
                    DatabaseName=settings.database("raw"),
                    Targets={"S3Targets": [{"Path": f"s3://{settings.bucket('raw')}/{contract.name}/"}]},
                    SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
                    RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
                    Configuration=json.dumps(
                        {
                            "Version": 1.0,
                            "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
                            "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                        }
                    ),
                )
                out.append((crawler, "created"))
    return out


def ensure_events(settings: Settings) -> list[tuple[str, str]]:
    """Queues, the raw bucket's notifications, the Glue state rule, the alerts topic and its inbox."""
    s3, events, sns = aws.client("s3", settings), aws.client("events", settings), aws.client("sns", settings)
    out, urls = [], {}
    for suffix in ("raw-events", "glue-events", "alerts-inbox", "automation-dlq"):
        urls[suffix], status = ensure_queue(settings, suffix)
        out.append((settings.resource(suffix), status))

    wanted = [
        {
            "Id": "raw-objects",
            "QueueArn": queue_arn(settings, urls["raw-events"]),
            "Events": ["s3:ObjectCreated:*"],
        }
    ]
    current = s3.get_bucket_notification_configuration(Bucket=settings.bucket("raw")).get(
        "QueueConfigurations", []
    )
    same = [(c.get("QueueArn"), c.get("Events")) for c in current] == [
        (w["QueueArn"], w["Events"]) for w in wanted
    ]
    if not same:
        s3.put_bucket_notification_configuration(
            Bucket=settings.bucket("raw"), NotificationConfiguration={"QueueConfigurations": wanted}
        )
    out.append((f"{settings.bucket('raw')} notifications", "unchanged" if same else "created"))

    for rule, wanted_pattern in glue_rules(settings).items():
        try:
            same = json.loads(events.describe_rule(Name=rule)["EventPattern"]) == wanted_pattern
        except events.exceptions.ResourceNotFoundException:
            same = False
        if not same:
            events.put_rule(Name=rule, EventPattern=json.dumps(wanted_pattern), State="ENABLED")
            events.put_targets(
                Rule=rule, Targets=[{"Id": "glue-events", "Arn": queue_arn(settings, urls["glue-events"])}]
            )
        out.append((rule, "unchanged" if same else "created"))

    existing = {t["TopicArn"].rsplit(":", 1)[-1] for t in sns.list_topics().get("Topics", [])}
    topic = ensure_alerts_topic(settings)
    inbox_arn = queue_arn(settings, urls["alerts-inbox"])
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    if not any(sub["Endpoint"] == inbox_arn for sub in subs):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    out.append(
        (settings.resource("alerts"), "unchanged" if settings.resource("alerts") in existing else "created")
    )
    return out
