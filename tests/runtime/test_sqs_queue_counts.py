"""SQS queue depths (GetQueueAttributes) as moto counts them, with the emulator's one-clock counting
(harness/emulator/patches/sqs.py): visible, in flight and delayed messages, on a queue holding all three."""

from __future__ import annotations

import time

from moto.sqs.models import sqs_backends

from tests.runtime.helpers import unique

COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")


def _moto_counts(queue_name: str) -> dict[str, str]:
    """moto's own definitions, message by message (Message.visible / Message.delayed)."""
    queue = sqs_backends["123456789012"]["us-east-1"].queues[queue_name]
    messages = list(queue._messages)
    return {
        "ApproximateNumberOfMessages": str(sum(1 for m in messages if m.visible and not m.delayed)),
        "ApproximateNumberOfMessagesNotVisible": str(sum(1 for m in messages if not m.visible)),
        "ApproximateNumberOfMessagesDelayed": str(sum(1 for m in messages if m.delayed)),
    }


def test_queue_depths_count_visible_in_flight_and_delayed_messages(runtime_stack):
    sqs = runtime_stack.client("sqs")
    name = unique("depths")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
    for index in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{index}")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=300)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, WaitTimeSeconds=0)["Messages"]
    assert len(received) == 2
    time.sleep(0.01)

    answered = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNTS))["Attributes"]
    assert answered == {
        "ApproximateNumberOfMessages": "4",
        "ApproximateNumberOfMessagesNotVisible": "2",  # the 2 received (a delayed message counts as delayed only)
        "ApproximateNumberOfMessagesDelayed": "1",
    }
    assert answered == _moto_counts(name)
