"""The tests' fast path: what `terraform/envs/local` creates, made with boto3 in about a second.

`lakehouse deploy --env local` applies the Terraform (lakehouse.local.terraform). Tests reset the
endpoint for every case and cannot spend an apply on each, so they deploy through here; the parity
test in tests/terraform/test_local_apply.py asserts both produce the same buckets (encryption,
versioning), databases, tables (columns, partition keys, SerDe, location), queues, rules,
notifications and jobs. Idempotent: a second run reports "unchanged".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from lakehouse import aws
from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import create_bucket_if_absent
from lakehouse.contract.dataset import load_contracts
from lakehouse.contract.model import load_models
from lakehouse.contract.tables import audit_table, model_tables, quality_table, tables_for
from lakehouse.settings import DATA_ZONES, KMS_ZONES, ZONES, Settings
from tests.support import wiring


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    status: str  # created | updated | unchanged


def ensure_kms_key(settings: Settings) -> tuple[str, str]:
    kms = aws.client("kms", settings)
    try:
        meta = kms.describe_key(KeyId=settings.kms_alias)["KeyMetadata"]
        return meta["Arn"], "unchanged"
    except kms.exceptions.NotFoundException:
        meta = kms.create_key(Description=f"{settings.project} {settings.env} lakehouse data key")[
            "KeyMetadata"
        ]
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        kms.create_alias(AliasName=settings.kms_alias, TargetKeyId=meta["KeyId"])
        return meta["Arn"], "created"


def ensure_bucket(settings: Settings, name: str, key_arn: str | None) -> str:
    """A private, versioned bucket: SSE-KMS under key_arn, or SSE-S3 when key_arn is None (logs)."""
    s3 = aws.client("s3", settings)
    status = "created" if create_bucket_if_absent(s3, name, settings.region) else "unchanged"
    wanted = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn} if key_arn else {"SSEAlgorithm": "AES256"}
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        current = rules[0]["ApplyServerSideEncryptionByDefault"]
    except ClientError:
        current = {}
    if current != wanted:
        rule = {"ApplyServerSideEncryptionByDefault": wanted} | (
            {"BucketKeyEnabled": True} if key_arn else {}
        )
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
        status = "updated" if status == "unchanged" else status
    if s3.get_bucket_versioning(Bucket=name).get("Status") != "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    block = {
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }
    try:
        current_block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError:
        current_block = {}
    if current_block != block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        status = "updated" if status == "unchanged" else status
    return status


def deploy(settings: Settings, glue_dir: Path = Path("glue/jobs")) -> list[Change]:
    """Create or converge every resource of the environment; returns what happened to each."""
    contracts = load_contracts(settings.domains)
    changes: list[Change] = []
    key_arn, status = ensure_kms_key(settings)
    changes.append(Change("kms key", settings.kms_alias, status))
    for zone in ZONES:
        bucket = settings.bucket(zone)
        key = key_arn if zone in KMS_ZONES else None
        changes.append(Change("bucket", bucket, ensure_bucket(settings, bucket, key)))
    catalog = Catalog(settings)
    for zone in DATA_ZONES:
        db = settings.database(zone)
        changes.append(Change("database", db, catalog.ensure_database(db, f"{settings.project} {zone} zone")))
    specs = [audit_table(settings), quality_table(settings)]
    for contract in contracts.values():
        specs.extend(tables_for(contract, settings))
    models = load_models(settings.domains)
    for model in models.values():
        specs.extend(model_tables(model, settings))
    specs = list({s.qualified: s for s in specs}.values())  # dim_date is shared: one definition
    for spec in specs:
        changes.append(Change(f"{spec.zone} table", spec.qualified, catalog.ensure_table(spec)))
    changes += [
        Change("artifact", name, status)
        for name, status in wiring.upload_artifacts(settings, contracts, glue_dir, models)
    ]
    changes += [
        Change("glue", name, status) for name, status in wiring.ensure_jobs(settings, contracts, models)
    ]
    changes += [Change("events", name, status) for name, status in wiring.ensure_events(settings)]
    return changes
