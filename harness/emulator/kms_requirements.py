"""The KMS permissions AWS requires of a caller that reads or writes a resource encrypted with a
customer managed key, and the key policy that must allow it (`harness.emulator.authorization`).

`install()` registers `kms_requirements` in `RELATED_CHECKS` and `key_policy_of` in
`RESOURCE_POLICY_LOOKUPS` (idempotent). For an action in `KMS_REQUIREMENTS` on a resource that moto
holds with a customer managed key (alias, key id or ARN resolved to the key ARN), the caller also
needs each listed kms action on the key ARN, with the condition keys AWS sets for the service
(`kms:ViaService`, `kms:CallerAccount`, the service's `kms:EncryptionContext:...`); and any kms
action on a key needs the key policy to allow the caller (directly, or the account root, which
delegates to IAM policies). A missing permission fails with the service's error code for it.

What AWS documents, per service (and what it does not require, so neither do we):
- SQS: SendMessage(Batch) kms:GenerateDataKey + kms:Decrypt; ReceiveMessage kms:Decrypt.
- SNS: Publish(Batch) kms:GenerateDataKey + kms:Decrypt.
- Kinesis: PutRecord(s) kms:GenerateDataKey; GetRecords kms:Decrypt.
- S3 (SSE-KMS: the request's key, else the object's, else the bucket default): PutObject
  kms:GenerateDataKey; GetObject kms:Decrypt.
- Secrets Manager: GetSecretValue kms:Decrypt.
- Step Functions (state machine with a customer managed key): StartExecution/StartSyncExecution
  kms:GenerateDataKey; DescribeExecution/GetExecutionHistory kms:Decrypt.
- DynamoDB: nothing of the caller. The table creator's grant lets DynamoDB use the key on every
  request; callers need only their DynamoDB permissions (AWS: "How Amazon DynamoDB uses AWS KMS").
- CloudWatch Logs: nothing of the caller; the logs service principal uses the key under the key policy.
An AWS managed key (alias/aws/...) or a key moto does not hold is not checked: its policy is AWS's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.emulator.authorization import RELATED_CHECKS, RESOURCE_POLICY_LOOKUPS, Requirement

SQS_CODE = "KMS.AccessDeniedException"
SNS_CODE = "KMSAccessDenied"
KINESIS_CODE = "KMSAccessDeniedException"
S3_CODE = "AccessDenied"
SECRETS_CODE = "AccessDeniedException"
STATES_CODE = "KmsAccessDeniedException"

_PRODUCE = ("kms:GenerateDataKey", "kms:Decrypt")
_DECRYPT = ("kms:Decrypt",)
_DATA_KEY = ("kms:GenerateDataKey",)

# service action -> (kms actions the caller needs on the resource's key, the service's error code)
KMS_REQUIREMENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "sqs:SendMessage": (_PRODUCE, SQS_CODE),
    "sqs:SendMessageBatch": (_PRODUCE, SQS_CODE),
    "sqs:ReceiveMessage": (_DECRYPT, SQS_CODE),
    "sns:Publish": (_PRODUCE, SNS_CODE),
    "sns:PublishBatch": (_PRODUCE, SNS_CODE),
    "kinesis:PutRecord": (_DATA_KEY, KINESIS_CODE),
    "kinesis:PutRecords": (_DATA_KEY, KINESIS_CODE),
    "kinesis:GetRecords": (_DECRYPT, KINESIS_CODE),
    "s3:PutObject": (_DATA_KEY, S3_CODE),
    "s3:GetObject": (_DECRYPT, S3_CODE),
    "secretsmanager:GetSecretValue": (_DECRYPT, SECRETS_CODE),
    "states:StartExecution": (_DATA_KEY, STATES_CODE),
    "states:StartSyncExecution": (_DATA_KEY, STATES_CODE),
    "states:DescribeExecution": (_DECRYPT, STATES_CODE),
    "states:GetExecutionHistory": (_DECRYPT, STATES_CODE),
}

# The request's own SSE-KMS key (PutObject), as the IAM condition key names it.
S3_REQUEST_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def kms_requirements(
    action: str, resource: str, account: str, region: str, context: Mapping[str, Any] | None = None
) -> list[Requirement]:
    """The kms permissions (on the key ARN) that `action` on `resource` needs besides its own."""
    wanted = _lookup(action)
    if wanted is None:
        return []
    kms_actions, code = wanted
    service = action.split(":")[0].lower()
    located = resource_key(service, action, resource, account, region, context or {})
    if located is None:
        return []
    key_arn, encryption_context = located
    condition_keys = {
        "kms:ViaService": f"{service}.{region}.amazonaws.com",
        "kms:CallerAccount": account,
        **{f"kms:EncryptionContext:{name}": value for name, value in encryption_context.items()},
    }
    return [Requirement(kms_action, key_arn, code, condition_keys) for kms_action in kms_actions]


kms_requirements.takes_context = True  # type: ignore[attr-defined]  # see authorization.RELATED_CHECKS


def key_policy_of(action: str, resource: str, account: str, region: str) -> str | None:
    """The key policy of a customer managed key, for any kms action on that key's ARN."""
    if not action.lower().startswith("kms:"):
        return None
    key = customer_managed_key(resource, account, region)
    return key.policy if key is not None else None


