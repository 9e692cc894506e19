"""Whether an event source mapping may read its source and write its on-failure destination with the
function's execution role, as Lambda's pollers do on AWS.

The permissions are those the Lambda developer guide lists for each source (the execution role's):
- Kinesis: kinesis:DescribeStream, DescribeStreamSummary, GetRecords, GetShardIterator, ListShards
  and, for an enhanced fan-out consumer (the mapping's source is the consumer's ARN), also
  kinesis:DescribeStreamConsumer and SubscribeToShard on the consumer (the managed policy
  AWSLambdaKinesisExecutionRole also has ListStreams, which Lambda's poller does not call on a
  stream and which has no stream-level resource);
- DynamoDB Streams: dynamodb:DescribeStream, GetRecords, GetShardIterator, ListStreams;
- SQS: sqs:ReceiveMessage, DeleteMessage, GetQueueAttributes;
plus, through the evaluator's KMS table, kms:Decrypt on the key of an encrypted stream or queue; and
for an on-failure destination sqs:SendMessage or sns:Publish (with that resource's key).

A refused mapping does not poll: the records stay in the stream or queue (as on AWS, until they
expire), the refusal is logged in the runtime's and the function's log once per change, and
`reason` says it for `make status`. Permissions are re-evaluated every RECHECK_S, so a fixed role
resumes the mapping where it stopped.
"""

from __future__ import annotations

import time
from typing import Any

from harness.emulator.authorization import AccessDenied
from harness.runtime import service_roles

RECHECK_S = 2.0

SOURCE_ACTIONS = {
    "kinesis": [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ],
    "dynamodb": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
    "sqs": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
}
DESTINATION_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}
CONSUMER_ACTIONS = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
CONSUMER_MARKER = "/consumer/"


def stream_of(source_arn: str) -> str:
    """The stream ARN of a Kinesis source: the ARN itself, or the stream an enhanced fan-out consumer
    (arn:...:stream/<name>/consumer/<consumer>:<created>) belongs to."""
    return source_arn.split(CONSUMER_MARKER, 1)[0]


def needed_actions(kind: str, source_arn: str) -> list[tuple[str, str]]:
    """(action, resource) pairs the poller's role needs to read `source_arn`."""
    stream = stream_of(source_arn) if kind == "kinesis" else source_arn
    needed = [(action, stream) for action in SOURCE_ACTIONS.get(kind, [])]
    if kind == "kinesis" and stream != source_arn:
        needed += [(action, source_arn) for action in CONSUMER_ACTIONS]
    return needed


def function_role(function_arn: str) -> str:
    from moto.awslambda.models import lambda_backends

    parts = function_arn.split(":")
    return lambda_backends[parts[4]][parts[3]].get_function(function_arn).role


class SourceAccess:
    """The mapping's access to its source, re-evaluated at most every RECHECK_S (thread-safe enough:
    pollers of one mapping may both re-evaluate; the answer is the same)."""

    def __init__(self, mapping: Any, region: str) -> None:
        self.mapping = mapping
        self.region = region
        self._checked_at = float("-inf")
        self._denied: AccessDenied | None = None

    @property
    def reason(self) -> str | None:
        return f"PROBLEM: {self._denied.message}" if self._denied is not None else None

    def denied(self) -> AccessDenied | None:
        """The refusal that keeps this mapping from reading its source now, or None."""
        now = time.monotonic()
        if now - self._checked_at < RECHECK_S:
            return self._denied
        self._checked_at = now
        actions = needed_actions(self.mapping.source_kind, self.mapping.event_source_arn)
        found = service_roles.allowed(function_role(self.mapping.function_arn), actions, self.region)
        self._note(found, "event source mapping does not poll; records stay in the source")
        return found

    def destination_denied(self, destination: str) -> AccessDenied | None:
        action = DESTINATION_ACTIONS.get(destination.split(":")[2])
        if action is None:
            return None
        found = service_roles.allowed(function_role(self.mapping.function_arn), [(action, destination)], self.region)
        if found is not None:
            self._record(found, "on-failure record not sent")
        return found

    def _note(self, found: AccessDenied | None, effect: str) -> None:
        previous, self._denied = self._denied, found
        if found is None:
            if previous is not None:
                service_roles.clear_denial(f"esm:{self.mapping.uuid}")
            return
        if previous is None or previous.message != found.message:
            self._record(found, effect)

    def _record(self, found: AccessDenied, effect: str) -> None:
        function_name = self.mapping.function_arn.split(":")[6]
        service_roles.record_denial(f"esm:{self.mapping.uuid}", found, function_name, effect)
