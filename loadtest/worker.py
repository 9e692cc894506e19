"""One load worker process: a shard of the fleet, paced to wall-clock time, sent through the
simulator's Kinesis sink.

Simulated second `t` is due at `start_at + t / rate_factor` (sim.pacing.paced). The worker never
skips records: when generation or sending is slower than the schedule it falls behind, and
`behind_s` says by how much. Every `report_every_s` it ships a delta of its counters to the
coordinator's queue, plus a few sampled records (canaries) whose arrival in DynamoDB gives
end-to-end latency.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from loadtest.source import make_source

CANARY_KINDS = ("diagnostics", "gps")


@dataclass(frozen=True)
class WorkerSpec:
    worker: int
    shard: tuple[int, int]
    source: str
    scenario: str
    overrides: dict[str, Any]  # fleet settings replacing the scenario's
    seed: int | None  # None: the scenario's seed
    duration_s: int
    rate_factor: float
    stream_names: dict[str, str]
    endpoint: str | None
    region: str
    report_every_s: float = 1.0
    canaries_per_report: int = 1  # per canary kind


class TimedKinesis:
    """Wraps a Kinesis client to time each PutRecords call (the sink does not)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.call_ms: list[float] = []

    def put_records(self, **request: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._client.put_records(**request)
        finally:
            self.call_ms.append((time.perf_counter() - started) * 1000)


class StatsDelta:
    """Turns the sink's cumulative counters into per-report deltas."""

    def __init__(self) -> None:
        self._last = {"by_kind": Counter(), "bytes": 0, "throttled": 0, "retries": 0, "failed": 0}

    def take(self, stats: Any) -> dict[str, Any]:
        by_kind = Counter(stats.by_kind)
        delta = {
            "sent": dict(by_kind - self._last["by_kind"]),
            "sent_bytes_total": stats.bytes - self._last["bytes"],
            "throttled": stats.throttled - self._last["throttled"],
            "retries": stats.retries - self._last["retries"],
            "dropped": stats.failed - self._last["failed"],
        }
        self._last = {
            "by_kind": by_kind,
            "bytes": stats.bytes,
            "throttled": stats.throttled,
            "retries": stats.retries,
            "failed": stats.failed,
        }
        return delta


def _kinesis_sink(spec: WorkerSpec, client: Any) -> tuple[Any, TimedKinesis]:
    from sim import aws
    from sim.sinks.kinesis import KinesisSink

    timed = TimedKinesis(client or aws.client("kinesis", endpoint=spec.endpoint, region=spec.region))
    # Keep going when records fail after retries: the report counts them as dropped.
    return KinesisSink(timed, spec.stream_names, raise_on_failure=False), timed


def _canary(kind: str, data: bytes, sent_at: float) -> dict[str, Any] | None:
    try:
        body = orjson.loads(data)
    except ValueError:
        return None
    if "vehicle_id" not in body or "ts" not in body:
        return None
    return {"kind": kind, "vehicle_id": body["vehicle_id"], "ts": body["ts"], "sent_at": sent_at}


def run_worker(spec: WorkerSpec, reports: Any, wait_for_start: Callable[[], float], client: Any = None) -> None:
    """Build the shard's source, wait for the shared start time, then send on schedule.

    `wait_for_start` blocks until every worker is ready and returns the common wall-clock start
    (epoch seconds), so slow fleet builds do not count as falling behind. `client` is for tests.
    """
    from sim.pacing import paced

    sink, timed = _kinesis_sink(spec, client)
    source = make_source(
        spec.source, scenario=spec.scenario, overrides=spec.overrides, seed=spec.seed, shard=spec.shard
    )
    delta = StatsDelta()
    start_at = wait_for_start()
    time.sleep(max(0.0, start_at - time.time()))
    generated: Counter = Counter()
    canaries: list[dict[str, Any]] = []
    behind_s = send_s = 0.0
    last_t = 0
    next_report = time.time() + spec.report_every_s

    def report(done: bool) -> None:
        message = {
            "worker": spec.worker,
            "pid": os.getpid(),
            "at": time.time(),
            "done": done,
            "generated": dict(generated),
            "behind_s": behind_s,
            "sim_offset_s": last_t,
            "send_s": send_s,
            "canaries": list(canaries),
            "call_ms": list(timed.call_ms),
            **delta.take(sink.stats),
        }
        generated.clear()
        canaries.clear()
        timed.call_ms.clear()
        reports.put(message)

    clock = time.time  # shared across processes, unlike monotonic
    for batch in paced(source.batches(spec.duration_s), spec.rate_factor, clock=clock):
        started = time.perf_counter()
        sink.send(batch)
        send_s += time.perf_counter() - started
        now = clock()
        behind_s = max(0.0, now - (start_at + batch.t / spec.rate_factor))
        last_t = batch.t
        wanted = {kind: spec.canaries_per_report - sum(c["kind"] == kind for c in canaries) for kind in CANARY_KINDS}
        for kind, items in batch.records.items():
            generated[kind] += len(items)
            if wanted.get(kind, 0) > 0 and items:
                sample = _canary(kind, items[0][1], now)
                if sample:
                    canaries.append(sample)
        if now >= next_report:
            report(done=False)
            next_report = now + spec.report_every_s
    sink.close()
    report(done=True)
