"""Create the S3 bucket that holds the Terraform states, once per AWS account (the bootstrap).

    python -m harness.state_bucket --env prod [--endpoint-url URL]     # make state-bucket ENV=prod

Reads bucket, region and kms_key_id from infra/backend/<env>.hcl (every environment names the same
bucket, each its own key) and makes sure, idempotently, with the caller's credentials:
- a customer-managed KMS key with rotation, aliased as kms_key_id says, encrypts every object
  (default SSE-KMS with a bucket key; Terraform also asks for it per write);
- versioning is on (a bad apply's state can be restored), public access is blocked, object ownership
  is the bucket owner's, and a policy refuses any request not made over TLS.
The lock files of `use_lockfile` live next to each state in the same bucket. Nothing is deleted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

BACKEND_DIR = Path(__file__).resolve().parents[1] / "infra" / "backend"


def backend_settings(env: str, directory: Path = BACKEND_DIR) -> dict[str, str]:
    text = (directory / f"{env}.hcl").read_text()
    return {k: v.strip().strip('"') for k, v in re.findall(r"^\s*([a-z_]+)\s*=\s*([^#\n]+)", text, re.M)}


def ensure_key(kms, alias: str) -> str:
    """The ARN of the key behind `alias`, created (with rotation) when the alias does not exist."""
    try:
        return kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NotFoundException":
            raise
    key = kms.create_key(Description="Terraform states of fleettap (S3 backend)")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return key["Arn"]


def tls_only_policy(bucket: str, partition: str = "aws") -> str:
    arn = f"arn:{partition}:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def ensure_bucket(s3, kms, settings: dict[str, str]) -> dict[str, str]:
    bucket, region = settings["bucket"], settings["region"]
    key_arn = ensure_key(kms, settings["kms_key_id"])
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced", **extra)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket, key_arn.split(":")[1]))
    return {"bucket": bucket, "region": region, "kms_key": key_arn}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=("dev", "staging", "prod"), default="dev")
    parser.add_argument("--endpoint-url", help="an S3/KMS endpoint other than AWS's (the local emulator)")
    args = parser.parse_args(argv)
    settings = backend_settings(args.env)
    session = boto3.session.Session(region_name=settings["region"])
    s3 = session.client("s3", endpoint_url=args.endpoint_url)
    kms = session.client("kms", endpoint_url=args.endpoint_url)
    try:
        result = ensure_bucket(s3, kms, settings)
    except ClientError as error:
        print(f"state-bucket: {error}", file=sys.stderr)
        return 1
    print(f"state bucket {result['bucket']} ({result['region']}) ready, SSE-KMS {result['kms_key']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
