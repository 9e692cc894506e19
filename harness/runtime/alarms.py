"""Local evaluation of the CloudWatch metric alarms in the emulator, as CloudWatch evaluates them.

A thread in the emulator process, every FLEETTAP_ALARM_EVALUATION_S seconds (default 10; AWS
evaluates once a minute), for every metric alarm in moto's CloudWatch backend:
1. writes the runtime's pending metrics (`metrics.flush`) and, once a (local) minute, the sampled
   gauges (`metric_samplers`);
2. computes the alarm's value for each of its last EvaluationPeriods periods from the datapoints in
   moto's backend: the statistic (or percentile) of the metric with exactly the alarm's dimensions,
   or, for a metric math alarm, the ReturnData expression over its metric queries (`metric_math`);
   the periods end at the evaluation instant (a sliding window, so a breach shows at the next
   evaluation rather than at the next period boundary);
3. applies the M-out-of-N rule and TreatMissingData (`alarm_rules`); on a change of state it sets
   StateValue, StateReason and StateReasonData in moto (DescribeAlarms shows them) and publishes
   AWS's notification to the new state's SNS actions (`alarm_notifications`).

Time compression, FLEETTAP_ALARM_TIME_COMPRESSION=k (default 1 = real time, at most 60): each
alarm period lasts period/k seconds of wall clock (a 300 s period is 5 s at k=60), and gauges are
sampled every 60/k s. Only the alarm clock is compressed: metric values are not (a queue's
ApproximateAgeOfOldestMessage is still real seconds, a Duration real milliseconds), so Sum-based
rates over a compressed period are k times smaller than over the real one. Use it in tests that need
several periods to pass; scenarios and `make sim` run at k=1.

moto creates an alarm in OK ("Unchecked: Initial alarm creation") where AWS starts in
INSUFFICIENT_DATA: an alarm that has not been evaluated yet is given its first evaluated reason
without a notification when that evaluation says OK, so bringing a stack up sends no OK messages.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.runtime import alarm_notifications, alarm_rules, metric_math, metrics
from harness.runtime.alarm_rules import Sample

log = logging.getLogger(__name__)

COMPRESSION_ENV = "FLEETTAP_ALARM_TIME_COMPRESSION"
INTERVAL_ENV = "FLEETTAP_ALARM_EVALUATION_S"
DEFAULT_INTERVAL_S = 10.0
MAX_COMPRESSION = 60.0  # a 60 s period is then one second, the runtime's metric aggregation step
GAUGE_EVERY_S = 60.0  # AWS publishes SQS, ElastiCache and RDS gauges once a minute
UNCHECKED = "Unchecked: Initial alarm creation"
# Metrics the local stack has no source for: the alarm is evaluated, always on missing data.
NO_LOCAL_SOURCE = {
    ("AWS/DynamoDB", "WriteThrottleEvents"): "the emulator does not model DynamoDB capacity, so never throttles",
    ("AWS/DynamoDB", "ReadThrottleEvents"): "the emulator does not model DynamoDB capacity, so never throttles",
    ("AWS/RDS", "CPUUtilization"): "the local PostgreSQL shares the host's cores with every other process: its CPU "
    "share says nothing about the load on an Aurora ACU",
}

Key = tuple[str, str, frozenset]  # namespace, metric name, frozenset of (dimension, value)


def _positive_float(name: str, default: float) -> float:
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name}={raw!r} must be > 0")
    return value


def time_compression() -> float:
    """FLEETTAP_ALARM_TIME_COMPRESSION (1 = real time); ValueError naming it when out of range."""
    value = _positive_float(COMPRESSION_ENV, 1.0)
    if value > MAX_COMPRESSION:
        raise ValueError(f"{COMPRESSION_ENV}={value:g} is above the maximum {MAX_COMPRESSION:g}")
    return value


def evaluation_interval_s(compression: float) -> float:
    """Seconds between evaluations: the setting, at most one compressed minute."""
    return min(_positive_float(INTERVAL_ENV, DEFAULT_INTERVAL_S), GAUGE_EVERY_S / compression)


@dataclass
class AlarmPlan:
    """What one alarm reads: per query id the metric key and statistic, the expressions, and the
    id whose value is compared with the threshold."""

    period_s: int
    statistic_name: str
    metrics: dict[str, tuple[Key, str]] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    result_id: str = "m1"

    def value(self, samples: dict[Key, list[Sample]]) -> float | None:
        values = {qid: alarm_rules.statistic(samples.get(key, []), stat) for qid, (key, stat) in self.metrics.items()}
        if not self.expressions:
            return values[self.result_id]
        return metric_math.evaluate_queries(self.expressions, values, self.result_id)


def _key(namespace: str, name: str, dimensions: list[Any]) -> Key:
    return (namespace, name, frozenset((d.name, d.value) for d in dimensions or []))


def plan_for(alarm: Any) -> AlarmPlan:
    """The AlarmPlan of a moto Alarm; ValueError when it cannot be evaluated locally."""
    if alarm.rule is not None:
        raise ValueError("composite alarms are not evaluated locally")
    if alarm.comparison_operator not in alarm_rules.COMPARISONS:
        raise ValueError(f"comparison {alarm.comparison_operator} is not evaluated locally")
    if not alarm.metric_data_queries:
        stat = alarm.extended_statistic or alarm.statistic
        plan = AlarmPlan(int(alarm.period), stat)
        plan.metrics["m1"] = (_key(alarm.namespace, alarm.metric_name, alarm.dimensions), stat)
        return plan
    plan = AlarmPlan(0, "")
    for query in alarm.metric_data_queries:
        if query.metric_stat is not None:
            metric = query.metric_stat.metric
            key = _key(metric.namespace, metric.metric_name, metric.dimensions)
            plan.metrics[query.id] = (key, query.metric_stat.stat)
            plan.period_s = plan.period_s or int(query.metric_stat.period)
            plan.statistic_name = plan.statistic_name or query.metric_stat.stat
        elif query.expression:
            plan.expressions[query.id] = query.expression
        if str(query.return_data).lower() == "true":
            plan.result_id = query.id
    if not plan.period_s:
        raise ValueError("a metric math alarm without a metric query")
    return plan


def index_samples(data: list[Any], wanted: set[Key], since_s: float) -> dict[Key, tuple[list[float], list[Sample]]]:
    """moto's datapoints of the `wanted` metrics stored at or after `since_s`, per metric, in time
    order: (epoch seconds, Sample) as two parallel lists."""
    rows: dict[Key, list[tuple[float, Sample]]] = {}
    names = {(key[0], key[1]) for key in wanted}
    for datum in data:
        if (datum.namespace, datum.name) not in names:
            continue
        key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
        if key not in wanted:
            continue
        at = _epoch(datum.timestamp)
        if at < since_s:
            continue
        if hasattr(datum, "value"):
            sample = Sample.single(float(datum.value))
        else:
            sample = Sample(float(datum.sum), float(datum.min), float(datum.max), float(datum.sample_count))
        rows.setdefault(key, []).append((at, sample))
    indexed = {}
    for key, points in rows.items():
        points.sort(key=lambda p: p[0])
        indexed[key] = ([p[0] for p in points], [p[1] for p in points])
    return indexed


def _epoch(timestamp: Any) -> float:
    if isinstance(timestamp, dt.datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=dt.UTC)
        return timestamp.timestamp()
    return float(timestamp)


def _utc(epoch_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC)


def window_values(
    plan: AlarmPlan, periods: int, index: dict[Key, tuple[list[float], list[Sample]]], now_s: float, compression: float
) -> tuple[list[float | None], list[dt.datetime]]:
    """The alarm's value for each of its last `periods` periods ending at `now_s` (oldest first)."""
    wall_period = plan.period_s / compression
    values, starts = [], []
    for back in range(periods, 0, -1):
        start, end = now_s - back * wall_period, now_s - (back - 1) * wall_period
        samples = {}
        for key, (times, points) in index.items():
            samples[key] = points[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]
        values.append(plan.value(samples))
        starts.append(_utc(start))
    return values, starts


