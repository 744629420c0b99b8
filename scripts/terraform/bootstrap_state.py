"""Create the S3 bucket that holds Terraform state: once per account, before the first `make init`.

Versioned (every state is recoverable), encrypted by default, public access blocked, TLS-only. The
S3 backend's native lock file (`use_lockfile = true`) needs nothing else: no DynamoDB table.
Honours AWS_ENDPOINT_URL like the rest of the kit, so it also runs against LocalStack or moto.

Usage: python scripts/terraform/bootstrap_state.py --bucket NAME [--region REGION]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import boto3

from lakehouse.aws.storage import create_bucket_if_absent


def tls_only_policy(bucket: str) -> dict:
    """Deny every request to the state bucket that is not made over TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def bootstrap(bucket: str, region: str) -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    tls_only = not (endpoint or "").startswith("http://")  # an emulator over plain http
    s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
    status = "created" if create_bucket_if_absent(s3, bucket, region) else "exists"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            k: True
            for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    if tls_only:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket)))
        status += "; TLS-only"
    else:
        status += "; not TLS-only: the endpoint speaks plain http, and the rule would lock every client out"
    return status


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="bootstrap_state", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="state bucket name (globally unique)")
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    args = parser.parse_args(argv)
    if not args.region:
        parser.error("--region (or AWS_REGION) is required")
    status = bootstrap(args.bucket, args.region)
    print(f"state bucket {args.bucket} ({args.region}): {status}; versioned, SSE-KMS, private")
    return 0


if __name__ == "__main__":
    sys.exit(main())