def customer_managed_key(key_id: str | None, account: str, region: str) -> Any | None:
    """moto's key for an alias, alias ARN, key id or key ARN, if it is a customer managed key."""
    if not key_id:
        return None
    if key_id.startswith("arn:"):
        parts = key_id.split(":")
        account, region = parts[4], parts[3]
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    name = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
    if name.startswith("alias/"):
        # Not moto's any_id_to_key_id: for an aws/ alias it creates the AWS managed key as a side effect.
        key = next((k for k in list(backend.keys.values()) if name in k.aliases), None)
    else:
        key = backend.keys.get(name.removeprefix("key/"))
    if key is None or getattr(key, "key_manager", "CUSTOMER") != "CUSTOMER":
        return None
    return key


def key_arn(key_id: str | None, account: str, region: str) -> str | None:
    key = customer_managed_key(key_id, account, region)
    return key.arn if key is not None else None


def install() -> None:
    """Register the KMS requirement table and key policies with the evaluator (idempotent)."""
    if kms_requirements not in RELATED_CHECKS:
        RELATED_CHECKS.append(kms_requirements)
    if key_policy_of not in RESOURCE_POLICY_LOOKUPS:
        RESOURCE_POLICY_LOOKUPS.append(key_policy_of)


# -- where each service keeps a resource's key ------------------------------------------------------


def _lookup(action: str) -> tuple[tuple[str, ...], str] | None:
    service, _, name = action.partition(":")
    for known, wanted in KMS_REQUIREMENTS.items():
        if known.lower() == f"{service.lower()}:{name.lower()}":
            return wanted
    return None


def resource_key(
    service: str, action: str, resource: str, account: str, region: str, context: Mapping[str, Any]
) -> tuple[str, dict[str, str]] | None:
    """(key ARN, encryption context) of the resource, or None when it has no customer managed key."""
    if resource.startswith("arn:"):
        parts = resource.split(":")
        region, account = parts[3] or region, parts[4] or account
    finder = _FINDERS.get(service)
    if finder is None:
        return None
    found = finder(action, resource, account, region, context)
    if found is None:
        return None
    key_id, encryption_context = found
    arn = key_arn(key_id, account, region)
    return (arn, encryption_context) if arn else None


def _sqs(action: str, resource: str, account: str, region: str, context: Mapping[str, Any]) -> Any:
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account][region].queues.get(resource.split(":")[-1])
    if queue is None or not getattr(queue, "kms_master_key_id", None):
        return None
    return queue.kms_master_key_id, {"aws:sqs:arn": queue.queue_arn}


