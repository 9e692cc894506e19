"""The anomaly rules: `evaluate(record, thresholds, windows)` -> the Anomalies one record fires.

Semantics (docs/telemetry.md):
- warn/high/critical: level reached at value >= level when the levels ascend (hot is bad),
  at value <= level when they descend (low voltage is bad);
- min/max: plausible band for this sensor on this vehicle; outside it the reading is reported as
  `implausible` (info) and gets no level or z-score check. On a trend metric min/max instead
  gate on the current reading (the trend is only evaluated inside the band);
- window_s: rolling window for trends and the alert bucket; z_max: z-score limit vs own history,
  alerting only in the harmful direction when the levels give one. History rules on engine
  signals (REGIME_SIGNALS) only compare readings taken with the engine running (and warm).
Metric names: a signal name ("coolant_temp_c"), a trend on a signal ("fuel_level_pct:drop_per_min",
"coolant_temp_c:rise_per_min"), or a trouble code ("dtc:P0217", "dtc:spn110:fmi0", "dtc:spn110",
"dtc:fmi1", "dtc:*"), whose value is the occurrence count (1 for OBD codes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache

from .. import dtc as _dtc
from .model import (
    INFO,
    RULE_DTC,
    RULE_IMPLAUSIBLE,
    RULE_THRESHOLD,
    RULE_TREND,
    RULE_ZSCORE,
    WARNING,
    Anomaly,
    Point,
    bucket_start_ms,
    cap_alerts,
)
from .regime import REGIME_SIGNALS, Regime
from .thresholds import Threshold, finite_number, plan_for
from .trends import (
    MIN_TREND_POINTS,
    MIN_TREND_SPAN_MS,
    MIN_ZSCORE_POINTS,
    ZSCORE_MIN_STDEV,
    slope_bound,
    slope_per_minute,
    zscore_of_values,
)
from .windows import points_between, time_ordered


def evaluate(
    record: Mapping, thresholds: Mapping[str, Threshold], windows: Mapping[str, Sequence[Point]] | None = None
) -> list[Anomaly]:
    """All anomalies for one validated diagnostics record.

    `windows`: signal -> recent points from the sorted set; the current reading is merged in if
    absent, so passing the window before or after ZADD both work. Never raises on a record that
    passed validation; unknown signals and metrics without thresholds are ignored.
    Pass the `Thresholds` from resolve_thresholds (cached per vehicle) for speed; any mapping works.
    """
    windows = windows or {}
    vehicle_id = str(record.get("vehicle_id", ""))
    ts_ms = _record_ts_ms(record)
    signals = record.get("signals")
    found: list[Anomaly] = []
    if signals.__class__ is dict or isinstance(signals, Mapping):  # typing's isinstance is slow
        plan = plan_for(thresholds)
        regime = Regime(signals, windows)
        for signal, value in signals.items():
            checks = plan.get(signal)
            if checks is None:
                continue
            if value.__class__ not in (int, float):  # exact test: bool is not a reading
                if not (isinstance(value, Decimal) and value.is_finite()):
                    continue
                value = float(value)  # DynamoDB stream images carry Decimals
            level_threshold, trends, low, high, sign, alert_bound = checks
            stored = windows.get(signal)
            window: list[Point] | None = None
            if stored:
                window = time_ordered(stored)
                if signal in REGIME_SIGNALS:
                    # History rules only within the current reading's regime (running and warm).
                    window = regime.same_regime(signal, value, window)
            if level_threshold is not None:
                # Quiet and plausible (the common case) needs no call: three comparisons.
                if low <= value <= high and value * sign < alert_bound:
                    plausible = True
                else:
                    plausible = check_value(found, level_threshold, signal, value, vehicle_id, ts_ms)
                if plausible and level_threshold.z_max is not None and window:
                    _check_zscore(found, level_threshold, signal, value, window, vehicle_id, ts_ms)
            if window:
                for trend, direction in trends:
                    _check_trend(found, trend, signal, value, direction, window, vehicle_id, ts_ms)
    dtcs = record.get("dtcs")
    if dtcs and isinstance(dtcs, list):
        for entry in dtcs:
            parsed = _dtc.parse_dtc(entry)
            if not isinstance(parsed, str):
                _check_dtc(found, thresholds, parsed, vehicle_id, ts_ms)
    return cap_alerts(found, vehicle_id, ts_ms)


def check_value(found: list, threshold: Threshold, signal: str, value: float, vehicle_id: str, ts_ms: int) -> bool:
    low, high = threshold.min, threshold.max
    if (low is not None and value < low) or (high is not None and value > high):
        found.append(
            Anomaly(
                f"{RULE_IMPLAUSIBLE}:{signal}",
                signal,
                value,
                low if low is not None and value < low else high,
                INFO,
                f"{signal}={value} outside plausible band [{low}, {high}]",
                bucket_start_ms(ts_ms, threshold.window_s),
                vehicle_id,
                ts_ms,
            )
        )
        return False
    hit = threshold.severity_for(value)
    if hit:
        severity, level = hit
        relation = "<=" if threshold.descending else ">="
        found.append(
            Anomaly(
                f"{RULE_THRESHOLD}:{signal}",
                signal,
                value,
                level,
                severity,
                f"{signal}={value} {relation} {severity} level {level}",
                bucket_start_ms(ts_ms, threshold.window_s),
                vehicle_id,
                ts_ms,
            )
        )
    return True


def _check_zscore(
    found: list, threshold: Threshold, signal: str, value: float, window: list[Point], vehicle_id: str, ts_ms: int
) -> None:
    z_max = threshold.z_max
    if z_max is None:  # evaluate only calls this for a threshold with a z-score limit
        return
    points = points_between(window, ts_ms - threshold.window_s * 1000, ts_ms)
    if len(points) < MIN_ZSCORE_POINTS:
        return
    history = list(zip(*points))[1]
    score = zscore_of_values(history, value, ZSCORE_MIN_STDEV.get(signal, 0.0))
    # Only surprises in the harmful direction: a battery jumping to 14 V at engine start or
    # coolant dropping on a downhill is not a fault.
    if score is not None and abs(score) > z_max and score * threshold.bad_sign >= 0:
        found.append(
            Anomaly(
                f"{RULE_ZSCORE}:{signal}",
                signal,
                value,
                z_max,
                WARNING,
                f"{signal}={value} is {score:+.1f} sigma from this vehicle's last {len(history)} readings",
                bucket_start_ms(ts_ms, threshold.window_s),
                vehicle_id,
                ts_ms,
            )
        )


def _check_trend(
    found: list,
    threshold: Threshold,
    signal: str,
    value: float,
    direction: float,
    window: list[Point],
    vehicle_id: str,
    ts_ms: int,
) -> None:
    # For trend metrics min/max gate on the reading itself: coolant rising fast while warming up
    # from cold is normal, the same rise above 90 C is not.
    if (threshold.min is not None and value < threshold.min) or (threshold.max is not None and value > threshold.max):
        return
    points = points_between(window, ts_ms - threshold.window_s * 1000, ts_ms)
    if len(points) + 1 < MIN_TREND_POINTS or ts_ms - points[0][0] < MIN_TREND_SPAN_MS:
        return
    points.append((ts_ms, float(value)))
    if slope_bound(points) < threshold.lowest_alert_level:
        return  # cannot reach even the lowest level: skip the regression (the common case)
    slope = slope_per_minute(points)
    if slope is None:
        return
    rate = slope * direction
    hit = threshold.severity_for(rate)
    if hit:
        severity, level = hit
        metric = threshold.metric
        found.append(
            Anomaly(
                f"{RULE_TREND}:{metric}",
                metric,
                round(rate, 4),
                level,
                severity,
                f"{signal} {'falling' if direction < 0 else 'rising'} "
                f"{abs(slope):.2f}/min over {len(points)} readings "
                f"({severity} level {level}/min)",
                bucket_start_ms(ts_ms, threshold.window_s),
                vehicle_id,
                ts_ms,
            )
        )


@lru_cache(maxsize=4096)
def _dtc_metrics(code: _dtc.Dtc) -> tuple[str, ...]:
    if code.form == "obd":
        return f"dtc:{code.code}", "dtc:*"
    return f"dtc:spn{code.spn}:fmi{code.fmi}", f"dtc:spn{code.spn}", f"dtc:fmi{code.fmi}", "dtc:*"


def _check_dtc(found: list, thresholds: Mapping[str, Threshold], code: _dtc.Dtc, vehicle_id: str, ts_ms: int) -> None:
    count = 1 if code.occurrences in (None, 0) else code.occurrences
    for metric in _dtc_metrics(code):
        threshold = thresholds.get(metric)
        if threshold is None:
            continue
        hit = threshold.severity_for(count)
        if hit is None:
            return  # the most specific calibration decides; it may deliberately stay quiet
        severity, level = hit
        found.append(
            Anomaly(
                f"{RULE_DTC}:{code.key}",
                f"dtc:{code.key}",
                count,
                level,
                severity,
                f"trouble code {code.key} active ({count} occurrence(s)), calibration {metric}",
                bucket_start_ms(ts_ms, threshold.window_s),
                vehicle_id,
                ts_ms,
            )
        )
        return


def _record_ts_ms(record: Mapping) -> int:
    ts_ms = finite_number(record.get("ts_ms", record.get("timestamp")))
    if ts_ms is not None:
        return int(ts_ms)
    ts = record.get("ts")
    if isinstance(ts, str):
        from ..telemetry import iso_to_epoch_ms

        try:
            return iso_to_epoch_ms(ts)
        except (ValueError, OverflowError):
            return 0
    return 0
