"""The invocation records a stream mapping sends its on-failure destination, parsed into `FailedBatch`.

Lambda's record (AWS Lambda developer guide, "Retaining discarded batches for a Kinesis / DynamoDB
Streams event source") carries `requestContext` (functionArn, condition, approximateInvokeCount) and
`KinesisBatchInfo` or `DDBStreamBatchInfo` (shardId, startSequenceNumber, endSequenceNumber,
batchSize, streamArn, arrival times of the first and last record). A destination queue may hold
other messages too (this stack's function DLQs also receive the handlers' per-record dead letters
and failed asynchronous events): `parse` returns None for anything that is not a stream batch's
invocation record, so the drain leaves it where it is. An SNS destination delivered to a queue wraps
the record in SNS's envelope; `parse` unwraps it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BATCH_INFO_KEYS = {"KinesisBatchInfo": "kinesis", "DDBStreamBatchInfo": "dynamodb"}


@dataclass(frozen=True)
class FailedBatch:
    """One discarded batch: which stream shard and sequence numbers, for which function, and why."""

    source_kind: str  # "kinesis" | "dynamodb"
    stream_arn: str
    shard_id: str
    start_sequence: str
    end_sequence: str
    batch_size: int
    function_arn: str
    condition: str  # RetryAttemptsExhausted | RecordAgeExceeded | ...
    first_arrival: str
    last_arrival: str

    def __post_init__(self) -> None:
        if int(self.start_sequence) > int(self.end_sequence):
            raise ValueError(f"start sequence {self.start_sequence} is after end sequence {self.end_sequence}")

    def contains(self, sequence_number: str) -> bool:
        """Whether a record's sequence number lies in [start, end] (numeric order, as the services define it)."""
        return int(self.start_sequence) <= int(sequence_number) <= int(self.end_sequence)

    def describe(self) -> str:
        return (
            f"{self.source_kind} {self.stream_arn} {self.shard_id} "
            f"{self.start_sequence}..{self.end_sequence} ({self.batch_size} records, {self.condition})"
        )


def _unwrap(body: Any) -> Any:
    if isinstance(body, dict) and body.get("Type") == "Notification" and isinstance(body.get("Message"), str):
        try:
            return json.loads(body["Message"])
        except ValueError:
            return None
    return body


def parse(message_body: str) -> FailedBatch | None:
    """The failed batch a destination message describes, or None when the message is not a stream
    batch's invocation record (a per-record dead letter, an async failure, anything else)."""
    try:
        body = _unwrap(json.loads(message_body))
    except (TypeError, ValueError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("requestContext"), dict):
        return None
    for key, kind in BATCH_INFO_KEYS.items():
        info = body.get(key)
        if not isinstance(info, dict):
            continue
        try:
            return FailedBatch(
                source_kind=kind,
                stream_arn=info["streamArn"],
                shard_id=info["shardId"],
                start_sequence=str(info["startSequenceNumber"]),
                end_sequence=str(info["endSequenceNumber"]),
                batch_size=int(info.get("batchSize") or 0),
                function_arn=body["requestContext"].get("functionArn", ""),
                condition=body["requestContext"].get("condition", ""),
                first_arrival=info.get("approximateArrivalOfFirstRecord", ""),
                last_arrival=info.get("approximateArrivalOfLastRecord", ""),
            )
        except (KeyError, TypeError, ValueError):
            return None
    return None
