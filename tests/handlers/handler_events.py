"""Lambda events shaped exactly as AWS delivers them to each trigger type."""

from __future__ import annotations

import base64
import json
import uuid

from boto3.dynamodb.types import TypeSerializer

from handlers.common.aws import to_item

_REGION = "us-east-1"
_ACCOUNT = "123456789012"


def kinesis_event(payloads: list, stream: str = "diagnostics", shard: str = "shardId-000000000000") -> dict:
    """payloads: dicts (JSON-encoded) or raw bytes (sent as-is, e.g. garbage)."""
    records = []
    for i, p in enumerate(payloads):
        data = p if isinstance(p, bytes) else json.dumps(p).encode()
        pk = p.get("vehicle_id", "x") if isinstance(p, dict) else "x"
        seq = f"4954{i:052d}"
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": pk,
                    "sequenceNumber": seq,
                    "data": base64.b64encode(data).decode(),
                    "approximateArrivalTimestamp": 1764000000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{seq}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{_ACCOUNT}:role/fleettap",
                "awsRegion": _REGION,
                "eventSourceARN": f"arn:aws:kinesis:{_REGION}:{_ACCOUNT}:stream/fleettap-test-{stream}",
            }
        )
    return {"Records": records}


def dynamodb_stream_event(
    items: list[dict], table: str, keys=("vehicle_id", "timestamp"), event_name: str = "INSERT"
) -> dict:
    records = []
    for i, item in enumerate(items):
        image = to_item(item)
        records.append(
            {
                "eventID": uuid.uuid4().hex,
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": _REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": 1764000000,
                    "Keys": {k: image[k] for k in keys},
                    "NewImage": image,
                    "SequenceNumber": f"{100000 + i}",
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": f"arn:aws:dynamodb:{_REGION}:{_ACCOUNT}:table/{table}/stream/2026-11-25T00:00:00.000",
            }
        )
    return {"Records": records}


def sns_envelope(message: dict, attrs: dict[str, str], topic_arn: str) -> dict:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Message": json.dumps(message),
        "Timestamp": "2026-11-25T12:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "x",
        "SigningCertURL": "https://example.invalid/c.pem",
        "UnsubscribeURL": "https://example.invalid/u",
        "MessageAttributes": {k: {"Type": "String", "Value": v} for k, v in attrs.items()},
    }


def sqs_event(
    messages: list,
    queue: str = "q",
    envelope: bool = True,
    attrs: dict[str, str] | None = None,
    topic_arn: str = "arn:aws:sns:us-east-1:123456789012:t",
) -> dict:
    """messages: dicts wrapped in an SNS envelope (or raw), or str bodies sent verbatim."""
    records = []
    attrs = attrs or {"severity": "high", "event_type": "anomaly"}
    for m in messages:
        if isinstance(m, str):
            body, mattrs = m, {}
        elif envelope:
            body, mattrs = json.dumps(sns_envelope(m, attrs, topic_arn)), {}
        else:
            body = json.dumps(m)
            mattrs = {
                k: {"stringValue": v, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
                for k, v in attrs.items()
            }
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764000000000",
                    "SenderId": "AIDA",
                    "ApproximateFirstReceiveTimestamp": "1764000000000",
                },
                "messageAttributes": mattrs,
                "md5OfBody": "x",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{_REGION}:{_ACCOUNT}:{queue}",
                "awsRegion": _REGION,
            }
        )
    return {"Records": records}


def sns_event(messages: list[dict], topic_arn: str, attrs: dict[str, str] | None = None) -> dict:
    attrs = attrs or {"severity": "high", "event_type": "x"}
    records = []
    for m in messages:
        env = sns_envelope(m, attrs, topic_arn)
        env.pop("SignatureVersion")
        records.append(
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {**env, "Subject": None, "SignatureVersion": "1"},
            }
        )
    return {"Records": records}


def firehose_event(payloads: list) -> dict:
    return {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": f"arn:aws:firehose:{_REGION}:{_ACCOUNT}:deliverystream/fleettap-test-diagnostics",
        "region": _REGION,
        "records": [
            {
                "recordId": f"{i:056d}",
                "approximateArrivalTimestamp": 1764000000000,
                "data": base64.b64encode(p if isinstance(p, bytes) else json.dumps(p).encode()).decode(),
                "kinesisRecordMetadata": {
                    "shardId": "shardId-000000000000",
                    "partitionKey": "p",
                    "approximateArrivalTimestamp": 1764000000000,
                    "sequenceNumber": f"{i}",
                    "subsequenceNumber": "",
                },
            }
            for i, p in enumerate(payloads)
        ],
    }


__all__ = [
    "kinesis_event",
    "dynamodb_stream_event",
    "sqs_event",
    "sns_event",
    "firehose_event",
    "sns_envelope",
    "TypeSerializer",
]
