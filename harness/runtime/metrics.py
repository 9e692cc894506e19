"""The AWS-namespace metrics the local runtime emits into the emulator's CloudWatch.

On AWS each service publishes its own metrics; locally the services the runtime stands in for
(Lambda, Step Functions, Firehose) publish them here, with AWS's names, units and dimensions, so the
stack's alarms (`harness.runtime.alarms`) and GetMetricStatistics see them:
- AWS/Lambda, per FunctionName: Invocations, Errors (function errors and timeouts), Throttles,
  Duration (ms, one value per invocation, so percentiles work), IteratorAge (ms, stream sources:
  the age of the batch's last record when it is invoked);
- AWS/States, per StateMachineArn: ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed,
  ExecutionsTimedOut, ExecutionsAborted;
- AWS/Firehose, per DeliveryStreamName: DeliveryToS3.Success (1 per successful S3 put, 0 per
  failed one: its Average is AWS's success ratio), DeliveryToS3.Records.
Gauges sampled once a (local) minute are `metric_samplers`; moto itself emits AWS/Kinesis
IncomingBytes and IncomingRecords on every PutRecord(s).

Counts are summed in this process per second and metric and written as one statistic set (what
`PutMetricData --statistic-values` stores), so a busy function adds one datapoint a second, not one
per invocation; Duration values are written one by one. `flush()` writes what is pending (the
alarm evaluator calls it before it reads); `record_*` flush by themselves once a second.
The runtime runs inside the emulator process, so this writes to moto's backend directly.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

ACCOUNT = "123456789012"
FLUSH_S = 1.0

Key = tuple[str, str, tuple[tuple[str, str], ...], str]  # namespace, metric, dimensions, unit


class MetricBuffer:
    """Per-second statistic sets of counters, plus raw values of the metrics alarms take
    percentiles of; written to moto's CloudWatch backend of `region` on flush."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (second, region, key) -> [sum, min, max, count, time of the latest sample]
        self._stats: dict[tuple[int, str, Key], list[float]] = {}
        self._values: list[tuple[float, str, Key, float]] = []
        self._flushed_at = time.time()

    def add(self, region: str, namespace: str, name: str, dimensions: dict[str, str], value: float, unit: str) -> None:
        key: Key = (namespace, name, tuple(sorted(dimensions.items())), unit)
        now = time.time()
        with self._lock:
            slot = self._stats.get((int(now), region, key))
            if slot is None:
                self._stats[(int(now), region, key)] = [value, value, value, 1.0, now]
            else:
                slot[0] += value
                slot[1] = min(slot[1], value)
                slot[2] = max(slot[2], value)
                slot[3] += 1
                slot[4] = now
        self._flush_if_due(now)

    def add_value(
        self, region: str, namespace: str, name: str, dimensions: dict[str, str], value: float, unit: str
    ) -> None:
        now = time.time()
        with self._lock:
            self._values.append((now, region, (namespace, name, tuple(sorted(dimensions.items())), unit), value))
        self._flush_if_due(now)

    def _flush_if_due(self, now: float) -> None:
        if now - self._flushed_at >= FLUSH_S:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            stats, self._stats = self._stats, {}
            values, self._values = self._values, []
            self._flushed_at = time.time()
        by_target: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for (_second, region, (namespace, name, dims, unit)), (total, low, high, count, at) in stats.items():
            # Stamped with its latest sample, so a set is never older than what it holds.
            by_target.setdefault((region, namespace), []).append(
                {
                    **_datum(name, dims, unit, at),
                    "StatisticValues": {"Sum": total, "Minimum": low, "Maximum": high, "SampleCount": count},
                }
            )
        for at, region, (namespace, name, dims, unit), value in values:
            by_target.setdefault((region, namespace), []).append({**_datum(name, dims, unit, at), "Value": value})
        for (region, namespace), data in by_target.items():
            cloudwatch_backends[ACCOUNT][region].put_metric_data(namespace, data)


