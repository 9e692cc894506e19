"""A function's dead-letter queue for asynchronous invocations (DeadLetterConfig), as Lambda uses it.

When an asynchronous invocation (SNS, an EventBridge target, InvocationType=Event) still fails after
Lambda's two retries, Lambda sends the event to the function's DeadLetterConfig target (an SQS queue
or SNS topic) with the function's execution role: the message body is the event, with the message
attributes RequestID, ErrorCode (an HTTP-style status, 200 for a function error) and ErrorMessage
(at most 1 KB). The role needs sqs:SendMessage or sns:Publish on the target (and the target's key,
through `harness.emulator.authorization`); without it the event is dropped, as on AWS, and the
refusal is logged in the runtime's and the function's log.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from harness.runtime import service_roles
from harness.runtime.aws_clients import client

log = logging.getLogger(__name__)

ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}


def send_to_dead_letter_queue(function: Any, event: Any, result: Any, endpoint: str, region: str) -> bool:
    """Deliver a failed asynchronous event to the function's DLQ; False when it has none or is refused."""
    target = (getattr(function, "fleettap_dead_letter_config", None) or {}).get("TargetArn")
    service = target.split(":")[2] if target else ""
    if service not in ACTIONS:
        return False
    denied = service_roles.allowed(function.role, [(ACTIONS[service], target)], region)
    if denied is not None:
        service_roles.record_denial(
            f"dlq:{function.function_name}", denied, function.function_name, "asynchronous event dropped"
        )
        return False
    payload = result.payload if isinstance(result.payload, dict) else {}
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": str(payload.get("errorMessage", ""))[:1024] or "-"},
    }
    body = json.dumps(event)
    if service == "sqs":
        sqs = client("sqs", endpoint, region)
        parts = target.split(":")
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
    else:
        client("sns", endpoint, region).publish(TopicArn=target, Message=body, MessageAttributes=attributes)
    log.warning("async invoke of %s failed after retries: event sent to %s", function.function_name, target)
    return True
