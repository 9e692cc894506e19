"""One poller per (event source mapping, shard) for Kinesis and DynamoDB Streams, as Lambda runs it.

Each loop: gather a batch (up to `BatchSize`, waiting up to `MaximumBatchingWindowInSeconds` for it
to fill), apply `FilterCriteria`, split it into `ParallelizationFactor` lanes by partition key (a key
always lands in the same lane, so its records stay in order), deliver the lanes concurrently with
`batch_delivery.deliver`, and only then read on: the shard checkpoint advances once every lane has
processed or discarded its records. The mapping object is re-read every loop, so
UpdateEventSourceMapping (batch size, enabled, ...) takes effect without a restart.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from harness.runtime.pollers.batch_delivery import DeliveryStats, FetchedRecord, RetryPolicy, deliver
from harness.runtime.pollers.destinations import send_to_on_failure_destination
from harness.runtime.pollers.filter_criteria import RecordFilter
from harness.runtime.pollers.mapping_view import MappingView

log = logging.getLogger(__name__)

# Lambda polls an idle Kinesis shard about once a second (a DynamoDB stream shard four times a
# second). Locally every idle poll is a request the single emulator process must serve, so we
# poll twice a second: two polled hops (Kinesis -> table stream) add ~0.5 s on average.
IDLE_POLL_S = 0.5


class StreamShardPoller:
    def __init__(self, mapping: MappingView, source: Any, invoke: Callable[[str, dict], Any],
                 endpoint: str, region: str) -> None:
        self.mapping = mapping
        self.source = source
        self._invoke = invoke
        self._endpoint = endpoint
        self._region = region
        self._stop = threading.Event()
        self.stats = DeliveryStats()
        self.millis_behind = 0
        self.last_sequence: str | None = None
        self.records_delivered = 0
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"esm-{mapping.uuid[:8]}-{source.shard_id}")

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
                if iterator is None:
                    iterator = self.source.iterator(self.mapping.starting_position, self.mapping.created_s,
                                                    self.mapping.starting_position_timestamp)
                batch, iterator = self._gather(iterator)
                if not batch:
                    self._stop.wait(IDLE_POLL_S)
                    continue
                self._deliver(batch, lanes)
                self.last_sequence = batch[-1].sequence_number
            except Exception:  # the poller must survive a transient emulator error, like Lambda's
                if self._stop.is_set():
                    break
                log.exception("poller %s %s failed; retrying", self.mapping.uuid, self.source.shard_id)
                self._stop.wait(1.0)
        lanes.shutdown(wait=False)

    def _gather(self, iterator: str) -> tuple[list[FetchedRecord], str]:
        batch_size = self.mapping.batch_size
        window_s = self.mapping.batching_window_s
        deadline = None
        batch: list[FetchedRecord] = []
        while True:
            records, next_iterator, millis_behind = self.source.fetch(iterator, batch_size - len(batch))
            self.millis_behind = millis_behind
            iterator = next_iterator or iterator
            batch.extend(records)
            if batch and deadline is None:
                deadline = time.monotonic() + window_s
            if len(batch) >= batch_size or not batch or deadline is None or time.monotonic() >= deadline:
                return batch, iterator
            if not records:
                self._stop.wait(min(IDLE_POLL_S, max(0.0, deadline - time.monotonic())))
            if self._stop.is_set():
                return batch, iterator

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
        futures = [lanes.submit(self._deliver_lane, records) for records in by_lane.values()]
        for future in futures:
            future.result()
        self.records_delivered += len(kept)

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
            log.warning("%s: discarding %d records of %s (%s)", self.mapping.function_arn, len(chunk),
                        self.source.shard_id, condition)
            send_to_on_failure_destination(
                self.mapping, {self.source.batch_info_key: self.source.batch_info(chunk)},
                condition, attempts, result, self._endpoint, self._region)

        deliver(records, invoke, policy, discard, self.stats, stopping=self._stop.is_set)
