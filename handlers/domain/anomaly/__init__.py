"""Anomaly rules: calibrated thresholds, rolling-window trends, severities and de-duplication.

- ``thresholds``: ``alert_thresholds`` items -> one ``Threshold`` per metric for a vehicle
  (``resolve_thresholds``, ``ThresholdResolver``; ``DEFAULT_THRESHOLD_ITEMS`` is the seed).
- ``rules``: ``evaluate(record, thresholds, windows)`` -> the ``Anomaly`` list of one record
  (semantics of levels, plausible bands, trends, z-scores and trouble codes in its docstring).
- ``windows``: the Redis sorted-set windows the handler keeps; ``trends``: slope, rate, z-score;
  ``regime``: which readings of an engine signal are comparable.
- ``dedupe``: publish / escalate / suppress per (vehicle, rule) episode, and the alert body.
- ``model``: severities, rule kinds, ``Anomaly``, deterministic ``alert_id``.
"""

from .dedupe import (
    DEFAULT_CLEAR_AFTER_S,
    DEFAULT_ESCALATE_AFTER_S,
    ESCALATE,
    PUBLISH,
    STATE_TTL_S,
    SUPPRESS,
    AlertDeduper,
    alert_body,
    dedupe,
    dedupe_key,
)
from .model import (
    CRITICAL,
    HIGH,
    INFO,
    MAX_ALERTS_PER_RECORD,
    RULE_DTC,
    RULE_IMPLAUSIBLE,
    RULE_THRESHOLD,
    RULE_TREND,
    RULE_ZSCORE,
    SEVERITIES,
    SEVERITY_RANK,
    SUMMARY_RULE,
    WARNING,
    Anomaly,
    Point,
    alert_id,
    bucket_start_ms,
)
from .regime import REGIME_SIGNALS, RPM_SIGNAL, RUNNING_RPM, WARM_COOLANT_C
from .rules import evaluate
from .thresholds import (
    DEFAULT_SCOPE,
    DEFAULT_THRESHOLD_ITEMS,
    DEFAULT_WINDOW_S,
    TREND_SUFFIXES,
    Threshold,
    ThresholdResolver,
    Thresholds,
    default_thresholds,
    resolve_thresholds,
)
from .trends import (
    MIN_TREND_POINTS,
    MIN_TREND_SPAN_MS,
    MIN_ZSCORE_POINTS,
    ZSCORE_MIN_STDEV,
    rate_of_change_per_minute,
    slope_per_minute,
    zscore,
)
from .windows import parse_window, trim, window_key, window_member, window_signals

__all__ = [
    "AlertDeduper",
    "Anomaly",
    "CRITICAL",
    "DEFAULT_CLEAR_AFTER_S",
    "DEFAULT_ESCALATE_AFTER_S",
    "DEFAULT_SCOPE",
    "DEFAULT_THRESHOLD_ITEMS",
    "DEFAULT_WINDOW_S",
    "ESCALATE",
    "HIGH",
    "INFO",
    "MIN_TREND_POINTS",
    "MIN_TREND_SPAN_MS",
    "MIN_ZSCORE_POINTS",
    "PUBLISH",
    "Point",
    "REGIME_SIGNALS",
    "RPM_SIGNAL",
    "MAX_ALERTS_PER_RECORD",
    "SUMMARY_RULE",
    "RULE_DTC",
    "RULE_IMPLAUSIBLE",
    "RULE_THRESHOLD",
    "RULE_TREND",
    "RULE_ZSCORE",
    "RUNNING_RPM",
    "SEVERITIES",
    "SEVERITY_RANK",
    "STATE_TTL_S",
    "SUPPRESS",
    "TREND_SUFFIXES",
    "Threshold",
    "ThresholdResolver",
    "Thresholds",
    "WARM_COOLANT_C",
    "WARNING",
    "ZSCORE_MIN_STDEV",
    "alert_body",
    "alert_id",
    "bucket_start_ms",
    "dedupe",
    "dedupe_key",
    "default_thresholds",
    "evaluate",
    "parse_window",
    "rate_of_change_per_minute",
    "resolve_thresholds",
    "slope_per_minute",
    "trim",
    "window_key",
    "window_member",
    "window_signals",
    "zscore",
]
