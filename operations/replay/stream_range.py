"""Re-reading a failed batch's records from its stream shard, while the stream still retains them.

GetShardIterator AT_SEQUENCE_NUMBER at the batch's start, then GetRecords until a record past its end
sequence number (or the shard's tip). Kinesis keeps records for the stream's retention period (24 h
by default, this stack: `kinesis_retention_hours`), DynamoDB Streams for 24 h; after that the range
cannot be recovered and `RecordsExpired` says so. The first record read must be the batch's first
one: a stream that trimmed it answers with a later record (or TrimmedDataAccessException), and
replaying only the rest would be silently partial.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from operations.replay.failure_records import FailedBatch

# Each GetRecords call counts against the shard's read limit (Kinesis: 5 calls/s per shard shared with
# the mappings that read it; DynamoDB Streams: a few per second). A replay reads slowly on purpose.
PAUSE_BETWEEN_READS_S = 0.25
MAX_EMPTY_READS = 20  # Kinesis may answer empty pages before the records: read on, but not forever
GONE_ERRORS = {"TrimmedDataAccessException", "ExpiredIteratorException", "ResourceNotFoundException"}


class RecordsExpired(RuntimeError):
    """The stream no longer holds (all of) the batch's records: it cannot be replayed from the stream."""


def read_range(batch: FailedBatch, kinesis: Any, streams: Any, pause_s: float = PAUSE_BETWEEN_READS_S) -> list[dict]:
    """The raw GetRecords entries of `batch`'s shard from its start to its end sequence number, in order."""
    if batch.source_kind == "kinesis":
        return _read(batch, _KinesisShard(kinesis, batch), pause_s)
    return _read(batch, _StreamsShard(streams, batch), pause_s)


class _KinesisShard:
    def __init__(self, kinesis: Any, batch: FailedBatch) -> None:
        self._kinesis, self._batch = kinesis, batch

    def iterator(self) -> str:
        return self._kinesis.get_shard_iterator(
            StreamARN=self._batch.stream_arn,
            ShardId=self._batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=self._batch.start_sequence,
        )["ShardIterator"]

    def page(self, iterator: str) -> tuple[list[dict], str | None, bool]:
        response = self._kinesis.get_records(ShardIterator=iterator, Limit=1000, StreamARN=self._batch.stream_arn)
        at_tip = int(response.get("MillisBehindLatest") or 0) == 0
        return response["Records"], response.get("NextShardIterator"), at_tip

    @staticmethod
    def sequence(record: dict) -> str:
        return record["SequenceNumber"]


class _StreamsShard:
    def __init__(self, streams: Any, batch: FailedBatch) -> None:
        self._streams, self._batch = streams, batch

    def iterator(self) -> str:
        return self._streams.get_shard_iterator(
            StreamArn=self._batch.stream_arn,
            ShardId=self._batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=self._batch.start_sequence,
        )["ShardIterator"]

    def page(self, iterator: str) -> tuple[list[dict], str | None, bool]:
        response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
        # DynamoDB Streams has no MillisBehindLatest: an empty page means nothing more is there yet.
        return response["Records"], response.get("NextShardIterator"), not response["Records"]

    @staticmethod
    def sequence(record: dict) -> str:
        return record["dynamodb"]["SequenceNumber"]


def _read(batch: FailedBatch, shard: Any, pause_s: float) -> list[dict]:
    try:
        iterator: str | None = shard.iterator()
        records: list[dict] = []
        empty_reads = 0
        while iterator:
            page, iterator, at_tip = shard.page(iterator)
            for record in page:
                sequence = shard.sequence(record)
                if not records and sequence != batch.start_sequence:
                    raise RecordsExpired(
                        f"{batch.shard_id}: the stream's oldest record in range is {sequence}, not the batch's first "
                        f"{batch.start_sequence} (trimmed: past the stream's retention)"
                    )
                if int(sequence) > int(batch.end_sequence):
                    return records
                records.append(record)
            if records and shard.sequence(records[-1]) == batch.end_sequence:
                return records
            empty_reads = 0 if page else empty_reads + 1
            if (at_tip and not page) or empty_reads >= MAX_EMPTY_READS:
                break
            time.sleep(pause_s)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in GONE_ERRORS or (code == "InvalidArgumentException" and "sequence" in str(error).lower()):
            raise RecordsExpired(f"{batch.shard_id}: {code}: {error}") from error
        raise
    if not records:
        raise RecordsExpired(f"{batch.shard_id}: no record from {batch.start_sequence} on is left in the stream")
    raise RecordsExpired(
        f"{batch.shard_id}: read up to {shard.sequence(records[-1])} but the batch ends at {batch.end_sequence}"
    )
