"""DynamoDB Streams: records expire after the retention, shard iterators are not hoarded, GetRecords
is answered without moto's serializer.

AWS keeps stream records 24 h; the emulator keeps them min(local retention, 24 h) (see `retention`).
One lock, STREAMS_LOCK, covers trims, appends and reads: moto numbers a record
`starting_sequence_number + len(items)`, which a trim changes in two steps.
"""

from __future__ import annotations

import base64
import bisect
import math
import threading
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.models.table import StreamRecord, StreamShard
from moto.dynamodbstreams import models as streams
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from harness.emulator import fast_responses
from harness.emulator.patches import retention
from harness.emulator.patches.registry import patch

DYNAMODB_STREAMS_RETENTION_S = 24 * 3600.0
STREAMS_LOCK = threading.RLock()
_ITERATOR_PREFIX = "fleettap1"
TRIM_BATCH_FRACTION = 64


def _created_at(record: Any) -> float:
    return getattr(record, "fleettap_created_at", math.inf)


def _expired_count(items: list[Any], cutoff: float) -> int:
    """How many of `items` (in write order, so in `fleettap_created_at` order) were written before `cutoff`."""
    return bisect.bisect_left(items, cutoff, key=_created_at)


def _cutoff(now: float | None) -> float:
    return (now if now is not None else retention.now()) - retention.effective_retention_s(DYNAMODB_STREAMS_RETENTION_S)


def trim_dynamodb_stream(stream_shard: Any, now: float | None = None, *, at_least: int = 1) -> int:
    """Drop the table stream's records older than the effective retention (24 h on AWS), if at least
    `at_least` of them are due; returns how many were dropped.

    The shard's `starting_sequence_number` moves past the dropped records, so sequence numbers stay
    what they were (moto numbers a record `starting_sequence_number + its index`). Dropping the head
    of a list moves every record after it, so writers trim in batches (`add_after_trim`) and readers
    skip what is due without dropping it (`get_from_oldest_held`).
    """
    items = stream_shard.items
    dropped = _expired_count(items, _cutoff(now))
    if dropped < max(at_least, 1):
        return 0
    del items[:dropped]
    stream_shard.starting_sequence_number += dropped
    return dropped


@patch(target=StreamRecord.__init__)
def record_created_at(fn: Any, self: StreamRecord, *args: Any, **kwargs: Any) -> None:
    """DynamoDB Streams: each stream record knows when it was written.

    Gap: moto's StreamRecord holds no time the emulator's clock can compare, so nothing can expire.
    Fix: stamp `fleettap_created_at` from the retention clock; `trim_dynamodb_stream` reads it.
    """
    fn(self, *args, **kwargs)
    self.fleettap_created_at = retention.now()


