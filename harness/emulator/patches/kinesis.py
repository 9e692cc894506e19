"""Kinesis: CreateStream tags, record retention (see `retention`), constant-time shard reads,
PutRecord's 1 MiB record limit, each shard's write throughput (1,000 records and 1 MiB per second),
and GetRecords/PutRecords answered without moto's serializer.

One lock, KINESIS_LOCK, covers trims and every write and read of a stream: moto's Shard.put_record
reads the last sequence number and then inserts, so two concurrent PutRecords calls could otherwise
hand out the same number.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.kinesis.models import KinesisBackend, Record, Shard, Stream
from moto.kinesis.responses import KinesisResponse
from moto.kinesis.utils import decompose_shard_iterator

from harness.emulator import fast_responses
from harness.emulator.patches import retention
from harness.emulator.patches.registry import patch

KINESIS_LOCK = threading.RLock()
KINESIS_MAX_RECORD_BYTES = 1_048_576  # data blob (before base64) plus partition key
SHARD_WRITE_RECORDS_PER_S = 1000  # per shard, provisioned mode (Kinesis quotas)
SHARD_WRITE_BYTES_PER_S = 1_048_576
SHARD_LIMITS_ENV = "FLEETTAP_KINESIS_SHARD_LIMITS"  # on (default) | off
THROTTLED = "ProvisionedThroughputExceededException"


@patch(target=KinesisResponse.create_stream)
def create_stream_with_tags(fn: Any, self: KinesisResponse) -> Any:
    """Kinesis CreateStream: the `Tags` parameter is applied.

    Gap: the provider passes tags (default_tags included) in CreateStream and reads them back with
    ListTagsForStream; moto drops them, so every plan wants to re-add all tags.
    Fix: apply them with AddTagsToStream semantics right after the stream is created.
    """
    result = fn(self)
    tags = self._get_param("Tags")
    if tags:
        self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
    return result


@patch(target=KinesisResponse.put_record)
def put_record_size_limit(fn: Any, self: KinesisResponse) -> Any:
    """Kinesis PutRecord: a record (data blob plus partition key) is at most 1 MiB.

    Gap: moto enforces the 1 MiB record limit in PutRecords only; PutRecord stores a record of any size.
    Fix: refuse it with the ValidationException PutRecords gives, before anything is stored.
    """
    data = self._get_param("Data") or ""
    size = len(base64.b64decode(data)) + len((self._get_param("PartitionKey") or "").encode("utf-8"))
    if size > KINESIS_MAX_RECORD_BYTES:
        raise JsonRESTError(
            "ValidationException",
            "1 validation error detected: Value at 'data' failed to satisfy constraint: "
            f"Member must have length less than or equal to {KINESIS_MAX_RECORD_BYTES}",
        )
    return fn(self)


# ------------------------------------------------------------------------------------ shard throughput


def shard_limits_enabled() -> bool:
    """Whether shard write throughput is enforced (FLEETTAP_KINESIS_SHARD_LIMITS, default on)."""
    return (os.environ.get(SHARD_LIMITS_ENV) or "on").strip().lower() not in ("0", "off", "false", "no")


def write_clock() -> float:
    """The clock the shard budgets read (a module function, so tests can hold it still)."""
    return time.monotonic()


class ShardWriteBudget:
    """What a shard may still take: token buckets of one second of its write throughput."""

    __slots__ = ("records", "data_bytes", "at")

    def __init__(self, now: float) -> None:
        self.records = float(SHARD_WRITE_RECORDS_PER_S)
        self.data_bytes = float(SHARD_WRITE_BYTES_PER_S)
        self.at = now

    def take(self, size: int, now: float) -> bool:
        """Spend one record of `size` bytes if the shard has room for it at `now`; False if not."""
        elapsed = max(0.0, now - self.at)
        self.at = now
        self.records = min(float(SHARD_WRITE_RECORDS_PER_S), self.records + elapsed * SHARD_WRITE_RECORDS_PER_S)
        self.data_bytes = min(float(SHARD_WRITE_BYTES_PER_S), self.data_bytes + elapsed * SHARD_WRITE_BYTES_PER_S)
        if self.records < 1.0 or self.data_bytes < size:
            return False
        self.records -= 1.0
        self.data_bytes -= size
        return True


def _record_bytes(partition_key: str, data: str) -> int:
    """A record's size as the quota counts it: the data blob (sent base64) plus the partition key."""
    return len(data) * 3 // 4 - data[-2:].count("=") + len(partition_key.encode("utf-8"))


