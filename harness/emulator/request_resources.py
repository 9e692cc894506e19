"""What an AWS request asks IAM for: the (action, resource ARN) pairs AWS authorizes it against.

Contract: `resolve(request, lookups)` -> the pairs, every one of which the caller must be allowed
(AWS's request authorization, identity-based part). One request can need several: BatchWriteItem
and TransactWriteItems name each table (a transaction's items each need their own action), a Glue
table call needs the catalog, the database and the table, an S3 PutObject with an Object Lock
retain-until date also needs s3:PutObjectRetention, and a GetObject/HeadObject of a missing key also
needs s3:ListBucket (without it S3 answers 403 instead of 404).

The resource is the ARN AWS documents for the action ("Resource types" in the Service Authorization
Reference): DynamoDB index ARNs for Query/Scan with IndexName, queue ARNs from a QueueUrl, the full
secret ARN (with its random suffix) whatever form of SecretId the call used, the key ARN behind a KMS
alias, lowercase SageMaker endpoint names, qualified Lambda ARNs when the call names a version or
alias. An action AWS does not authorize per resource (ListTables, PutMetricData, ...) is asked for
on "*", as is any operation this module does not know (a policy must then grant it on "*").

Lookups that need the emulator's state (a secret's ARN, a KMS alias's key, whether an S3 object
exists) go through `lookups` (`harness.emulator.resource_lookups.MotoLookups` in the emulator), so
this module is pure and unit-tested per service (tests/unit/test_request_resources.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

Need = tuple[str, str]

# Credential-scope signing name -> IAM action prefix, where they differ.
IAM_PREFIX = {"monitoring": "cloudwatch", "runtime.sagemaker": "sagemaker"}


class Lookups(Protocol):
    def secret_arn(self, account: str, region: str, secret_id: str) -> str | None: ...

    def kms_key_arn(self, account: str, region: str, key_id: str) -> str | None: ...

    def kms_key_of_ciphertext(self, account: str, region: str, blob: Any) -> str | None: ...

    def s3_object_exists(self, account: str, bucket: str, key: str) -> bool: ...


@dataclass(frozen=True)
class ApiRequest:
    """One request as the emulator received it."""

    service: str  # the credential scope's signing name: dynamodb, sqs, s3, states, monitoring ...
    operation: str  # the API operation: PutItem, SendMessage, Invoke ...
    account: str
    region: str
    params: Mapping[str, Any] = field(default_factory=dict)  # JSON body, or query/form parameters
    path: str = "/"  # the URL path (REST APIs name the resource there)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    s3_resource: str | None = None  # moto computes the S3 resource ARN (bucket or bucket/key) itself
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"


def resolve(request: ApiRequest, lookups: Lookups) -> list[Need]:
    """The (IAM action, resource ARN) pairs the request needs; see the module docstring."""
    prefix = IAM_PREFIX.get(request.service, request.service)
    resolver = RESOLVERS.get(request.service)
    needs = resolver(request, lookups) if resolver else None
    return needs if needs else [(f"{prefix}:{request.operation}", "*")]


def _param(request: ApiRequest, *names: str) -> str | None:
    for name in names:
        value = request.params.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


# -- DynamoDB (and DynamoDB Streams, signed "dynamodb" too) ------------------------------------

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _table_arn(request: ApiRequest, name: str) -> str:
    return name if name.startswith("arn:") else request.arn("dynamodb", f"table/{name}")


def _dynamodb(request: ApiRequest, lookups: Lookups) -> list[Need]:
    op = request.operation
    action = f"dynamodb:{op}"
    if op in ("BatchWriteItem", "BatchGetItem"):
        return [(action, _table_arn(request, table)) for table in (request.params.get("RequestItems") or {})]
    if op in ("TransactWriteItems", "TransactGetItems"):
        needs: list[Need] = []
        for item in request.params.get("TransactItems") or []:
            for kind, body in item.items():
                wanted = "dynamodb:GetItem" if kind == "Get" else f"dynamodb:{_TRANSACT_ACTIONS.get(kind, kind)}"
                need = (wanted, _table_arn(request, body.get("TableName", "")))
                if need not in needs:
                    needs.append(need)
        return needs
    stream = _param(request, "StreamArn")
    if stream:
        return [(action, stream)]
    table = _param(request, "TableName")
    if not table:
        return []
    resource = _table_arn(request, table)
    index = _param(request, "IndexName")
    if index and op in ("Query", "Scan"):
        resource = f"{resource}/index/{index}"
    return [(action, resource)]


# -- SQS --------------------------------------------------------------------------------------


def queue_arn(request: ApiRequest, queue_url: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> from a QueueUrl (any host: AWS's or the emulator's)."""
    parsed = urlparse(queue_url)
    parts = [part for part in parsed.path.split("/") if part]
    account, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (request.account, parts[-1] if parts else "")
    host = parsed.hostname or ""
    region = request.region
    if host.startswith("sqs.") and host.endswith(".amazonaws.com"):
        region = host.split(".")[1]
    return request.arn("sqs", name, region=region, account=account)