@patch(target=StreamShard.add)
def add_after_trim(fn: Any, self: StreamShard, old: Any, new: Any) -> None:
    """DynamoDB Streams (table writes): records older than the retention are trimmed on each write.

    Gap: moto keeps every stream record of every table forever. Fix: trim, then append, under
    STREAMS_LOCK. The trim waits until 1/TRIM_BATCH_FRACTION of the records held are due: dropping
    the head of the list moves all the others (0.05 ms per write at 600,000 records held, when each
    write dropped the one record that had just expired).
    """
    with STREAMS_LOCK:
        trim_dynamodb_stream(self, at_least=len(self.items) // TRIM_BATCH_FRACTION)
        fn(self, old, new)


@patch(target=StreamShard.get)
def get_from_oldest_held(fn: Any, self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
    """DynamoDB Streams GetRecords: reading from a trimmed position returns the oldest record held.

    Gap: moto indexes `items` with `start - starting_sequence_number`, which after a trim is negative
    for an old position (wrong records). Fix: read from the first record inside the retention when
    the position is before it (due records are skipped here and dropped by the next batch trim).
    """
    with STREAMS_LOCK:
        offset = max(_expired_count(self.items, _cutoff(None)), int(start) - self.starting_sequence_number)
        return [record.to_json() for record in self.items[offset : offset + quantity]]


@patch(target=streams.ShardIterator.__init__)
def self_describing_iterator(
    fn: Any, self: Any, streams_backend: Any, stream_shard: Any, shard_iterator_type: str, sequence_number: Any = None
) -> None:
    """DynamoDB Streams GetShardIterator: the iterator id encodes its position.

    Gap: each iterator gets a 632-character random id and is stored in a dict that is never pruned
    (~2 KB per poll of every stream consumer), and an iterator positioned before the oldest record
    fails with an AssertionError (HTTP 500). Fix: trim before TRIM_HORIZON/LATEST positions are
    taken; the id is `fleettap1:<sequence number>` (base64), which `get_records_by_position` decodes,
    so nothing is stored per call (AWS expires iterators after 15 minutes; these do not expire).
    """
    with STREAMS_LOCK:
        if shard_iterator_type in ("TRIM_HORIZON", "LATEST"):
            trim_dynamodb_stream(stream_shard)
        fn(
            self,
            streams_backend,
            stream_shard,
            shard_iterator_type,
            int(sequence_number) if sequence_number is not None else None,
        )
    self.id = base64.urlsafe_b64encode(f"{_ITERATOR_PREFIX}:{self.sequence_number}".encode()).decode()


class _NoHoarding(dict):
    """moto's per-backend iterator registry: accepts writes, keeps nothing."""

    def __setitem__(self, key: str, value: Any) -> None:
        return None


_NOTHING_KEPT = _NoHoarding()


def _no_stored_iterators(self: Any) -> dict:
    """DynamoDB Streams backends: the shard-iterator registry keeps nothing.

    Gap: moto stores every iterator it hands out in `backend.shard_iterators` (never pruned).
    Fix: a class-level property (it takes precedence over the instance attribute, so backends made
    before the patch are covered too) that returns a registry which drops every write and ignores
    moto's assignment of a fresh dict; the iterators' ids carry their position instead
    (`self_describing_iterator`, `get_records_by_position`).
    """
    return _NOTHING_KEPT


def _ignore_assignment(self: Any, value: Any) -> None:
    return None


patch(streams.DynamoDBStreamsBackend, "shard_iterators", pass_target=False)(
    property(_no_stored_iterators, _ignore_assignment)
)


@patch(streams.DynamoDBStreamsBackend, "get_records", pass_target=False)
def get_records_by_position(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
    """DynamoDB Streams GetRecords: the position is read from the iterator id, not looked up.

    Gap: moto looks the iterator up in the registry it never prunes (which `_no_stored_iterators`
    empties). Fix: decode `fleettap1:<sequence number>` from the id and read from there; an id this
    emulator did not hand out is a ValidationException, as on AWS.
    """
    encoded = iterator_arn.rsplit("|", 1)[-1]
    try:
        prefix, sequence = base64.urlsafe_b64decode(encoded.encode()).decode().split(":")
        if prefix != _ITERATOR_PREFIX:
            raise ValueError(prefix)
    except (ValueError, UnicodeDecodeError):
        from moto.dynamodb.exceptions import MockValidationException

        raise MockValidationException(f"Invalid ShardIterator: {iterator_arn[:80]}") from None
    table = self._get_table_from_arn(iterator_arn)
    iterator = streams.ShardIterator(self, table.stream_shard, "AT_SEQUENCE_NUMBER", int(sequence))
    return iterator.get(limit)


@patch(target=DynamoDBStreamsHandler.get_records)
def get_records_fast_answer(fn: Any, self: DynamoDBStreamsHandler) -> Any:
    """DynamoDB Streams GetRecords: the answer is encoded with json.dumps (`harness.emulator.fast_responses`).

    Gap: moto's shape-driven serializer makes about 244 look-ups per record for the AttributeValue
    shapes: 1.5-2.2 ms of CPU per record, about 99 % of the call and the largest single cost of a
    diagnostics record in the local pipeline. Fix: the same records (creation time in epoch seconds)
    encoded in one json.dumps, 25-50x cheaper; errors still go through moto's serializer.
    """
    result = fn(self)
    if type(result) is not ActionResult or not fast_responses.enabled():
        return result
    return fast_responses.json_answer(result.result, fast_responses.JSON_1_0)
