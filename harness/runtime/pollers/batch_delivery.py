"""How one batch from a stream shard is delivered until every record is processed or discarded.

The rules Lambda applies to Kinesis and DynamoDB Streams mappings:
- success, or a `batchItemFailures` response that is empty: the batch is done;
- `ReportBatchItemFailures` with failures: the checkpoint moves to the lowest failed sequence
  number, records before it are done, the rest is retried (an unknown or empty itemIdentifier
  fails the whole batch);
- a function error with `BisectBatchOnFunctionError`: the batch is split in two halves, each retried
  on its own (a split does not count as a retry); a one-record batch is retried;
- a throttled invoke (`concurrency.Throttled`: reserved or account concurrency reached) is retried
  with backoff, the same records again; it is neither a function error nor a retry, and does not
  split the batch (only the record age limit still applies);
- retries stop after `MaximumRetryAttempts` (-1 = until the record expires) or when the oldest
  record is older than `MaximumRecordAgeInSeconds` (-1 = never); the batch then goes to the
  on-failure destination (if any) and the shard moves on.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.runtime.concurrency import Throttled
from harness.runtime.workers import InvocationResult, error_payload


@dataclass(frozen=True)
class FetchedRecord:
    sequence_number: str
    partition_key: str
    arrival_s: float  # epoch seconds the record entered the stream
    event_record: dict = field(repr=False)


@dataclass(frozen=True)
class RetryPolicy:
    bisect_on_error: bool = False
    max_retry_attempts: int = -1
    max_record_age_s: int = -1
    report_batch_item_failures: bool = False


@dataclass
class DeliveryStats:
    invocations: int = 0
    function_errors: int = 0
    discarded_batches: int = 0
    discarded_records: int = 0
    throttles: int = 0


# What the on-failure destination is told about records that expired while throttled.
_THROTTLED = InvocationResult(error_payload("TooManyRequestsException", "Rate Exceeded."), None, 0.0)

Invoke = Callable[[list[FetchedRecord]], InvocationResult]
Discard = Callable[[list[FetchedRecord], str, int, InvocationResult], None]


def index_of_lowest_failure(batch: list[FetchedRecord], payload: Any) -> int | None:
    """Index of the lowest failed record; None when the response reports no failure, 0 when it is malformed."""
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if not failures:
        return None
    positions = {record.sequence_number: index for index, record in enumerate(batch)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in positions:
            return 0  # Lambda treats a malformed report as a failure of the whole batch
        indexes.append(positions[identifier])
    return min(indexes)


def deliver(
    batch: list[FetchedRecord],
    invoke: Invoke,
    policy: RetryPolicy,
    discard: Discard,
    stats: DeliveryStats,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    stopping: Callable[[], bool] = lambda: False,
) -> None:
    pending: deque[tuple[list[FetchedRecord], int]] = deque([(batch, 0)])
    throttled_in_a_row = 0
    while pending:
        records, retries = pending.popleft()
        try:
            result = invoke(records)
        except Throttled:
            stats.throttles += 1
            throttled_in_a_row += 1
            condition = _record_age_exceeded(records, policy, now())
            if condition or stopping():
                if condition:
                    stats.discarded_batches += 1
                    stats.discarded_records += len(records)
                    discard(records, condition, retries, _THROTTLED)
                continue
            sleep(min(0.1 * (2 ** min(throttled_in_a_row, 5)), 2.0))
            pending.appendleft((records, retries))
            continue
        throttled_in_a_row = 0
        stats.invocations += 1
        if result.failed:
            stats.function_errors += 1
            failed = records
        else:
            if not policy.report_batch_item_failures:
                continue
            lowest = index_of_lowest_failure(records, result.payload)
            if lowest is None:
                continue
            failed = records[lowest:]

        if result.failed and policy.bisect_on_error and len(failed) > 1:
            middle = len(failed) // 2
            pending.appendleft((failed[middle:], retries))
            pending.appendleft((failed[:middle], retries))
            continue

        condition = _give_up_condition(failed, retries, policy, now())
        if condition or stopping():
            if condition:
                stats.discarded_batches += 1
                stats.discarded_records += len(failed)
                discard(failed, condition, retries + 1, result)
            continue
        sleep(min(0.05 * (2 ** min(retries, 5)), 1.0))  # bounded exponent: MaximumRetryAttempts -1 retries for hours
        pending.appendleft((failed, retries + 1))


def _record_age_exceeded(records: list[FetchedRecord], policy: RetryPolicy, now_s: float) -> str | None:
    if policy.max_record_age_s is not None and policy.max_record_age_s >= 0:
        oldest = min(record.arrival_s for record in records)
        if now_s - oldest > policy.max_record_age_s:
            return "RecordAgeExceeded"
    return None


def _give_up_condition(failed: list[FetchedRecord], retries: int, policy: RetryPolicy, now_s: float) -> str | None:
    if _record_age_exceeded(failed, policy, now_s):
        return "RecordAgeExceeded"
    if policy.max_retry_attempts is not None and policy.max_retry_attempts >= 0:
        if retries >= policy.max_retry_attempts:
            return "RetryAttemptsExhausted"
    return None