def _sqs(request: ApiRequest, lookups: Lookups) -> list[Need]:
    url = _param(request, "QueueUrl")
    if url:
        return [(f"sqs:{request.operation}", queue_arn(request, url))]
    name = _param(request, "QueueName")
    if name:
        owner = _param(request, "QueueOwnerAWSAccountId") or request.account
        return [(f"sqs:{request.operation}", request.arn("sqs", name, account=owner))]
    return []


# -- SNS --------------------------------------------------------------------------------------


def _sns(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"sns:{request.operation}"
    topic = _param(request, "TopicArn", "TargetArn", "ResourceArn")
    if topic:
        return [(action, topic)]
    subscription = _param(request, "SubscriptionArn")
    if subscription:  # a subscription is authorized on its topic: arn:...:<topic>:<subscription id>
        return [(action, subscription.rsplit(":", 1)[0])]
    if request.operation == "CreateTopic" and _param(request, "Name"):
        return [(action, request.arn("sns", _param(request, "Name") or ""))]
    return []


# -- Kinesis ----------------------------------------------------------------------------------


def _kinesis(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"kinesis:{request.operation}"
    consumer = _param(request, "ConsumerARN")
    if consumer:
        return [(action, consumer)]
    stream = _param(request, "StreamARN")
    if stream:
        return [(action, stream)]
    name = _param(request, "StreamName")
    if name:
        return [(action, request.arn("kinesis", f"stream/{name}"))]
    return []


# -- S3 ---------------------------------------------------------------------------------------

# moto's S3 action names (ACTION_MAP and the list handlers) -> IAM actions, where they differ.
_S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "GetBucketCORS": "GetBucketCORS",
    "ListAllMyBuckets": "ListAllMyBuckets",
    "ListBuckets": "ListAllMyBuckets",
}


def _s3(request: ApiRequest, lookups: Lookups) -> list[Need]:
    resource = request.s3_resource or "*"
    action = f"s3:{_S3_ACTIONS.get(request.operation, request.operation)}"
    needs = [(action, resource)]
    bucket_key = resource.split(":::", 1)[1] if ":::" in resource else ""
    bucket, _, key = bucket_key.partition("/")
    if action == "s3:PutObject" and key:
        if request.headers.get("x-amz-object-lock-retain-until-date") or request.headers.get("x-amz-object-lock-mode"):
            needs.append(("s3:PutObjectRetention", resource))
        if request.headers.get("x-amz-object-lock-legal-hold"):
            needs.append(("s3:PutObjectLegalHold", resource))
    if action == "s3:GetObject" and key and bucket and not lookups.s3_object_exists(request.account, bucket, key):
        # A missing key: without s3:ListBucket, S3 answers 403 AccessDenied rather than 404.
        needs.append(("s3:ListBucket", f"arn:{request.partition}:s3:::{bucket}"))
    return needs


# -- Secrets Manager --------------------------------------------------------------------------


def _arn_of(found: str | None, request: ApiRequest, identifier: str, service: str, resource: str) -> str:
    """The ARN the emulator found for an identifier, else the identifier if it is an ARN, else the
    ARN AWS would build from it (`service`, `resource`)."""
    if found:
        return found
    return identifier if identifier.startswith("arn:") else request.arn(service, resource)


def _secret(request: ApiRequest, lookups: Lookups, secret_id: str) -> str:
    found = lookups.secret_arn(request.account, request.region, secret_id)
    return _arn_of(found, request, secret_id, "secretsmanager", f"secret:{secret_id}")


def _secretsmanager(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"secretsmanager:{request.operation}"
    secret_id = _param(request, "SecretId", "Name")
    if secret_id:
        return [(action, _secret(request, lookups, secret_id))]
    ids = request.params.get("SecretIdList") or []
    return [(action, _secret(request, lookups, secret_id)) for secret_id in ids]


# -- Lambda (REST: the function is in the path) -----------------------------------------------

_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}


def function_arn(request: ApiRequest, name: str, qualifier: str | None = None) -> str:
    """The function ARN from a FunctionName (name, partial ARN or ARN, possibly name:qualifier)."""
    name = unquote(name)
    parts = name.split(":")
    if name.startswith("arn:"):
        region, account, function = parts[3], parts[4], parts[6]
        qualifier = parts[7] if len(parts) > 7 else qualifier
    elif len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:qualifier]
        region, account, function = request.region, parts[0], parts[2]
        qualifier = parts[3] if len(parts) > 3 else qualifier
    else:
        region, account, function = request.region, request.account, parts[0]
        qualifier = parts[1] if len(parts) > 1 else qualifier
    suffix = f":{qualifier}" if qualifier else ""
    return request.arn("lambda", f"function:{function}{suffix}", region=region, account=account)


