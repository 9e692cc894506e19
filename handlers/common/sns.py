"""Publishing with the message attributes every topic carries (severity, event_type)."""

from __future__ import annotations

import json

from handlers.common.aws import client


def publish(topic_arn: str, message: dict, severity: str, event_type: str, **extra: str) -> str:
    attrs = {"severity": severity, "event_type": event_type, **extra}
    resp = client("sns").publish(
        TopicArn=topic_arn,
        Message=json.dumps(message, default=str, separators=(",", ":")),
        MessageAttributes={k: {"DataType": "String", "StringValue": str(v)} for k, v in attrs.items()},
    )
    return resp["MessageId"]
