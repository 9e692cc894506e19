"""Event envelopes as AWS hands them to a function (pure: no AWS call).

- `sns_event`: an SNS -> Lambda subscription event (Records[].Sns with MessageAttributes);
- `firehose_event`: a Firehose data-transformation event of a Kinesis-sourced delivery stream;
- `step_functions_task`: the payload a `arn:aws:states:::lambda:invoke` Task passes (`{"step", "input"}`
  plus the Task's extra fields, as the DOT state machine's Parameters build it);
- `deploy_step_input`: what `aws_lambda_invocation.deploy_step` passes (`{"step": <key>}`).
"""

from __future__ import annotations

import base64
import json
import time
import uuid


def _iso_ms(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s)) + f".{int(epoch_s * 1000) % 1000:03d}Z"


def sns_event(topic_arn: str, message: dict, attributes: dict[str, str], now_s: float | None = None) -> dict:
    """One notification as SNS invokes a subscribed function: a single record (SNS never batches)."""
    now_s = time.time() if now_s is None else now_s
    message_id = str(uuid.uuid4())
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": None,
                    "Message": json.dumps(message, default=str, separators=(",", ":")),
                    "Timestamp": _iso_ms(now_s),
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {
                        name: {"Type": "String", "Value": str(value)} for name, value in attributes.items()
                    },
                },
            }
        ]
    }


def firehose_event(
    delivery_stream_arn: str, source_stream_arn: str, records: list[tuple[str, bytes]], region: str
) -> dict:
    """A transformation batch: each record's `recordId`, `approximateArrivalTimestamp` (epoch ms),
    base64 `data` and, the source being a Kinesis stream, its `kinesisRecordMetadata`."""
    now_ms = int(time.time() * 1000)
    out = []
    for index, (key, data) in enumerate(records):
        sequence = f"{49600000000000000000000000000000000000000000000000 + index}"
        out.append(
            {
                "recordId": f"{sequence}000000000000",
                "approximateArrivalTimestamp": now_ms,
                "data": base64.b64encode(data).decode("ascii"),
                "kinesisRecordMetadata": {
                    "shardId": "shardId-000000000000",
                    "partitionKey": key,
                    "approximateArrivalTimestamp": now_ms,
                    "sequenceNumber": sequence,
                    "subsequenceNumber": "",
                },
            }
        )
    return {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": delivery_stream_arn,
        "sourceKinesisStreamArn": source_stream_arn,
        "region": region,
        "records": out,
    }


def step_functions_task(step: str, state: dict, **extra) -> dict:
    """The Task's Payload: `{"step": step, "input": <the state>, **extra}` (infra/tap_stack.tf dot_task)."""
    return {"step": step, "input": state, **extra}


def deploy_step_input(key: str) -> dict:
    """aws_lambda_invocation.deploy_step's input: `jsonencode({ step = each.key })`."""
    return {"step": key}


def iso_instant(epoch_s: float) -> str:
    """An instant as Step Functions' context object writes it ($$.Execution.StartTime)."""
    return _iso_ms(epoch_s)