def _lambda(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"lambda:{_LAMBDA_ACTIONS.get(request.operation, request.operation)}"
    marker = "/functions/"
    if marker not in request.path:
        return []
    name = request.path.split(marker, 1)[1].split("/")[0]
    if not name:
        return []
    return [(action, function_arn(request, name, _param(request, "Qualifier")))]


# -- Step Functions ---------------------------------------------------------------------------


def _states(request: ApiRequest, lookups: Lookups) -> list[Need]:
    arn = _param(request, "executionArn", "stateMachineArn", "mapRunArn", "activityArn", "resourceArn")
    if arn:
        return [(f"states:{request.operation}", arn)]
    if request.operation == "CreateStateMachine" and _param(request, "name"):
        return [(f"states:{request.operation}", request.arn("states", f"stateMachine:{_param(request, 'name')}"))]
    return []


# -- CloudWatch (signed "monitoring"), Firehose, SageMaker runtime ----------------------------


def _cloudwatch(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"cloudwatch:{request.operation}"
    names = request.params.get("AlarmNames") or ([_param(request, "AlarmName")] if _param(request, "AlarmName") else [])
    if isinstance(names, str):
        names = [names]
    return [(action, request.arn("cloudwatch", f"alarm:{name}")) for name in names]  # PutMetricData & co: "*"


def _firehose(request: ApiRequest, lookups: Lookups) -> list[Need]:
    name = _param(request, "DeliveryStreamName")
    if not name:
        return []
    return [(f"firehose:{request.operation}", request.arn("firehose", f"deliverystream/{name}"))]


def _sagemaker_runtime(request: ApiRequest, lookups: Lookups) -> list[Need]:
    marker = "/endpoints/"
    if marker not in request.path:
        return []
    name = unquote(request.path.split(marker, 1)[1].split("/")[0])
    # SageMaker ARNs carry resource names in lower case.
    return [(f"sagemaker:{request.operation}", request.arn("sagemaker", f"endpoint/{name.lower()}"))]


# -- Glue, Athena -----------------------------------------------------------------------------


def _glue(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"glue:{request.operation}"
    if "Crawler" in request.operation and _param(request, "Name", "CrawlerName"):
        return [(action, request.arn("glue", f"crawler/{_param(request, 'Name', 'CrawlerName')}"))]
    database = _param(request, "DatabaseName")
    if database is None and request.operation in ("GetDatabase", "DeleteDatabase", "UpdateDatabase"):
        database = _param(request, "Name")
    if database is None:
        return []
    needs = [(action, request.arn("glue", "catalog")), (action, request.arn("glue", f"database/{database}"))]
    table = _param(request, "TableName") or (_param(request, "Name") if "Table" in request.operation else None)
    if table:
        needs.append((action, request.arn("glue", f"table/{database}/{table}")))
    elif request.operation in ("GetTables", "SearchTables"):
        needs.append((action, request.arn("glue", f"table/{database}/*")))
    return needs


def _athena(request: ApiRequest, lookups: Lookups) -> list[Need]:
    workgroup = _param(request, "WorkGroup") or "primary"
    return [(f"athena:{request.operation}", request.arn("athena", f"workgroup/{workgroup}"))]


# -- KMS --------------------------------------------------------------------------------------


def _kms_key(request: ApiRequest, lookups: Lookups, key_id: str) -> str:
    found = lookups.kms_key_arn(request.account, request.region, key_id)
    return _arn_of(found, request, key_id, "kms", f"key/{key_id}")


def _kms(request: ApiRequest, lookups: Lookups) -> list[Need]:
    action = f"kms:{request.operation}"
    if request.operation == "ReEncrypt":
        needs = []
        source = _param(request, "SourceKeyId") or lookups.kms_key_of_ciphertext(
            request.account, request.region, request.params.get("CiphertextBlob")
        )
        if source:
            needs.append(("kms:ReEncryptFrom", _kms_key(request, lookups, source)))
        if _param(request, "DestinationKeyId"):
            needs.append(("kms:ReEncryptTo", _kms_key(request, lookups, _param(request, "DestinationKeyId") or "")))
        return needs
    key_id = _param(request, "KeyId", "TargetKeyId")
    if key_id is None and request.operation == "Decrypt":
        key_id = lookups.kms_key_of_ciphertext(request.account, request.region, request.params.get("CiphertextBlob"))
    if not key_id:
        return []
    needs = [(action, _kms_key(request, lookups, key_id))]
    alias = _param(request, "AliasName")
    if alias and request.operation in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        needs.append((action, request.arn("kms", alias)))
    return needs


# -- STS --------------------------------------------------------------------------------------


# -- ElastiCache --------------------------------------------------------------------------------


def _elasticache(request: ApiRequest, lookups: Lookups) -> list[Need]:
    """Replication group operations act on arn:...:elasticache:<region>:<account>:replicationgroup:<id>
    (ModifyReplicationGroup of the redis_auth deploy step); cache cluster ones on cluster:<id>."""
    action = f"elasticache:{request.operation}"
    group = _param(request, "ReplicationGroupId")
    if group:
        return [(action, request.arn("elasticache", f"replicationgroup:{group}"))]
    cluster = _param(request, "CacheClusterId")
    return [(action, request.arn("elasticache", f"cluster:{cluster}"))] if cluster else []


def _sts(request: ApiRequest, lookups: Lookups) -> list[Need]:
    role = _param(request, "RoleArn")
    return [(f"sts:{request.operation}", role)] if role else []


RESOLVERS: dict[str, Callable[[ApiRequest, Lookups], list[Need]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "kinesis": _kinesis,
    "s3": _s3,
    "secretsmanager": _secretsmanager,
    "lambda": _lambda,
    "states": _states,
    "monitoring": _cloudwatch,
    "firehose": _firehose,
    "sagemaker": _sagemaker_runtime,
    "runtime.sagemaker": _sagemaker_runtime,
    "glue": _glue,
    "athena": _athena,
    "kms": _kms,
    "elasticache": _elasticache,
    "sts": _sts,
}