def _sns(action: str, resource: str, account: str, region: str, context: Mapping[str, Any]) -> Any:
    from moto.sns.models import sns_backends

    topic = sns_backends[account][region].topics.get(resource)
    if topic is None or not topic.kms_master_key_id:
        return None
    return topic.kms_master_key_id, {"aws:sns:topicArn": topic.arn}


def _kinesis(action: str, resource: str, account: str, region: str, context: Mapping[str, Any]) -> Any:
    from moto.kinesis.models import kinesis_backends

    stream = kinesis_backends[account][region].streams.get(resource.split("/")[-1])
    if stream is None or stream.encryption_type != "KMS":
        return None
    return stream.key_id, {"aws:kinesis:arn": stream.arn}


def _s3(action: str, resource: str, account: str, region: str, context: Mapping[str, Any]) -> Any:
    from moto.s3.models import s3_backends

    bucket_name, _, object_key = resource.split(":::", 1)[-1].partition("/")
    bucket = s3_backends[account]["aws"].buckets.get(bucket_name)
    if bucket is None:
        return None
    default = _bucket_default_key(bucket)
    key_id, bucket_key = None, bool(default and default[1])
    request_key = next((v for k, v in context.items() if k.lower() == S3_REQUEST_KEY), None)
    if action.lower() == "s3:putobject":
        key_id = request_key or (default[0] if default else None)
    else:
        stored = bucket.keys.get(object_key) if object_key else None
        if stored is not None:
            if getattr(stored, "encryption", None) != "aws:kms":
                return None
            key_id = stored.kms_key_id or (default[0] if default else None)
            bucket_key = bool(getattr(stored, "bucket_key_enabled", None)) or bucket_key
        elif default:
            key_id = default[0]
    if not key_id:
        return None
    # With an S3 Bucket Key the encryption context is the bucket's ARN, else the object's.
    return key_id, {"aws:s3:arn": f"arn:aws:s3:::{bucket_name}" if bucket_key else resource}


def _bucket_default_key(bucket: Any) -> tuple[str, bool] | None:
    rules = (bucket.encryption or {}).get("Rule") or []
    for rule in rules if isinstance(rules, list) else [rules]:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and default.get("KMSMasterKeyID"):
            return default["KMSMasterKeyID"], str(rule.get("BucketKeyEnabled", "false")).lower() == "true"
    return None


def _secretsmanager(action: str, resource: str, account: str, region: str, context: Mapping[str, Any]) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    secret = secretsmanager_backends[account][region].secrets.get(resource)
    if secret is None or not getattr(secret, "kms_key_id", None):
        return None  # aws/secretsmanager: the AWS managed key
    return secret.kms_key_id, {"SecretARN": secret.arn}


def _states(action: str, resource: str, account: str, region: str, context: Mapping[str, Any]) -> Any:
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    machine_arn = resource
    if ":execution:" in resource:  # arn:...:execution:<machine>:<name> -> arn:...:stateMachine:<machine>
        head, _, tail = resource.partition(":execution:")
        machine_arn = f"{head}:stateMachine:{tail.split(':')[0].split('/')[0]}"
    # The interpreter's backend when executions run (harness.runtime.hooks), else moto's plain one.
    machines = [
        *stepfunctions_parser_backends[account][region].state_machines,
        *stepfunctions_backends[account][region].state_machines,
    ]
    machine = next((m for m in machines if m.arn == machine_arn), None)
    config = getattr(machine, "encryptionConfiguration", None) or {}
    if config.get("type") != "CUSTOMER_MANAGED_KMS_KEY":
        return None
    return config.get("kmsKeyId"), {"aws:states:stateMachineArn": machine_arn}


_FINDERS = {
    "sqs": _sqs,
    "sns": _sns,
    "kinesis": _kinesis,
    "s3": _s3,
    "secretsmanager": _secretsmanager,
    "states": _states,
}
