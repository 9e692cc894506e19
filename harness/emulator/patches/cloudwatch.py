"""CloudWatch: datapoints kept only within the local retention (see `retention`)."""

from __future__ import annotations

from collections import deque
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend

from harness.emulator.patches import retention
from harness.emulator.patches.registry import patch


@patch(target=CloudWatchBackend.put_metric_data)
def bounded_metric_data(fn: Any, self: CloudWatchBackend, namespace: str, metric_data: list) -> None:
    """CloudWatch PutMetricData: datapoints are kept for the local retention only.

    Gap: moto appends every datapoint to the backend's `metric_data` forever (Kinesis PutRecords alone
    adds two per call), so the emulator grows per call; AWS keeps them 15 months, outside any process.
    Fix: remember when each call's datapoints arrived and drop those received longer than the local
    retention ago, or than the longest window an alarm reads (Period x EvaluationPeriods) if that
    is longer, on the next PutMetricData. Off when the local retention is off.
    """
    before = len(self.metric_data)
    fn(self, namespace, metric_data)
    keep_s = retention.local_retention_s()
    if keep_s is None:
        return
    keep_s = max(keep_s, longest_alarm_window_s(self))
    arrivals = getattr(self, "fleettap_arrivals", None)
    if arrivals is None:
        arrivals = self.fleettap_arrivals = deque()
    now = retention.now()
    arrivals.append((now, len(self.metric_data) - before))
    expired = 0
    while arrivals and arrivals[0][0] < now - keep_s:
        expired += arrivals.popleft()[1]
    if expired:
        del self.metric_data[:expired]


def longest_alarm_window_s(backend: CloudWatchBackend) -> float:
    """The longest span of datapoints any metric alarm of `backend` evaluates, in seconds."""
    longest = 0.0
    for alarm in list(backend.alarms.values()):
        periods = [int(q.metric_stat.period) for q in alarm.metric_data_queries or [] if q.metric_stat is not None]
        period = max(periods + [int(alarm.period or 0)])
        longest = max(longest, float(period) * int(alarm.evaluation_periods or 1))
    return longest
