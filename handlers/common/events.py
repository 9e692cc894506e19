"""Payloads out of AWS event records, exactly as AWS delivers them."""

from __future__ import annotations

import base64
import json
from typing import Any

from handlers.common.aws import from_item
from handlers.common.errors import PoisonRecord


def kinesis_data(raw_record: dict) -> bytes:
    try:
        return base64.b64decode(raw_record["kinesis"]["data"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PoisonRecord("MALFORMED_EVENT", f"kinesis data not base64: {exc}") from exc


def dynamodb_new_image(raw_record: dict) -> dict | None:
    """The NewImage as plain values, or None for REMOVE events (TTL expiry); PoisonRecord
    (MALFORMED_IMAGE) for an image that is not DynamoDB's attribute-value JSON."""
    stream = raw_record.get("dynamodb") if isinstance(raw_record, dict) else None
    image = stream.get("NewImage") if isinstance(stream, dict) else None
    if not image:
        return None
    if not isinstance(image, dict):
        raise PoisonRecord("MALFORMED_IMAGE", f"NewImage is {type(image).__name__}")
    try:
        return from_item(image)
    except (TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
        raise PoisonRecord("MALFORMED_IMAGE", f"NewImage is not DynamoDB JSON: {exc}") from exc


def _attrs_from_sns(attrs: dict | None) -> dict[str, str]:
    if not isinstance(attrs, dict):
        return {}  # attributes are optional; malformed ones are ignored, the message still decides
    return {k: v.get("Value") for k, v in attrs.items() if isinstance(v, dict)}


def _attrs_from_sqs(attrs: dict | None) -> dict[str, str]:
    if not isinstance(attrs, dict):
        return {}
    return {k: v.get("stringValue") for k, v in attrs.items() if isinstance(v, dict)}


def sqs_message(raw_record: dict) -> tuple[dict, dict[str, str]]:
    """(message, attributes) of an SQS record whose body is an SNS envelope or a raw message."""
    try:
        body: Any = json.loads(raw_record["body"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PoisonRecord("MALFORMED_JSON", f"SQS body is not JSON: {exc}") from exc
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        try:
            message = json.loads(body["Message"])
        except (TypeError, ValueError) as exc:
            raise PoisonRecord("MALFORMED_JSON", f"SNS Message is not JSON: {exc}") from exc
        attrs = _attrs_from_sns(body.get("MessageAttributes"))
    else:
        message, attrs = body, _attrs_from_sqs(raw_record.get("messageAttributes"))
    if not isinstance(message, dict):
        raise PoisonRecord("NOT_AN_OBJECT", f"message is {type(message).__name__}")
    return message, attrs


def sns_message(raw_record: dict) -> tuple[dict, dict[str, str]]:
    """(message, attributes) of one record of an SNS -> Lambda event."""
    sns = raw_record.get("Sns") or {}
    try:
        message = json.loads(sns["Message"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PoisonRecord("MALFORMED_JSON", f"SNS Message is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise PoisonRecord("NOT_AN_OBJECT", f"message is {type(message).__name__}")
    return message, _attrs_from_sns(sns.get("MessageAttributes"))
