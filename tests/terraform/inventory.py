"""What an environment on the endpoint consists of, read back through the AWS APIs, in a comparable form.

The parity test compares this for the Terraform apply and for the tests' fast-path deployer: every
bucket with its encryption, versioning and public-access block; the key alias; every database, table
(columns, partition keys, SerDe, formats, location, parameters), job and crawler; every queue; the
Glue state rules with their patterns and targets; the raw bucket's notifications; the alerts
subscriptions.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from lakehouse import aws
from lakehouse.settings import DATA_ZONES, Settings


def _bucket(s3, name: str) -> dict:
    try:
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    except ClientError:
        rule = {}
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    return {
        "encryption": rule.get("ApplyServerSideEncryptionByDefault"),
        "bucket_key": rule.get("BucketKeyEnabled", False),
        "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
        "public_access_blocked": all(block.values()) and len(block) == 4,
    }


def _table(t: dict) -> dict:
    sd = t["StorageDescriptor"]
    return {
        "columns": [(c["Name"], c["Type"]) for c in sd["Columns"]],
        "partition_keys": [(c["Name"], c["Type"]) for c in t.get("PartitionKeys", [])],
        "serde": sd["SerdeInfo"].get("SerializationLibrary"),
        "serde_parameters": sd["SerdeInfo"].get("Parameters", {}),
        "input_format": sd.get("InputFormat"),
        "output_format": sd.get("OutputFormat"),
        "location": sd.get("Location"),
        "parameters": t.get("Parameters", {}),
        "table_type": t.get("TableType"),
    }


def inventory(settings: Settings) -> dict:
    prefix = f"{settings.project}-{settings.env}-"
    s3, glue = aws.client("s3", settings), aws.client("glue", settings)
    sqs, events, sns = (
        aws.client("sqs", settings),
        aws.client("events", settings),
        aws.client("sns", settings),
    )
    kms = aws.client("kms", settings)

    buckets = {
        b["Name"]: _bucket(s3, b["Name"])
        for b in s3.list_buckets()["Buckets"]
        if b["Name"].startswith(prefix)
    }
    key_arn = kms.describe_key(KeyId=settings.kms_alias)["KeyMetadata"]["Arn"]
    for b in buckets.values():  # key ids differ between two deployments: compare the key's role
        if b["encryption"] and b["encryption"].get("KMSMasterKeyID") == key_arn:
            b["encryption"] = {**b["encryption"], "KMSMasterKeyID": "<the environment's key>"}

    databases = {settings.database(z) for z in DATA_ZONES}
    tables = {
        f"{db}.{t['Name']}": _table(t)
        for db in sorted(databases)
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=db)
        for t in page["TableList"]
    }
    jobs = {}
    for name in glue.list_jobs()["JobNames"]:
        if name.startswith(prefix):
            job = glue.get_job(JobName=name)["Job"]
            args = job.get("DefaultArguments", {})
            jobs[name] = {
                "script": job["Command"]["ScriptLocation"],
                "max_concurrent_runs": job["ExecutionProperty"]["MaxConcurrentRuns"],
                "glue_version": job.get("GlueVersion"),
                "identity": {
                    k: v for k, v in args.items() if k in ("--dataset", "--model", "--project", "--env")
                },
                "contract": args.get("--contract_uri") or args.get("--model_uri"),
            }
    crawlers = {
        c["Name"]: [t["Path"] for t in c["Targets"]["S3Targets"]]
        for c in glue.get_crawlers()["Crawlers"]
        if c["Name"].startswith(prefix)
    }
    queues = sorted(
        url.rsplit("/", 1)[-1] for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    )
    rules = {}
    for rule in events.list_rules(NamePrefix=prefix)["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        rules[rule["Name"]] = {
            "pattern": json.loads(rule["EventPattern"]),
            "targets": sorted(t["Arn"] for t in targets),
        }
    notification = s3.get_bucket_notification_configuration(Bucket=settings.bucket("raw"))
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{prefix}alerts")
    )
    return {
        "buckets": buckets,
        "databases": sorted(
            d["Name"] for d in glue.get_databases()["DatabaseList"] if d["Name"] in databases
        ),
        "tables": tables,
        "jobs": jobs,
        "crawlers": crawlers,
        "queues": queues,
        "rules": rules,
        "raw_notifications": sorted(
            (c["QueueArn"], tuple(c["Events"])) for c in notification.get("QueueConfigurations", [])
        ),
        "alert_subscribers": sorted(
            s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        ),
    }
