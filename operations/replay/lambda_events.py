"""The event Lambda sends a function for stream records, rebuilt from GetRecords entries.

Field names and shapes as in the AWS Lambda developer guide ("Using Lambda with Kinesis Data
Streams" / "... with DynamoDB"), the same the local runtime's pollers send
(harness/runtime/pollers/stream_sources.py; tests/unit/test_replay_events.py holds the two equal):
- Kinesis: `kinesis` {kinesisSchemaVersion, partitionKey, sequenceNumber, data (base64),
  approximateArrivalTimestamp (epoch seconds)}, eventSource `aws:kinesis`, eventID
  `<shardId>:<sequenceNumber>`, eventName `aws:kinesis:record`, invokeIdentityArn, awsRegion,
  eventSourceARN;
- DynamoDB Streams: the stream record as GetRecords returns it, with
  `dynamodb.ApproximateCreationDateTime` in epoch seconds, plus eventSourceARN and awsRegion.
A mapping's FilterCriteria is applied as Lambda applies it, so the function never sees a record its
mapping would have filtered out.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from operations.replay.failure_records import FailedBatch


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value or 0)


def kinesis_record(raw: dict, batch: FailedBatch, region: str, invoke_identity_arn: str = "") -> dict:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": raw["SequenceNumber"],
            "data": base64.b64encode(raw["Data"]).decode("ascii"),
            "approximateArrivalTimestamp": _epoch(raw.get("ApproximateArrivalTimestamp")),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{batch.shard_id}:{raw['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": invoke_identity_arn,
        "awsRegion": region,
        "eventSourceARN": batch.stream_arn,
    }


def dynamodb_record(raw: dict, batch: FailedBatch, region: str) -> dict:
    record = dict(raw)
    record["dynamodb"] = dict(
        raw["dynamodb"], ApproximateCreationDateTime=_epoch(raw["dynamodb"].get("ApproximateCreationDateTime"))
    )
    record["eventSourceARN"] = batch.stream_arn
    record["awsRegion"] = region
    return record


def build_event(
    raws: list[dict],
    batch: FailedBatch,
    region: str,
    filter_patterns: list[dict] | None = None,
    invoke_identity_arn: str = "",
) -> dict:
    """`{"Records": [...]}` for the raw GetRecords entries, minus what the mapping's filters drop."""
    if batch.source_kind == "kinesis":
        records = [kinesis_record(raw, batch, region, invoke_identity_arn) for raw in raws]
    else:
        records = [dynamodb_record(raw, batch, region) for raw in raws]
    if filter_patterns:
        # The runtime's matcher: Lambda's rules (Kinesis data / SQS body decoded as JSON) over
        # EventBridge pattern syntax, with moto's EventBridge matcher.
        from harness.runtime.pollers.filter_criteria import RecordFilter

        record_filter = RecordFilter(filter_patterns, batch.source_kind)
        records = [record for record in records if record_filter.matches(record)]
    return {"Records": records}