@patch(target=Stream.put_record)
def put_record_within_shard_throughput(
    fn: Any, self: Stream, partition_key: str, explicit_hash_key: str, data: str
) -> tuple[str | None, str]:
    """Kinesis shard writes: at most 1,000 records and 1 MiB per second per shard (provisioned mode).

    Gap: moto stores any number of records per second in one shard. AWS refuses what a shard cannot
    take with ProvisionedThroughputExceededException: PutRecord fails, and PutRecords fails those
    entries only (the others are stored). A load test that sends more than its shards take would pass
    locally and be throttled on AWS. Fix: a budget per shard (`ShardWriteBudget`); a refused record is
    not stored and comes back with no sequence number, which `put_records_trims`/`put_record_trims`
    turn into the error AWS answers. On-demand streams and FLEETTAP_KINESIS_SHARD_LIMITS=off: no limit.
    """
    if self.stream_mode.get("StreamMode") != "ON_DEMAND" and shard_limits_enabled():
        shard = self.get_shard_for_key(partition_key, explicit_hash_key)
        if shard is not None:
            now = write_clock()
            budget = getattr(shard, "fleettap_write_budget", None)
            if budget is None:
                budget = shard.fleettap_write_budget = ShardWriteBudget(now)
            if not budget.take(_record_bytes(partition_key, data or ""), now):
                return None, shard.shard_id
    return fn(self, partition_key, explicit_hash_key, data)


def _throttled_message(backend: KinesisBackend, stream: Any, shard_id: str) -> str:
    return f"Rate exceeded for shard {shard_id} in stream {stream.stream_name} under account {backend.account_id}."


# ------------------------------------------------------------------------------------ retention


def trim_kinesis_shard(shard: Any, retention_s: float, now: float | None = None) -> int:
    """Drop the shard's records older than `retention_s`; returns how many were dropped.

    Records are held in arrival order (an OrderedDict keyed by sequence number), so this looks at the
    oldest one only until it finds one inside the retention. The highest trimmed sequence number is
    kept so that a shard trimmed empty does not start numbering again at 1.
    """
    cutoff = (now if now is not None else retention.now()) - retention_s
    records = shard.records
    dropped = 0
    with KINESIS_LOCK:
        while records:
            sequence = next(iter(records))
            record = records[sequence]
            if getattr(record, "fleettap_stored_at", record.created_at) >= cutoff:
                break
            records.popitem(last=False)
            shard.fleettap_trimmed_through = sequence
            dropped += 1
    return dropped


def trim_kinesis_stream(stream: Any, now: float | None = None) -> int:
    """Trim every shard of `stream` to min(local retention, the stream's RetentionPeriodHours)."""
    keep_s = retention.effective_retention_s(float(stream.retention_period_hours) * 3600.0)
    return sum(trim_kinesis_shard(shard, keep_s, now) for shard in stream.shards.values())


def _stream(backend: KinesisBackend, stream_arn: str | None, stream_name: str | None) -> Any:
    return backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)


@patch(target=Shard.put_record)
def put_record_after_trim_horizon(fn: Any, self: Shard, partition_key: str, data: str, explicit_hash_key: str) -> str:
    """Kinesis shard: numbering continues after a trim, and each record knows when it was stored.

    Gap: moto numbers a record after the shard's last one, so a shard trimmed empty would restart at
    1, and a record's `created_at` is not read from the emulator's retention clock.
    Fix: continue after the highest trimmed sequence number; stamp `fleettap_stored_at` from the
    retention clock (what `trim_kinesis_shard` compares).
    """
    floor = getattr(self, "fleettap_trimmed_through", 0)
    if not self.records and floor:
        sequence_number = floor + 1
        self.records[sequence_number] = Record(partition_key, data, sequence_number, explicit_hash_key)
    else:
        sequence_number = int(fn(self, partition_key, data, explicit_hash_key))
    self.records[sequence_number].fleettap_stored_at = retention.now()
    return str(sequence_number)


@patch(target=KinesisBackend.put_record)
def put_record_trims(
    fn: Any, self: KinesisBackend, stream_arn: str, stream_name: str, *args: Any, **kwargs: Any
) -> Any:
    """Kinesis PutRecord: records older than the retention are trimmed first.

    Gap: moto keeps every record forever (AWS trims after RetentionPeriodHours), so a long run grows
    the emulator without bound. Fix: trim the stream, then store, under KINESIS_LOCK.
    """
    with KINESIS_LOCK:
        stream = _stream(self, stream_arn, stream_name)
        trim_kinesis_stream(stream)
        sequence_number, shard_id = fn(self, stream_arn, stream_name, *args, **kwargs)
    if sequence_number is None:  # refused by the shard's write budget
        raise JsonRESTError(THROTTLED, _throttled_message(self, stream, shard_id))
    return sequence_number, shard_id


@patch(target=KinesisBackend.put_records)
def put_records_trims(fn: Any, self: KinesisBackend, stream_arn: str, stream_name: str, records: list) -> Any:
    """Kinesis PutRecords: records older than the retention are trimmed first; calls are serialised.

    Gap: moto keeps every record forever, and two concurrent PutRecords calls could be given the same
    sequence number. Fix: trim the stream, then store, under KINESIS_LOCK. Entries a shard refused
    (`put_record_within_shard_throughput`) are answered as AWS answers them: ErrorCode and ErrorMessage,
    counted in FailedRecordCount.
    """
    with KINESIS_LOCK:
        stream = _stream(self, stream_arn, stream_name)
        trim_kinesis_stream(stream)
        response = fn(self, stream_arn, stream_name, records)
    for index, entry in enumerate(response["Records"]):
        if entry.get("SequenceNumber") is None:
            response["Records"][index] = {
                "ErrorCode": THROTTLED,
                "ErrorMessage": _throttled_message(self, stream, entry["ShardId"]),
            }
            response["FailedRecordCount"] += 1
    return response


