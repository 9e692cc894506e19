"""The retry rules of stream batches, without a server (a scripted function)."""

from __future__ import annotations

from harness.runtime.concurrency import Throttled
from harness.runtime.pollers.batch_delivery import DeliveryStats, FetchedRecord, RetryPolicy, deliver
from harness.runtime.workers import InvocationResult


def records(count: int, arrival_s: float = 1000.0) -> list[FetchedRecord]:
    return [FetchedRecord(str(100 + i), "pk", arrival_s, {"i": i}) for i in range(count)]


class ScriptedFunction:
    """Fails every batch containing a poison record; reports `item_failures` on first sight."""

    def __init__(self, poison=(), item_failures=(), malformed=False):
        self.poison, self.item_failures, self.malformed = set(poison), set(item_failures), malformed
        self.calls: list[list[str]] = []

    def __call__(self, batch):
        self.calls.append([r.sequence_number for r in batch])
        if self.poison & {r.sequence_number for r in batch}:
            return InvocationResult({"errorType": "RuntimeError"}, "Unhandled", 1.0)
        if self.malformed:
            return InvocationResult({"batchItemFailures": [{"itemIdentifier": "nope"}]}, None, 1.0)
        failed = [r.sequence_number for r in batch if r.sequence_number in self.item_failures]
        self.item_failures -= set(failed)
        return InvocationResult({"batchItemFailures": [{"itemIdentifier": s} for s in failed]}, None, 1.0)


def run(function, batch, policy, now=lambda: 1000.0):
    discarded, stats = [], DeliveryStats()
    deliver(
        batch,
        function,
        policy,
        lambda chunk, cond, attempts, _r: discarded.append(([r.sequence_number for r in chunk], cond, attempts)),
        stats,
        now=now,
        sleep=lambda _s: None,
    )
    return discarded, stats


def test_item_failures_ignored_without_report_batch_item_failures():
    function = ScriptedFunction(item_failures={"101"})
    discarded, _ = run(function, records(3), RetryPolicy(report_batch_item_failures=False))
    assert function.calls == [["100", "101", "102"]] and discarded == []


def test_checkpoint_at_the_lowest_failed_sequence_number():
    function = ScriptedFunction(item_failures={"103", "101"})
    run(function, records(5), RetryPolicy(report_batch_item_failures=True))
    assert function.calls == [["100", "101", "102", "103", "104"], ["101", "102", "103", "104"]]


def test_malformed_report_fails_the_whole_batch_until_retries_run_out():
    function = ScriptedFunction(malformed=True)
    discarded, stats = run(function, records(2), RetryPolicy(report_batch_item_failures=True, max_retry_attempts=1))
    assert function.calls == [["100", "101"]] * 2
    assert discarded == [(["100", "101"], "RetryAttemptsExhausted", 2)]


def test_bisect_splits_without_spending_retries_and_isolates_the_poison_record():
    function = ScriptedFunction(poison={"105"})
    discarded, stats = run(function, records(8), RetryPolicy(bisect_on_error=True, max_retry_attempts=0))
    assert function.calls == [
        [str(100 + i) for i in range(8)],
        ["100", "101", "102", "103"],
        ["104", "105", "106", "107"],
        ["104", "105"],
        ["104"],
        ["105"],
        ["106", "107"],
    ]
    assert discarded == [(["105"], "RetryAttemptsExhausted", 1)]
    assert stats.discarded_records == 1


def test_record_age_limit_discards_even_with_infinite_retries():
    clock = iter([1000.0, 1000.5, 1002.0])
    function = ScriptedFunction(poison={"100"})
    discarded, _ = run(
        function,
        records(1, arrival_s=1000.0),
        RetryPolicy(max_record_age_s=1, max_retry_attempts=-1),
        now=lambda: next(clock),
    )
    assert len(function.calls) == 3
    assert discarded == [(["100"], "RecordAgeExceeded", 3)]


class ThrottledFirst:
    """Refused (reserved concurrency reached) `throttles` times, then fails the batch like `inner`."""

    def __init__(self, throttles: int, inner):
        self.throttles, self.inner, self.calls = throttles, inner, 0

    def __call__(self, batch):
        self.calls += 1
        if self.calls <= self.throttles:
            raise Throttled("fn", "ReservedFunctionConcurrentInvocationLimitExceeded", 1)
        return self.inner(batch)


def test_throttled_invokes_neither_count_as_retries_nor_bisect():
    poisoned = ScriptedFunction(poison={"101"})
    function = ThrottledFirst(5, poisoned)
    policy = RetryPolicy(bisect_on_error=True, max_retry_attempts=0)
    discarded, stats = run(function, records(2), policy)
    assert stats.throttles == 5 and stats.invocations == len(poisoned.calls)
    assert poisoned.calls[0] == ["100", "101"]  # the whole batch once capacity was back, then bisected
    assert discarded == [(["101"], "RetryAttemptsExhausted", 1)]


def test_a_batch_throttled_past_its_maximum_record_age_is_discarded():
    function = ThrottledFirst(10**6, ScriptedFunction())
    clock = iter(range(1000, 10**7, 10))
    discarded, stats = run(function, records(2), RetryPolicy(max_record_age_s=60), now=lambda: float(next(clock)))
    assert discarded == [(["100", "101"], "RecordAgeExceeded", 0)] and stats.invocations == 0