def _datum(name: str, dims: tuple[tuple[str, str], ...], unit: str, at: float) -> dict[str, Any]:
    # moto compares naive UTC datetimes (its utcnow()).
    timestamp = dt.datetime.fromtimestamp(at, dt.UTC).replace(tzinfo=None)
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
        "Unit": unit,
        "Timestamp": timestamp,
    }


BUFFER = MetricBuffer()


def flush() -> None:
    """Write every pending datapoint to CloudWatch now."""
    BUFFER.flush()


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


# ------------------------------------------------------------------------------ AWS/Lambda


def record_throttle(spec: Any) -> None:
    """Throttles of one invoke refused for concurrency (`concurrency.Throttled`); as on AWS, a
    throttled invoke is not counted in Invocations or Errors."""
    BUFFER.add(_region_of(spec.arn), "AWS/Lambda", "Throttles", {"FunctionName": spec.name}, 1.0, "Count")


def record_invocation(spec: Any, event: Any, result: Any) -> None:
    """AWS/Lambda metrics of one invoke of `spec` (a workers.FunctionSpec) that gave `result`:
    Invocations, Errors (1 when the function failed), Duration and, for stream events, IteratorAge."""
    region, dims = _region_of(spec.arn), {"FunctionName": spec.name}
    BUFFER.add(region, "AWS/Lambda", "Invocations", dims, 1.0, "Count")
    BUFFER.add(region, "AWS/Lambda", "Errors", dims, 1.0 if result.failed else 0.0, "Count")
    BUFFER.add_value(region, "AWS/Lambda", "Duration", dims, float(result.duration_ms), "Milliseconds")
    age_ms = iterator_age_ms(event, time.time())
    if age_ms is not None:
        BUFFER.add(region, "AWS/Lambda", "IteratorAge", dims, age_ms, "Milliseconds")


def iterator_age_ms(event: Any, now_s: float) -> float | None:
    """Lambda's IteratorAge for a stream batch: now minus when the batch's last record was written
    (Kinesis approximateArrivalTimestamp, DynamoDB ApproximateCreationDateTime); None for an event
    that is not a stream batch."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not records or not isinstance(records[-1], dict):
        return None
    last = records[-1]
    written = (last.get("kinesis") or {}).get("approximateArrivalTimestamp")
    if written is None:
        written = (last.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if not isinstance(written, int | float):
        return None
    return max(0.0, (now_s - float(written)) * 1000.0)


# ------------------------------------------------------------------------------ AWS/States

EXECUTION_METRICS = {
    "RUNNING": "ExecutionsStarted",
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}


def record_execution(state_machine_arn: str, status: str) -> None:
    """AWS/States count for an execution of `state_machine_arn` that started (RUNNING) or ended."""
    name = EXECUTION_METRICS.get(status)
    if name:
        dims = {"StateMachineArn": state_machine_arn}
        BUFFER.add(_region_of(state_machine_arn), "AWS/States", name, dims, 1.0, "Count")


# ------------------------------------------------------------------------------ AWS/Firehose


def record_s3_delivery(delivery_stream_arn: str, succeeded: bool, records: int) -> None:
    """AWS/Firehose DeliveryToS3.* for one S3 put of a delivery stream."""
    region, dims = _region_of(delivery_stream_arn), {"DeliveryStreamName": delivery_stream_arn.rsplit("/", 1)[1]}
    BUFFER.add(region, "AWS/Firehose", "DeliveryToS3.Success", dims, 1.0 if succeeded else 0.0, "None")
    if succeeded:
        BUFFER.add(region, "AWS/Firehose", "DeliveryToS3.Records", dims, float(records), "Count")


def put_gauges(region: str, namespace: str, datapoints: list[tuple[str, dict[str, str], float, str]]) -> None:
    """Write sampled gauges (metric, dimensions, value, unit) at once (`metric_samplers`)."""
    now = time.time()
    data = [
        {**_datum(name, tuple(sorted(dims.items())), unit, now), "Value": float(value)}
        for name, dims, value, unit in datapoints
    ]
    if data:
        cloudwatch_backends[ACCOUNT][region].put_metric_data(namespace, data)
