"""One poller per (event source mapping, shard) for Kinesis and DynamoDB Streams, as Lambda runs it.

Each loop: gather a batch (up to `BatchSize`, waiting up to `MaximumBatchingWindowInSeconds` for it
to fill; for Kinesis, DynamoDB and SQS sources Lambda starts the next batching window as soon as
the previous invocation completes, not when the first record arrives, so records that arrive
after the window has run out are invoked as soon as they are read), apply `FilterCriteria`,
split it into `ParallelizationFactor` lanes by partition key (a key always lands in the same
lane, so its records stay in order), deliver the lanes concurrently with
`batch_delivery.deliver`, and only then read on: the shard checkpoint advances once every lane has
processed or discarded its records. The mapping object is re-read every loop, so
UpdateEventSourceMapping (batch size, enabled, ...) takes effect without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.runtime import checkpoints
from harness.runtime.pollers.batch_delivery import DeliveryStats, FetchedRecord, RetryPolicy, deliver
from harness.runtime.pollers.destinations import send_to_on_failure_destination
from harness.runtime.pollers.filter_criteria import RecordFilter
from harness.runtime.pollers.mapping_view import MappingView
from harness.runtime.pollers.source_access import RECHECK_S, SourceAccess

log = logging.getLogger(__name__)

# How often an empty shard is polled. Lambda polls an idle Kinesis shard about once a second and
# a DynamoDB stream shard four times a second. Locally every poll is a request the one emulator
# process serves, so the interval adapts: right after records were seen the shard is polled
# again after POLL_MIN_S, and each empty poll doubles the wait up to POLL_MAX_S. A busy shard is
# read with little delay; an idle one costs few requests. (A shard that returned records is
# read again at once: only empty polls wait.)
POLL_MIN_S = 0.05
POLL_MAX_S = 0.25
IDLE_POLL_S = POLL_MAX_S  # waiting while the mapping is disabled
TIMINGS_KEPT = 256  # batches whose timings the status file summarises


class StreamShardPoller:
    def __init__(
        self, mapping: MappingView, source: Any, invoke: Callable[[str, dict], Any], endpoint: str, region: str
    ) -> None:
        self.mapping = mapping
        self.source = source
        self._invoke = invoke
        self._endpoint = endpoint
        self._region = region
        self.access = SourceAccess(mapping, region)  # the function's role may read the stream?
        self._stop = threading.Event()
        self.stats = DeliveryStats()
        self.millis_behind = 0
        self.last_sequence: str | None = None
        self.records_delivered = 0
        self._poll_wait_s = POLL_MIN_S
        self._first_seen_s = 0.0
        self._window_started = time.monotonic()  # the first window starts when polling starts
        # Per delivered batch: (records, oldest record's age when the poller first saw the batch,
        # time spent gathering it (batching window), time until every lane had processed it), ms.
        self.timings: deque[tuple[int, float, float, float]] = deque(maxlen=TIMINGS_KEPT)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"esm-{mapping.uuid[:8]}-{source.shard_id}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        iterator = None
        lanes = ThreadPoolExecutor(max_workers=10, thread_name_prefix=f"lanes-{self.mapping.uuid[:8]}")
        while not self._stop.is_set():
            try:
                if not self.mapping.enabled:
                    self._stop.wait(IDLE_POLL_S)
                    continue
                if self.access.denied() is not None:  # AccessDenied: nothing is read, records stay
                    self._stop.wait(RECHECK_S)
                    continue
                if iterator is None:
                    iterator = checkpoints.resume_iterator(self) or self.source.iterator(
                        self.mapping.starting_position, self.mapping.created_s, self.mapping.starting_position_timestamp
                    )
                batch, iterator = self._gather(iterator)
                if not batch:
                    self._stop.wait(self._poll_wait_s)
                    self._poll_wait_s = min(POLL_MAX_S, self._poll_wait_s * 2)
                    continue
                self._poll_wait_s = POLL_MIN_S
                self._deliver(batch, lanes)
                self.last_sequence = batch[-1].sequence_number
                self._window_started = time.monotonic()  # the invocation completed
            except Exception:  # the poller must survive a transient emulator error, like Lambda's
                if self._stop.is_set():
                    break
                log.exception("poller %s %s failed; retrying", self.mapping.uuid, self.source.shard_id)
                self._stop.wait(1.0)
        lanes.shutdown(wait=False)

    def _gather(self, iterator: str) -> tuple[list[FetchedRecord], str]:
        """Records for one invocation: an empty list when the shard has none (the caller waits and
        polls again), else what arrived until the batch is full or the batching window, which began
        when the previous invocation completed, has run out."""
        batch_size = self.mapping.batch_size
        window_ends = self._window_started + self.mapping.batching_window_s
        batch: list[FetchedRecord] = []
        while True:
            records, next_iterator, millis_behind = self.source.fetch(iterator, batch_size - len(batch))
            self.millis_behind = millis_behind
            iterator = next_iterator or iterator
            if records and not batch:
                self._first_seen_s = time.time()
            batch.extend(records)
            remaining = window_ends - time.monotonic()
            if not batch or len(batch) >= batch_size or remaining <= 0 or self._stop.is_set():
                return batch, iterator
            # Read to the end of the shard for now: poll again for more until the window runs out.
            self._stop.wait(min(POLL_MAX_S, remaining))

    def _deliver(self, batch: list[FetchedRecord], lanes: ThreadPoolExecutor) -> None:
        record_filter = RecordFilter(self.mapping.filter_patterns, self.source.kind)
        kept = [record for record in batch if record_filter.matches(record.event_record)]
        if not kept:
            return
        factor = max(1, self.mapping.parallelization_factor)
        by_lane: dict[int, list[FetchedRecord]] = {}
        for record in kept:
            lane = int(hashlib.md5(record.partition_key.encode()).hexdigest(), 16) % factor
            by_lane.setdefault(lane, []).append(record)
        started = time.time()
        futures = [lanes.submit(self._deliver_lane, records) for records in by_lane.values()]
        for future in futures:
            future.result()
        self.records_delivered += len(kept)
        oldest = min(record.arrival_s for record in batch)
        self.timings.append(
            (
                len(kept),
                (self._first_seen_s - oldest) * 1000,
                (started - self._first_seen_s) * 1000,
                (time.time() - started) * 1000,
            )
        )

    def timing_summary(self) -> dict[str, float]:
        """p50/p95 (ms) over the last batches: `seen` = age of a batch's oldest record when the
        poller first saw it, `gather` = batching window spent, `deliver` = invoke(s) until done."""
        rows = list(self.timings)
        if not rows:
            return {}
        summary: dict[str, float] = {
            "batches": len(rows),
            "records_per_batch": round(sum(r[0] for r in rows) / len(rows), 1),
        }
        for index, name in ((1, "seen"), (2, "gather"), (3, "deliver")):
            ordered = sorted(r[index] for r in rows)
            summary[f"{name}_p50_ms"] = round(ordered[len(ordered) // 2], 1)
            summary[f"{name}_p95_ms"] = round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1)
        return summary

    def _deliver_lane(self, records: list[FetchedRecord]) -> None:
        policy = RetryPolicy(
            bisect_on_error=self.mapping.bisect_on_error,
            max_retry_attempts=self.mapping.max_retry_attempts,
            max_record_age_s=self.mapping.max_record_age_s,
            report_batch_item_failures=self.mapping.report_batch_item_failures,
        )

        def invoke(chunk: list[FetchedRecord]):
            return self._invoke(self.mapping.function_arn, {"Records": [r.event_record for r in chunk]})

        def discard(chunk: list[FetchedRecord], condition: str, attempts: int, result: Any) -> None:
            log.warning(
                "%s: discarding %d records of %s (%s)",
                self.mapping.function_arn,
                len(chunk),
                self.source.shard_id,
                condition,
            )
            destination = self.mapping.on_failure_destination
            if destination and self.access.destination_denied(destination) is not None:
                return
            send_to_on_failure_destination(
                self.mapping,
                {self.source.batch_info_key: self.source.batch_info(chunk)},
                condition,
                attempts,
                result,
                self._endpoint,
                self._region,
            )

        deliver(records, invoke, policy, discard, self.stats, stopping=self._stop.is_set)