@patch(target=KinesisBackend.get_shard_iterator)
def get_shard_iterator_after_trim(
    fn: Any, self: KinesisBackend, stream_arn: str | None, stream_name: str | None, *args: Any, **kwargs: Any
) -> Any:
    """Kinesis GetShardIterator: TRIM_HORIZON is the oldest record still inside the retention.

    Gap: moto keeps every record forever, so TRIM_HORIZON would start at records AWS no longer has.
    Fix: trim the stream before the iterator is positioned, under KINESIS_LOCK.
    """
    with KINESIS_LOCK:
        trim_kinesis_stream(_stream(self, stream_arn, stream_name))
        return fn(self, stream_arn, stream_name, *args, **kwargs)


@patch(target=KinesisBackend.get_records)
def get_records_after_trim(
    fn: Any, self: KinesisBackend, stream_arn: str | None, shard_iterator: str, limit: int | None
) -> Any:
    """Kinesis GetRecords: an iterator before the oldest record held reads from that record on.

    Gap: moto keeps every record forever, so a reader could get records AWS has trimmed. Fix: trim
    the stream before reading, under KINESIS_LOCK; an iterator into the trimmed range then returns
    the next records still held, as on AWS.
    """
    with KINESIS_LOCK:
        stream_name = decompose_shard_iterator(shard_iterator)[0]
        trim_kinesis_stream(_stream(self, stream_arn, stream_name))
        return fn(self, stream_arn, shard_iterator, limit)


# ------------------------------------------------------------------------------------ shard reads


@patch(target=Shard.get_max_sequence_number, pass_target=False)
def last_sequence_number(self: Shard) -> int:
    """Kinesis shard: the last sequence number in O(1).

    Gap: moto copies all record keys to find the last one, so PutRecord is O(n) in the records held.
    Fix: records are held in sequence order (an OrderedDict): read the last key.
    """
    return next(reversed(self.records)) if self.records else 0


@patch(target=Shard.get_min_sequence_number, pass_target=False)
def first_sequence_number(self: Shard) -> int:
    """Kinesis shard: the first sequence number in O(1).

    Gap: moto copies all record keys to find the first one. Fix: read the first key.
    """
    return next(iter(self.records)) if self.records else 0


@patch(target=Shard.get_records)
def shard_records_from_position(fn: Any, self: Shard, last_sequence_id: str, limit: int | None) -> Any:
    """Kinesis GetRecords: O(batch) instead of a scan of every stored record.

    Gap: moto scans every record of the shard on each GetRecords, so every poll of every consumer
    costs O(records held).
    Fix: with the contiguous numbering PutRecord produces, index from the iterator's position; the
    same records, next position and MillisBehindLatest as moto's. Other numbering: moto's scan.
    """
    if not self.records:
        return [], int(last_sequence_id), 0
    first, final = next(iter(self.records)), next(reversed(self.records))
    if final - first + 1 != len(self.records):
        return fn(self, last_sequence_id, limit)
    sequence = max(int(last_sequence_id) + 1, first)
    results = []
    while sequence <= final and (not limit or len(results) < limit):
        results.append(self.records[sequence])
        sequence += 1
    if not results:
        return [], int(last_sequence_id), 0
    behind_s = self.records[final].created_at - results[-1].created_at
    return results, results[-1].sequence_number, int(behind_s * 1000)


# ------------------------------------------------------------------------------------ fast answers


def _fast_json(fn: Any, self: KinesisResponse) -> Any:
    result = fn(self)
    if type(result) is not ActionResult or not fast_responses.enabled():
        return result
    return fast_responses.json_answer(result.result, fast_responses.JSON_1_1)


@patch(target=KinesisResponse.get_records)
def get_records_fast_answer(fn: Any, self: KinesisResponse) -> Any:
    """Kinesis GetRecords: the answer is encoded with json.dumps (`harness.emulator.fast_responses`).

    Gap: moto's shape-driven serializer is 78 % of a GetRecords call's time (about 60-80 µs per
    record), paid by every reader of every shard. Fix: the same result (Data base64, arrival time in
    epoch seconds) encoded in one json.dumps; errors still go through moto's serializer.
    """
    return _fast_json(fn, self)


@patch(target=KinesisResponse.put_records)
def put_records_fast_answer(fn: Any, self: KinesisResponse) -> Any:
    """Kinesis PutRecords: the answer is encoded with json.dumps (`harness.emulator.fast_responses`).

    Gap: serializing the 500 {SequenceNumber, ShardId} results is 66 % of a PutRecords x500 call in
    moto. Fix: the same result encoded in one json.dumps; the 1 MiB and 500-record limits, KMS and
    IAM checks run before, as before; errors still go through moto's serializer.
    """
    return _fast_json(fn, self)
