"""boto3 clients, one per service per cold start.

No endpoint is passed: boto3 resolves AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_<SERVICE>) itself,
so the same code talks to AWS, moto or LocalStack.
"""

from __future__ import annotations

import os
from functools import cache

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config as BotoConfig

# Short timeouts: a Lambda batch must fail (and be retried) well inside its own timeout.
_BOTO = BotoConfig(
    connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=20
)

_ser = TypeSerializer()
_deser = TypeDeserializer()


@cache
def client(service: str):
    return boto3.session.Session().client(service, config=_BOTO)


def warm(*services: str) -> None:
    """Create a handler's clients in the cold start (Lambda's init phase) rather than on the first
    record that needs each one: a client costs megabytes of service model and tens of milliseconds,
    which otherwise land on one invocation long after the start. Only inside a function
    (AWS_LAMBDA_FUNCTION_NAME set): a test or tool importing a handler sets its environment
    afterwards."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        for service in services:
            client(service)


def to_item(value: dict) -> dict:
    """Python dict -> DynamoDB typed attribute map (floats go through Decimal via str)."""
    return {k: _ser.serialize(_ddb_safe(v)) for k, v in value.items() if v is not None}


def from_item(item: dict) -> dict:
    """DynamoDB typed attribute map (API or Streams NewImage) -> plain Python values."""
    return {k: _plain(_deser.deserialize(v)) for k, v in item.items()}


def _ddb_safe(value):
    from decimal import Decimal

    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _ddb_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_ddb_safe(v) for v in value]
    return value


def _plain(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def is_conditional_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")