@dataclass
class StateChange:
    alarm: str
    old: str
    new: str
    reason: str
    at: str
    notified: list[str]


class AlarmEvaluator:
    """The evaluation loop (`start`/`stop`) over the alarms of one region; `tick()` runs one pass."""

    def __init__(self, region: str, sampler: Any = None) -> None:
        self.region = region
        self.sampler = sampler
        self.changes: list[StateChange] = []  # kept for the status file, newest last
        self.notes: dict[str, str] = {}  # alarm name -> why it is not (fully) evaluated locally
        self._last_gauges_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="alarm-evaluator")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.sampler is not None:
            self.sampler.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            interval = DEFAULT_INTERVAL_S
            try:
                compression = time_compression()
                interval = evaluation_interval_s(compression)
                self.tick(compression=compression)
            except Exception:  # the loop must outlive a bad setting or alarm, as CloudWatch does
                log.exception("alarm evaluation failed")
            self._stop.wait(interval)

    def tick(self, now_s: float | None = None, compression: float = 1.0) -> list[StateChange]:
        """Flush metrics, sample gauges when a (compressed) minute has passed, evaluate every alarm;
        returns the state changes of this pass."""
        from moto.cloudwatch.models import cloudwatch_backends

        metrics.flush()
        now_s = time.time() if now_s is None else now_s
        if self.sampler is not None and now_s - self._last_gauges_s >= GAUGE_EVERY_S / compression:
            self._last_gauges_s = now_s
            self.sampler.sample()
        backend = cloudwatch_backends[metrics.ACCOUNT][self.region]
        plans: dict[str, tuple[Any, AlarmPlan]] = {}
        for alarm in list(backend.alarms.values()):
            try:
                plans[alarm.name] = (alarm, plan_for(alarm))
                self.notes.pop(alarm.name, None)
            except ValueError as exc:
                self.notes[alarm.name] = str(exc)
        if not plans:
            return []
        wanted = {key for _, plan in plans.values() for key, _ in plan.metrics.values()}
        oldest = max(plan.period_s * int(alarm.evaluation_periods) for alarm, plan in plans.values())
        index = index_samples(list(backend.metric_data), wanted, now_s - oldest / compression)
        changes = []
        for alarm, plan in plans.values():
            try:
                change = self._evaluate(alarm, plan, index, now_s, compression)
            except (ValueError, metric_math.UnsupportedExpression) as exc:
                self.notes[alarm.name] = str(exc)
                continue
            self._note_sources(alarm.name, plan)
            if change is not None:
                changes.append(change)
        self.changes = (self.changes + changes)[-50:]
        return changes

    def _note_sources(self, name: str, plan: AlarmPlan) -> None:
        missing = sorted({NO_LOCAL_SOURCE[k[:2]] for k, _ in plan.metrics.values() if k[:2] in NO_LOCAL_SOURCE})
        if missing:
            self.notes[name] = "evaluated on missing data: " + "; ".join(missing)

    def _evaluate(
        self, alarm: Any, plan: AlarmPlan, index: dict, now_s: float, compression: float
    ) -> StateChange | None:
        periods = int(alarm.evaluation_periods)
        values, starts = window_values(plan, periods, index, now_s, compression)
        result = alarm_rules.evaluate(
            values,
            starts,
            comparison=alarm.comparison_operator,
            threshold=float(alarm.threshold),
            datapoints_to_alarm=int(alarm.datapoints_to_alarm) if alarm.datapoints_to_alarm else None,
            treat_missing_data=alarm.treat_missing_data,
            current_state=alarm.state_value,
            statistic_name=plan.statistic_name,
            period_s=plan.period_s,
            query_date=_utc(now_s),
        )
        old = alarm.state_value
        if result.state == old:
            if alarm.state_reason == UNCHECKED and result.reason:
                # First evaluation of an alarm moto created in OK: record why, no transition.
                alarm.state_reason, alarm.state_reason_data = result.reason, result.reason_data
            return None
        alarm.update_state(result.reason, result.reason_data, result.state)
        changed_at = _utc(now_s)
        alarm.state_transitioned_timestamp = changed_at.replace(tzinfo=None)
        notified = alarm_notifications.publish(alarm, metrics.ACCOUNT, self.region, old, changed_at)
        log.warning("alarm %s: %s -> %s (%s)", alarm.name, old, result.state, result.reason)
        return StateChange(alarm.name, old, result.state, result.reason, changed_at.isoformat(), notified)

    def snapshot(self) -> dict[str, Any]:
        """For the status file: the settings, recent state changes and per-alarm notes."""
        try:
            compression = time_compression()
        except ValueError as exc:
            compression = str(exc)
        return {
            "time_compression": compression,
            "changes": [vars(c) for c in self.changes],
            "notes": dict(self.notes),
        }


def start_for(state_dir: Path, region: str) -> AlarmEvaluator:
    """An evaluator with the gauge sampler for the stack in `state_dir` (not started)."""
    from harness.runtime.metric_samplers import GaugeSampler

    return AlarmEvaluator(region, GaugeSampler(state_dir, region))
