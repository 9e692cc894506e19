"""The Terraform state bucket bootstrap (harness.state_bucket, make state-bucket) against the emulator:
what infra/backend/<env>.hcl names exists with SSE-KMS under its key, versioning, no public access and
TLS only, and a second run changes nothing."""

from __future__ import annotations

import json

import pytest

from harness import state_bucket
from tests.infra.conftest import ENVS


def test_every_environment_names_one_bucket_and_its_own_key():
    settings = {env: state_bucket.backend_settings(env) for env in ENVS}
    assert len({s["bucket"] for s in settings.values()}) == 1
    assert len({s["key"] for s in settings.values()}) == len(ENVS)
    assert all(
        s["kms_key_id"] == "alias/fleettap-terraform-state" and s["use_lockfile"] == "true" for s in settings.values()
    )


@pytest.mark.parametrize("runs", [2])
def test_the_bucket_is_made_once_with_kms_versioning_and_no_public_access(aws_client, runs):
    s3, kms = aws_client("s3"), aws_client("kms")
    settings = {**state_bucket.backend_settings("prod"), "bucket": "fleettap-terraform-state-test"}
    results = [state_bucket.ensure_bucket(s3, kms, settings) for _ in range(runs)]
    assert results[0] == results[1]  # idempotent: same key, same bucket
    bucket = settings["bucket"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": results[0]["kms_key"],
    }
    assert kms.get_key_rotation_status(KeyId=results[0]["kms_key"])["KeyRotationEnabled"] is True
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
