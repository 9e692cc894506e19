"""The KMS requirement table (harness.emulator.kms_requirements) against resources held by moto in
this process: the key each service's resource is encrypted with, the kms actions AWS requires of
the caller, and the key policy that must allow the caller too."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws

from harness.emulator import kms_requirements
from harness.emulator.authorization import (
    RELATED_CHECKS,
    RESOURCE_POLICY_LOOKUPS,
    AccessDenied,
    Principal,
    authorize,
)

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = "fleettap-dev-coaching-role"
PRINCIPAL = Principal(ACCOUNT, ROLE, "fleettap-dev-coaching")
ROOT_DELEGATION = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    ],
}


@pytest.fixture
def aws(monkeypatch):
    # moto in this process: an AWS_ENDPOINT_URL another test's stack left in the environment would send
    # these clients to that stack instead.
    for variable in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(variable)
    with mock_aws():
        kms_requirements.install()
        try:
            yield lambda service: boto3.client(service, region_name=REGION)
        finally:
            RELATED_CHECKS.remove(kms_requirements.kms_requirements)
            RESOURCE_POLICY_LOOKUPS.remove(kms_requirements.key_policy_of)


def make_key(aws, policy: dict = ROOT_DELEGATION) -> str:
    key = aws("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]
    aws("kms").create_alias(AliasName="alias/fleettap-dev-data", TargetKeyId=key["KeyId"])
    return key["Arn"]


def role_with(aws, *statements: dict) -> None:
    iam = aws("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(ROOT_DELEGATION))
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="least-privilege",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )


def allow(action, resource, condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def test_sqs_send_needs_data_key_and_decrypt_on_the_key_arn_behind_the_alias(aws):
    key_arn = make_key(aws)
    url = aws("sqs").create_queue(QueueName="training", Attributes={"KmsMasterKeyId": "alias/fleettap-dev-data"})
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["QueueArn"])
    queue_arn = queue_arn["Attributes"]["QueueArn"]
    found = kms_requirements.kms_requirements("sqs:SendMessage", queue_arn, ACCOUNT, REGION)
    assert [(r.action, r.resource, r.code) for r in found] == [
        ("kms:GenerateDataKey", key_arn, "KMS.AccessDeniedException"),
        ("kms:Decrypt", key_arn, "KMS.AccessDeniedException"),
    ]
    assert found[0].context["kms:ViaService"] == "sqs.us-east-1.amazonaws.com"
    assert found[0].context["kms:EncryptionContext:aws:sqs:arn"] == queue_arn
    receive = kms_requirements.kms_requirements("sqs:ReceiveMessage", queue_arn, ACCOUNT, REGION)
    assert [r.action for r in receive] == ["kms:Decrypt"]
    assert kms_requirements.kms_requirements("sqs:DeleteMessage", queue_arn, ACCOUNT, REGION) == []


def test_role_allowed_send_but_not_the_queue_key_is_refused_with_sqs_kms_code(aws):
    key_arn = make_key(aws)
    aws("sqs").create_queue(QueueName="training", Attributes={"KmsMasterKeyId": key_arn})
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:training"
    role_with(aws, allow("sqs:SendMessage", queue_arn), allow("kms:Decrypt", key_arn))
    with pytest.raises(AccessDenied) as denied:
        authorize(PRINCIPAL, "sqs:SendMessage", queue_arn, REGION)
    assert (denied.value.action, denied.value.resource) == ("kms:GenerateDataKey", key_arn)
    assert denied.value.code == "KMS.AccessDeniedException"
    assert f"assumed-role/{ROLE}/" in str(denied.value) and "no identity-based policy allows" in str(denied.value)


def test_key_policy_without_iam_delegation_refuses_even_with_iam_allow(aws):
    only_logs = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:*", "Resource": "*"}
        ],
    }
    key_arn = make_key(aws, only_logs)
    aws("sqs").create_queue(QueueName="training", Attributes={"KmsMasterKeyId": key_arn})
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:training"
    role_with(aws, allow("sqs:SendMessage", queue_arn), allow(["kms:GenerateDataKey", "kms:Decrypt"], key_arn))
    with pytest.raises(AccessDenied) as denied:
        authorize(PRINCIPAL, "sqs:SendMessage", queue_arn, REGION)
    assert "no resource-based policy allows the kms:GenerateDataKey action" in str(denied.value)
    aws("kms").put_key_policy(KeyId=key_arn, PolicyName="default", Policy=json.dumps(ROOT_DELEGATION))
    authorize(PRINCIPAL, "sqs:SendMessage", queue_arn, REGION)


def test_via_service_condition_scopes_the_grant(aws):
    key_arn = make_key(aws)
    aws("kinesis").create_stream(StreamName="fleettap-dev-hos", ShardCount=1)
    stream_arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/fleettap-dev-hos"
    aws("kinesis").start_stream_encryption(StreamName="fleettap-dev-hos", EncryptionType="KMS", KeyId=key_arn)
    via_s3 = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    role_with(aws, allow("kinesis:PutRecords", stream_arn), allow("kms:GenerateDataKey", key_arn, via_s3))
    with pytest.raises(AccessDenied) as denied:
        authorize(PRINCIPAL, "kinesis:PutRecords", stream_arn, REGION)
    assert denied.value.code == "KMSAccessDeniedException"
    get = kms_requirements.kms_requirements("kinesis:GetRecords", stream_arn, ACCOUNT, REGION)
    assert [(r.action, r.resource) for r in get] == [("kms:Decrypt", key_arn)]


def test_s3_bucket_default_key_and_request_key(aws):
    key_arn = make_key(aws)
    other = aws("kms").create_key(Policy=json.dumps(ROOT_DELEGATION))["KeyMetadata"]["Arn"]
    s3 = aws("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_encryption(
        Bucket="reports",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    put = kms_requirements.kms_requirements("s3:PutObject", "arn:aws:s3:::reports/a.pdf", ACCOUNT, REGION)
    assert [(r.action, r.resource, r.code) for r in put] == [("kms:GenerateDataKey", key_arn, "AccessDenied")]
    assert put[0].context["kms:EncryptionContext:aws:s3:arn"] == "arn:aws:s3:::reports"  # bucket key
    own = {kms_requirements.S3_REQUEST_KEY: other}
    assert kms_requirements.kms_requirements("s3:PutObject", "arn:aws:s3:::reports/b", ACCOUNT, REGION, own)[
        0
    ].resource == (other)
    s3.put_object(Bucket="reports", Key="a.pdf", Body=b"%PDF-")
    get = kms_requirements.kms_requirements("s3:GetObject", "arn:aws:s3:::reports/a.pdf", ACCOUNT, REGION)
    assert [(r.action, r.resource) for r in get] == [("kms:Decrypt", key_arn)]
    s3.create_bucket(Bucket="plain")
    assert kms_requirements.kms_requirements("s3:PutObject", "arn:aws:s3:::plain/x", ACCOUNT, REGION) == []


def test_topic_secret_and_state_machine_keys_dynamodb_needs_none(aws):
    key_arn = make_key(aws)
    topic = aws("sns").create_topic(Name="alerts", Attributes={"KmsMasterKeyId": "alias/fleettap-dev-data"})
    publish = kms_requirements.kms_requirements("sns:Publish", topic["TopicArn"], ACCOUNT, REGION)
    assert [(r.action, r.code) for r in publish] == [
        ("kms:GenerateDataKey", "KMSAccessDenied"),
        ("kms:Decrypt", "KMSAccessDenied"),
    ]
    secret = aws("secretsmanager").create_secret(Name="redis", SecretString="t", KmsKeyId=key_arn)
    read = kms_requirements.kms_requirements("secretsmanager:GetSecretValue", secret["ARN"], ACCOUNT, REGION)
    assert [(r.action, r.resource) for r in read] == [("kms:Decrypt", key_arn)]
    plain = aws("secretsmanager").create_secret(Name="plain", SecretString="t")  # aws/secretsmanager
    assert kms_requirements.kms_requirements("secretsmanager:GetSecretValue", plain["ARN"], ACCOUNT, REGION) == []
    machine = aws("stepfunctions").create_state_machine(
        name="dot",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        encryptionConfiguration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": key_arn},
    )["stateMachineArn"]
    start = kms_requirements.kms_requirements("states:StartExecution", machine, ACCOUNT, REGION)
    assert [(r.action, r.code) for r in start] == [("kms:GenerateDataKey", "KmsAccessDeniedException")]
    assert start[0].context["kms:EncryptionContext:aws:states:stateMachineArn"] == machine
    execution = machine.replace(":stateMachine:", ":execution:") + ":run-1"
    described = kms_requirements.kms_requirements("states:DescribeExecution", execution, ACCOUNT, REGION)
    assert [(r.action, r.resource) for r in described] == [("kms:Decrypt", key_arn)]
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"
    assert kms_requirements.kms_requirements("dynamodb:PutItem", table, ACCOUNT, REGION) == []
