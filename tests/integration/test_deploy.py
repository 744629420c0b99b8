"""The tests' fast-path deployer (local/deploy.py): from the contracts, idempotently. Its parity with the
Terraform apply is tests/terraform/test_local_apply.py."""

from __future__ import annotations

import pytest

from lakehouse import aws
from lakehouse.aws.catalog import Catalog
from lakehouse.contract.tables import tables_for
from lakehouse.settings import KMS_ZONES, ZONES
from tests.support.fast_deploy import deploy

pytestmark = pytest.mark.endpoint


def test_deploy_creates_everything_then_changes_nothing(settings, clickstream):
    first = deploy(settings)
    assert {c.status for c in first} == {"created"}
    assert {c.name for c in first if c.kind == "bucket"} == {f"lhtest-local-{z}" for z in ZONES}
    again = deploy(settings)
    assert {c.status for c in again} == {"unchanged"} and len(again) == len(first)


def test_buckets_are_encrypted_with_the_environment_key_and_private(deployed):
    s3, kms = aws.client("s3", deployed), aws.client("kms", deployed)
    key_arn = kms.describe_key(KeyId="alias/lhtest-local")["KeyMetadata"]["Arn"]
    for zone in KMS_ZONES:
        bucket = deployed.bucket(zone)
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": key_arn,
        }
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values())


def test_tables_match_the_contract(deployed, clickstream):
    catalog = Catalog(deployed)
    for spec in tables_for(clickstream, deployed):
        table = catalog.get_table(spec.database, spec.name)
        assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == list(spec.columns)
        assert [(c["Name"], c["Type"]) for c in table["PartitionKeys"]] == list(spec.partition_keys)
    raw = catalog.get_table(deployed.database("raw"), "clickstream")
    assert (
        raw["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    )


def test_deploy_converges_a_drifted_table(deployed):
    glue = aws.client("glue", deployed)
    table = glue.get_table(DatabaseName=deployed.database("gold"), Name="dim_users")["Table"]
    table["StorageDescriptor"]["Columns"] = table["StorageDescriptor"]["Columns"][:2]
    glue.update_table(
        DatabaseName=deployed.database("gold"),
        TableInput={
            k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
        },
    )
    changes = {c.name: c.status for c in deploy(deployed)}
    assert changes[f"{deployed.database('gold')}.dim_users"] == "updated"
    assert {s for n, s in changes.items() if not n.endswith(".dim_users")} == {"unchanged"}
