"""Small helpers shared by the runtime tests: unique names, observed invocations, waiting."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_for as wait_for  # one polling helper for every test tier


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def observed(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def create_stream(kinesis, shards: int = 1) -> str:
    name = unique("stream")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def put_json(kinesis, stream_arn: str, payloads: list[dict], key: Callable[[dict], str] = lambda p: "pk") -> list[str]:
    sequence_numbers = []
    for payload in payloads:
        response = kinesis.put_record(
            StreamARN=stream_arn, Data=json.dumps(payload).encode(), PartitionKey=key(payload)
        )
        sequence_numbers.append(response["SequenceNumber"])
    return sequence_numbers


def create_queue(sqs, attributes: dict | None = None) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=unique("queue"), Attributes=attributes or {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(sqs, url: str, expected: int, timeout_s: float = 20.0) -> list[dict]:
    messages: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while len(messages) < expected and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for message in response.get("Messages", []):
            messages.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def run_definition(stack, definition: dict, input_document: object, timeout_s: float = 60.0) -> dict:
    """Create a state machine of `definition` (the fixture function's role), run it with
    `input_document` and return DescribeExecution once it is no longer RUNNING."""
    from tests.runtime import fixture_function

    sfn = stack.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=unique("sm"), definition=json.dumps(definition), roleArn=fixture_function.role_arn(stack.client("iam"))
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(input_document))["executionArn"]
    return wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d, timeout_s=timeout_s
    )


def create_table(dynamodb, stream: bool = False) -> str:
    """A pay-per-request table keyed (pk S, sk N), with a NEW_AND_OLD_IMAGES stream when asked."""
    name = f"fast-{uuid.uuid4().hex[:8]}"
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return name
