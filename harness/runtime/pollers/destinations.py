"""On-failure destinations of stream mappings: the invocation record Lambda sends to SQS or SNS
when it gives up on a batch (the record describes the batch; it does not contain the data)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

from harness.runtime.aws_clients import client

log = logging.getLogger(__name__)


def invocation_record(
    function_arn: str, batch_info: dict[str, Any], condition: str, attempts: int, result: Any
) -> dict[str, Any]:
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": getattr(result, "function_error", None) or "",
        },
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        **batch_info,
    }


def send_to_on_failure_destination(
    mapping: Any, batch_info: dict[str, Any], condition: str, attempts: int, result: Any, endpoint: str, region: str
) -> None:
    destination = mapping.on_failure_destination
    if not destination:
        return
    body = json.dumps(invocation_record(mapping.function_arn, batch_info, condition, attempts, result))
    service = destination.split(":")[2]
    if service == "sqs":
        sqs = client("sqs", endpoint, region)
        account, name = destination.split(":")[4], destination.split(":")[5]
        queue_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    elif service == "sns":
        client("sns", endpoint, region).publish(TopicArn=destination, Message=body)
    else:
        log.warning("unsupported on-failure destination %s", destination)
