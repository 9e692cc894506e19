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
    """Python dict -> DynamoDB typed attribute map (floats go through Decimal via str); None values
    of maps are left out, None in a list is NULL. Same output as boto3's TypeSerializer on
    `_ddb_safe(value)`, errors included (NaN, Infinity, more than 38 digits, unsupported types)."""
    return {k: _attribute(v) for k, v in value.items() if v is not None}


def from_item(item: dict) -> dict:
    """DynamoDB typed attribute map (API or Streams NewImage) -> plain Python values (a number is
    an int when integral, else a float)."""
    return {k: _value(v) for k, v in item.items()}


# Every stream record is written or read as an item, so the common types are encoded here directly:
# boto3's serializer builds a Decimal under a trapping context for every number, which was most of
# diagnostics_processor's and location_tracker's CPU per record. Anything else takes boto3's path.
_MAX_INT = 10**38


def _attribute(value) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_MAX_INT < value < _MAX_INT:
        return {"N": str(value)}
    if kind is float:
        text = repr(value)
        if "e" not in text and "n" not in text:  # a plain decimal: Decimal(text) prints as text
            return {"N": text}
    elif kind is dict:
        return {"M": {k: _attribute(v) for k, v in value.items() if v is not None}}
    elif kind is list or kind is tuple:
        return {"L": [_attribute(v) for v in value]}
    elif value is None:
        return {"NULL": True}
    return _ser.serialize(_ddb_safe(value))


def _value(attribute: dict):
    if "S" in attribute:
        return attribute["S"]
    if "N" in attribute:
        return _number(attribute["N"])
    if "M" in attribute:
        return {k: _value(v) for k, v in attribute["M"].items()}
    if "L" in attribute:
        return [_value(v) for v in attribute["L"]]
    if "BOOL" in attribute:
        return attribute["BOOL"]
    if "NULL" in attribute:
        return None
    return _plain(_deser.deserialize(attribute))


def _number(text: str):
    """What `_plain(Decimal(text))` gives, without the Decimal for plain integers and decimals."""
    whole, dot, fraction = text.partition(".")
    digits = whole[1:] if whole[:1] in ("+", "-") else whole
    if (
        digits.isascii()
        and digits.isdigit()
        and (fraction.isascii() and fraction.isdigit() or not dot)
        and len(digits) + len(fraction) <= 38  # more is Inexact for DynamoDB's context: boto3 raises
    ):
        return int(whole) if not fraction.strip("0") else float(text)
    return _plain(_deser.deserialize({"N": text}))


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
