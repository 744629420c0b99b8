"""scripts/terraform/bootstrap_state.py on the local endpoint: the state bucket Terraform's backend needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.endpoint

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "terraform" / "bootstrap_state.py"


def _bootstrap(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_the_state_bucket_is_versioned_encrypted_and_private(endpoint_url):
    first = _bootstrap("--bucket", "lhtest-tfstate", "--region", "eu-west-1")
    assert first.returncode == 0, first.stderr
    assert "lhtest-tfstate (eu-west-1): created; not TLS-only: the endpoint speaks plain http" in first.stdout
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name="eu-west-1")
    assert s3.get_bucket_versioning(Bucket="lhtest-tfstate")["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket="lhtest-tfstate")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket="lhtest-tfstate")["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    # a plain-http emulator gets no TLS rule: Terraform's backend could not read its own state
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="lhtest-tfstate")
    s3.put_object(Bucket="lhtest-tfstate", Key="probe", Body=b"state")
    assert s3.get_object(Bucket="lhtest-tfstate", Key="probe")["Body"].read() == b"state"

    again = _bootstrap("--bucket", "lhtest-tfstate", "--region", "eu-west-1")
    assert again.returncode == 0 and "): exists" in again.stdout


def test_misuse_is_one_line_and_exit_2():
    out = _bootstrap("--region", "eu-west-1")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "bootstrap_state: error: the following arguments are required: --bucket"
    ]


def test_on_aws_the_state_bucket_denies_every_request_without_tls():
    sys.path.insert(0, str(SCRIPT.parent))
    from bootstrap_state import tls_only_policy

    (statement,) = tls_only_policy("acme-tfstate")["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
    assert statement["Resource"] == ["arn:aws:s3:::acme-tfstate", "arn:aws:s3:::acme-tfstate/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
