"""Reading a Kinesis or DynamoDB Streams shard straight from moto's backend when it lives in this process.

Why: the runtime's pollers and Firehose reader run inside the emulator process; reading a shard over
HTTP made that process serve its own request (werkzeug, moto's request parsing and serializer,
botocore's parser): 7-12 ms per 100 Kinesis records and 160-240 ms per 100 stream records, against
about 0.5 and 1.6 ms read directly (docs/benchmarks.md).

What stays the same: the read goes through the same backend methods the API calls (so the
retention trims, the shard locks and the iterator encoding of harness/emulator/patches apply), and
the answer has the shape and values botocore would have parsed (Kinesis `Data` as bytes, times as
epoch seconds truncated to milliseconds, as moto's serializer writes them). The checks a poller
makes are its own and unchanged: the mapping's `SourceAccess` (the function role's kinesis:/dynamodb:
permissions and the stream key's kms:Decrypt) runs before every read, as before; the HTTP read was
made with the emulator's admin credentials, so no request-level check is skipped.

Each function returns None, and the caller reads over HTTP, when the fast paths are off
(FLEETTAP_FAST_PATHS=off, `harness.emulator.fast_responses.enabled`) or the stream is not held by a
moto backend of this process (a runtime pointed at another emulator).
"""

from __future__ import annotations

import base64
from typing import Any

from harness.emulator import fast_responses


def _account_region_name(arn: str) -> tuple[str, str, str]:
    parts = arn.split(":", 5)
    return parts[4], parts[3], parts[5]


def kinesis_get_records(stream_arn: str, shard_iterator: str, limit: int) -> dict[str, Any] | None:
    """GetRecords as botocore parses it (`Records`, `NextShardIterator`, `MillisBehindLatest`), or None."""
    if not fast_responses.enabled():
        return None
    from moto.kinesis.models import kinesis_backends

    account, region, resource = _account_region_name(stream_arn)
    backend = kinesis_backends[account][region]
    if resource.split("/", 1)[-1] not in backend.streams:
        return None
    next_iterator, records, behind = backend.get_records(stream_arn, shard_iterator, limit)
    return {
        "Records": [
            {
                "Data": base64.b64decode(record.data),
                "PartitionKey": record.partition_key,
                "SequenceNumber": str(record.sequence_number),
                "ApproximateArrivalTimestamp": float(fast_responses.epoch_seconds(record.created_at_datetime)),
            }
            for record in records
        ],
        "NextShardIterator": next_iterator,
        "MillisBehindLatest": behind,
    }


def dynamodb_stream_get_records(stream_arn: str, shard_iterator: str, limit: int) -> dict[str, Any] | None:
    """Streams GetRecords (`Records`, `NextShardIterator`), or None.

    Records are copies down to their `dynamodb` map (the images are moto's, to be read, not changed),
    with `ApproximateCreationDateTime` in epoch seconds; binary attribute values are bytes, as
    botocore parses them.
    """
    if not fast_responses.enabled():
        return None
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    account, region, resource = _account_region_name(stream_arn)
    table = resource.split("/")[1]
    if table not in dynamodb_backends[account][region].tables:
        return None
    answer = dynamodbstreams_backends[account][region].get_records(shard_iterator, limit)
    records = []
    for raw in answer["Records"]:
        stream = dict(raw["dynamodb"])
        created = stream.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            stream["ApproximateCreationDateTime"] = float(fast_responses.epoch_seconds(created))
        records.append(dict(raw, dynamodb=stream))
    return {"Records": records, "NextShardIterator": answer.get("NextShardIterator")}
