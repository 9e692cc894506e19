"""Anomaly rules: calibrated thresholds, rolling-window trends, severities and de-duplication.

Threshold items (`alert_thresholds` table, contracts.md) are `{scope, metric, min, max, warn,
high, critical, window_s, z_max}`; resolution merges them field by field, the most specific
scope winning: `vehicle#<id>` > `class#<type>` > `default`. Semantics (docs/telemetry.md):
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

import hashlib
import math
from bisect import bisect_left
from operator import mul
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Mapping, Optional, Sequence

from . import dtc as _dtc

INFO, WARNING, HIGH, CRITICAL = "info", "warning", "high", "critical"
SEVERITIES = (INFO, WARNING, HIGH, CRITICAL)
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

RULE_THRESHOLD = "threshold"
RULE_TREND = "trend"
RULE_ZSCORE = "zscore"
RULE_DTC = "dtc"
RULE_IMPLAUSIBLE = "implausible"

TREND_SUFFIXES = {"drop_per_min": -1.0, "rise_per_min": 1.0}
MIN_TREND_POINTS = 3
MIN_TREND_SPAN_MS = 120_000       # a slope over less than 2 minutes is GPS/sender jitter
MIN_ZSCORE_POINTS = 10
DEFAULT_WINDOW_S = 900

# Operating regimes. An engine signal's own history only means something within one regime:
# coolant climbs 60 degC on every cold start and sinks after every stop, and the battery reads
# ~14 V while the alternator charges and ~12.6 V at rest. z-score and trend rules on these signals
# therefore compare a reading taken with the engine running (engine_rpm > 0) only with readings
# taken with the engine running, and coolant only once warm. signal -> lowest "warm" value (None:
# running is enough). A record without engine_rpm leaves the running gate off (regime unknown).
RUNNING_RPM = 0.0                 # engine running iff engine_rpm > RUNNING_RPM
WARM_COOLANT_C = 70.0             # below this the engine is warming up (thermostat still closed)
REGIME_SIGNALS: dict[str, Optional[float]] = {"coolant_temp_c": WARM_COOLANT_C, "battery_v": None}
RPM_SIGNAL = "engine_rpm"
# Smallest standard deviation a z-score divides by, per signal: the sensor's resolution (J1939
# SPN 110 coolant 1 degC/bit, SPN 168 battery 0.05 V/bit). A warm engine's coolant history is
# often flat to the degree, and without the floor one sensor step reads as "4 sigma".
ZSCORE_MIN_STDEV: dict[str, float] = {"coolant_temp_c": 1.0, "battery_v": 0.05}

DEFAULT_SCOPE = "default"
_FIELDS = ("min", "max", "warn", "high", "critical", "window_s", "z_max")
Point = tuple[int, float]


@dataclass(frozen=True)
class Threshold:
    """Resolved calibration for one metric (None = that check is off)."""
    metric: str
    min: Optional[float] = None
    max: Optional[float] = None
    warn: Optional[float] = None
    high: Optional[float] = None
    critical: Optional[float] = None
    window_s: int = DEFAULT_WINDOW_S
    z_max: Optional[float] = None
    scope: str = DEFAULT_SCOPE

    _descending: bool = field(default=False, init=False, repr=False, compare=False)
    _levels: tuple = field(default=(), init=False, repr=False, compare=False)
    _bad_sign: int = field(default=0, init=False, repr=False, compare=False)
    _lowest: float = field(default=-math.inf, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Precomputed because evaluate() runs per record at 3,900 records/s.
        present = [v for v in (self.warn, self.high, self.critical) if v is not None]
        object.__setattr__(self, "_descending", len(present) >= 2 and present[0] > present[-1])
        if len(present) >= 2 and present[0] != present[-1]:
            object.__setattr__(self, "_bad_sign", -1 if self._descending else 1)
        if present and not self._descending:
            object.__setattr__(self, "_lowest", min(present))
        object.__setattr__(self, "_levels", tuple(
            (severity, level) for severity, level in
            ((CRITICAL, self.critical), (HIGH, self.high), (WARNING, self.warn)) if level is not None))

    @property
    def descending(self) -> bool:
        """True when low values are bad (levels are given in descending order)."""
        return self._descending

    @property
    def lowest_alert_level(self) -> float:
        """The smallest value that alerts when levels ascend; -inf otherwise (no shortcut)."""
        return self._lowest

    @property
    def bad_sign(self) -> int:
        """+1 when high values are bad, -1 when low values are bad, 0 when the levels do not say
        (fewer than two distinct levels). z-scores only alert in the bad direction."""
        return self._bad_sign

    def severity_for(self, value: float) -> Optional[tuple[str, float]]:
        """(severity, level crossed) for the worst level `value` reaches, else None."""
        if self._descending:
            for severity, level in self._levels:
                if value <= level:
                    return severity, level
        else:
            for severity, level in self._levels:
                if value >= level:
                    return severity, level
        return None


class Thresholds(dict):
    """dict[metric, Threshold] as returned by resolve_thresholds; it caches the per-signal
    evaluation plan so a handler that caches the resolved thresholds per vehicle pays for the
    plan once."""

    _plan: Optional[dict] = None

    def __setitem__(self, key: str, value: "Threshold") -> None:
        self._plan = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._plan = None
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._plan = None
        super().update(*args, **kwargs)


def _item(scope: str, metric: str, **fields: Any) -> dict:
    return {"scope": scope, "metric": metric, **fields}


# Seed items for the alert_thresholds table. Sources: SAE J1979/J1939 ranges (DOMAIN.md) and
# common heavy-duty service limits; class rows override only what differs.
DEFAULT_THRESHOLD_ITEMS: list[dict] = [
    _item("default", "coolant_temp_c", min=-40, max=150, warn=104, high=110, critical=116,
          window_s=900, z_max=4.0),
    _item("default", "coolant_temp_c:rise_per_min", min=90, warn=2.0, high=4.0, critical=8.0,
          window_s=600),
    _item("default", "engine_rpm", min=0, max=4000, warn=2400, high=2800, critical=3200, window_s=300),
    _item("class#van", "engine_rpm", max=8000, warn=5500, high=6200, critical=6800),
    _item("default", "battery_v", min=8, max=32, warn=12.2, high=11.8, critical=11.0, window_s=900,
          z_max=5.0),
    _item("default", "fuel_level_pct", min=0, max=100, warn=15, high=10, critical=5, window_s=1800),
    _item("default", "fuel_level_pct:drop_per_min", warn=0.5, high=1.0, critical=2.0, window_s=600),
    _item("class#reefer", "fuel_level_pct:drop_per_min", warn=0.7, high=1.3, critical=2.5),
    # No z-score on load: it swings with every hill and would page on terrain, not faults.
    _item("default", "engine_load_pct", min=0, max=125, warn=98, high=110, window_s=900),
    _item("default", "vehicle_speed_kph", min=0, max=200, warn=113, high=125, critical=140,
          window_s=300),
    _item("default", "dtc:*", warn=1, window_s=3600),
    _item("default", "dtc:fmi0", high=1, window_s=3600),     # data valid, above normal: most severe
    _item("default", "dtc:fmi1", high=1, window_s=3600),     # data valid, below normal: most severe
    _item("default", "dtc:P0217", critical=1, window_s=3600),  # engine over-temperature
    _item("default", "dtc:P0524", critical=1, window_s=3600),  # engine oil pressure too low
    _item("default", "dtc:spn100:fmi1", critical=1, window_s=3600),  # oil pressure very low
    _item("default", "dtc:spn110:fmi0", critical=1, window_s=3600),  # coolant temp very high
    _item("default", "dtc:spn111:fmi1", critical=1, window_s=3600),  # coolant level very low
    _item("default", "dtc:U0100", high=1, window_s=3600),      # lost communication with ECM
]


@dataclass(frozen=True)
class Anomaly:
    """One rule firing on one record. `rule` is "<kind>:<metric>" (kind in RULE_*)."""
    rule: str
    metric: str
    value: float
    threshold: Optional[float]
    severity: str
    message: str
    window_start_ms: int
    vehicle_id: str = ""
    ts_ms: int = 0

    @property
    def alert_id(self) -> str:
        return alert_id(self.vehicle_id, self.rule, self.window_start_ms)


# ---- thresholds ---------------------------------------------------------------------------
def resolve_thresholds(items: Iterable[Mapping], vehicle_id: str,
                       vehicle_type: Optional[str]) -> "Thresholds":
    """Merge threshold items into one Threshold per metric for this vehicle.

    Field by field, `vehicle#<id>` beats `class#<type>` beats `default`; items for other
    vehicles/classes are ignored, as are fields that are absent or null. Numeric strings and
    Decimals (DynamoDB) are accepted; unparsable fields are ignored.
    """
    precedence = {DEFAULT_SCOPE: 0, f"class#{vehicle_type}": 1, f"vehicle#{vehicle_id}": 2}
    relevant = sorted(
        (item for item in items if isinstance(item, Mapping) and item.get("scope") in precedence
         and isinstance(item.get("metric"), str)),
        key=lambda item: precedence[item["scope"]],
    )
    merged: dict[str, dict] = {}
    for item in relevant:
        fields = merged.setdefault(item["metric"], {"scope": item["scope"]})
        fields["scope"] = item["scope"]
        for name in _FIELDS:
            number = _number(item.get(name))
            if number is not None:
                fields[name] = int(number) if name == "window_s" else number
    return Thresholds((metric, Threshold(metric=metric, **fields)) for metric, fields in merged.items())


def default_thresholds(vehicle_id: str = "", vehicle_type: Optional[str] = None) -> "Thresholds":
    """resolve_thresholds over DEFAULT_THRESHOLD_ITEMS (what an empty table would mean)."""
    return resolve_thresholds(DEFAULT_THRESHOLD_ITEMS, vehicle_id, vehicle_type)


class ThresholdResolver:
    """Per-vehicle thresholds from one snapshot of the alert_thresholds items, resolved once.

    Resolving (and building the evaluation plan) costs ~50-100 us, several times the rules
    themselves, so a handler should build one resolver per table load and call `for_vehicle` per
    record. Vehicles without their own calibration share one `Thresholds` per vehicle class, so
    the cache stays small. With no `default` items in the snapshot, DEFAULT_THRESHOLD_ITEMS'
    defaults apply (an unseeded table still alerts).
    """

    def __init__(self, items: Iterable[Mapping]) -> None:
        self._by_scope: dict[str, list[Mapping]] = {}
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("scope"), str):
                self._by_scope.setdefault(item["scope"], []).append(item)
        if DEFAULT_SCOPE not in self._by_scope:
            self._by_scope[DEFAULT_SCOPE] = [item for item in DEFAULT_THRESHOLD_ITEMS
                                             if item["scope"] == DEFAULT_SCOPE]
        self._cache: dict[tuple, Thresholds] = {}

    def for_vehicle(self, vehicle_id: str, vehicle_type: Optional[str]) -> "Thresholds":
        """Resolved thresholds (with their evaluation plan) for one vehicle."""
        own = self._by_scope.get(f"vehicle#{vehicle_id}")
        key = (vehicle_id if own else None, vehicle_type)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= 1 << 16:  # only calibrated vehicles add entries; bound them
                self._cache.clear()
            items = (self._by_scope[DEFAULT_SCOPE] + self._by_scope.get(f"class#{vehicle_type}", [])
                     + (own or []))
            cached = resolve_thresholds(items, vehicle_id, vehicle_type)
            _plan_for(cached)
            self._cache[key] = cached
        return cached


# ---- rolling windows in a Redis sorted set -----------------------------------------------
def window_key(vehicle_id: str, signal: str) -> str:
    """Redis key of the sorted set holding a vehicle's recent values of one signal."""
    return f"win:{vehicle_id}:{signal}"


def window_member(ts_ms: int, value: float) -> str:
    """Sorted-set member for one point (score = ts_ms). The ts prefix keeps equal values at
    different times distinct; repr() round-trips floats exactly."""
    return f"{int(ts_ms)}:{value!r}"


def parse_window(members_with_scores: Iterable[Any]) -> list[Point]:
    """Points from ZRANGE ... WITHSCORES output: [(member, score), ...] with str or bytes
    members. Unparsable members are skipped. Sorted by time; duplicates of a ts keep the last."""
    by_ts: dict[int, float] = {}
    for entry in members_with_scores:
        try:
            member = entry[0] if isinstance(entry, (tuple, list)) else entry
            if isinstance(member, (bytes, bytearray)):
                member = member.decode("ascii")
            ts_text, value_text = member.split(":", 1)
            value = float(value_text)
            if math.isfinite(value):
                by_ts[int(ts_text)] = value
        except (ValueError, TypeError, IndexError, AttributeError, UnicodeDecodeError):
            continue
    return sorted(by_ts.items())


def window_signals(thresholds: Mapping[str, Threshold]) -> dict[str, int]:
    """Signals whose history the handler must keep, with the window length (s) to keep."""
    spans: dict[str, int] = {}
    for metric, threshold in thresholds.items():
        signal, _, suffix = metric.partition(":")
        if metric.startswith("dtc:"):
            continue
        if suffix in TREND_SUFFIXES or (not suffix and threshold.z_max is not None):
            spans[signal] = max(spans.get(signal, 0), threshold.window_s)
    # Regime-gated signals need engine_rpm history to tell running readings from the rest.
    gated = [spans[signal] for signal in REGIME_SIGNALS if signal in spans]
    if gated:
        spans[RPM_SIGNAL] = max(spans.get(RPM_SIGNAL, 0), *gated)
    return spans


# ---- trend statistics (pure functions over [(ts_ms, value)]) -----------------------------
def trim(points: Sequence[Point], start_ms: int) -> list[Point]:
    """Points at or after start_ms."""
    return [point for point in points if point[0] >= start_ms]


def slope_per_minute(points: Sequence[Point]) -> Optional[float]:
    """Least-squares slope in value units per minute; None with < 2 points or zero time span.
    Order-independent (the points need not be sorted)."""
    count = len(points)
    if count < 2:
        return None
    times, ys = zip(*points)
    origin = times[0]
    # Sums via map(mul) run in C: this is on the per-record path (3,900 records/s).
    xs = [(t - origin) / 60_000 for t in times]
    sum_x, sum_y = sum(xs), sum(ys)
    denominator = count * sum(map(mul, xs, xs)) - sum_x * sum_x
    if denominator <= 1e-12 * count * count:
        return None
    return (count * sum(map(mul, xs, ys)) - sum_x * sum_y) / denominator


def rate_of_change_per_minute(points: Sequence[Point]) -> Optional[float]:
    """(last - first) / elapsed minutes; None with < 2 points or zero elapsed time."""
    if len(points) < 2 or points[-1][0] == points[0][0]:
        return None
    return (points[-1][1] - points[0][1]) / ((points[-1][0] - points[0][0]) / 60_000)


def zscore(history: Sequence[Point], value: float) -> Optional[float]:
    """(value - mean) / stdev of history (population); None with < MIN_ZSCORE_POINTS points or
    a flat history (stdev ~ 0: any change would be infinitely surprising, which says nothing)."""
    return _zscore_of_values([v for _, v in history], value)


def _zscore_of_values(values: list[float], value: float, min_stdev: float = 0.0) -> Optional[float]:
    count = len(values)
    if count < MIN_ZSCORE_POINTS:
        return None
    # One pass in C (map/mul); telemetry magnitudes (< 1e6) keep the cancellation error far
    # below any variance that matters.
    mean = sum(values) / count
    variance = sum(map(mul, values, values)) / count - mean * mean
    if min_stdev > 0:  # a known noise floor: a steady history is scored against the floor
        return (value - mean) / max(math.sqrt(max(variance, 0.0)), min_stdev)
    if variance <= 1e-12 * max(1.0, mean * mean):
        return None
    return (value - mean) / math.sqrt(variance)


# ---- evaluation ---------------------------------------------------------------------------
def evaluate(record: Mapping, thresholds: Mapping[str, Threshold],
             windows: Optional[Mapping[str, Sequence[Point]]] = None) -> list[Anomaly]:
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
        plan = _plan_for(thresholds)
        regime = _Regime(signals, windows)
        for signal, value in signals.items():
            checks = plan.get(signal)
            if checks is None:
                continue
            if value.__class__ not in (int, float):  # exact test: bool is not a reading
                if not (isinstance(value, Decimal) and value.is_finite()):
                    continue
                value = float(value)  # DynamoDB stream images carry Decimals
            level_threshold, trends, low, high, sign, alert_bound = checks
            window = windows.get(signal)
            if window:
                window = _time_ordered(window)
                if signal in REGIME_SIGNALS:
                    # History rules only within the current reading's regime (running and warm).
                    window = regime.same_regime(signal, value, window)
            if level_threshold is not None:
                # Quiet and plausible (the common case) needs no call: three comparisons.
                if low <= value <= high and value * sign < alert_bound:
                    plausible = True
                else:
                    plausible = _check_value(found, level_threshold, signal, value, vehicle_id, ts_ms)
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
    return found


class _Regime:
    """The engine regime of one record and, lazily, the timestamps at which it was running."""

    __slots__ = ("running", "_rpm_window", "_running_ts")

    def __init__(self, signals: Mapping, windows: Mapping) -> None:
        rpm = signals.get(RPM_SIGNAL)
        if isinstance(rpm, Decimal) and rpm.is_finite():
            rpm = float(rpm)
        # None = unknown (no rpm on the record): the running gate stays off.
        self.running = rpm > RUNNING_RPM if rpm.__class__ in (int, float) else None
        self._rpm_window = windows.get(RPM_SIGNAL)
        self._running_ts: Optional[set] = None

    def same_regime(self, signal: str, value: float, window: list[Point]) -> list[Point]:
        """The points of `window` comparable with the current reading: [] when the current
        reading is outside the gated regime (engine off, or coolant not yet warm), else the
        points taken with the engine running (when rpm history says so) and warm."""
        warm = REGIME_SIGNALS[signal]
        if self.running is False or (warm is not None and value < warm):
            return []
        if self.running:
            running_ts = self._running_timestamps()
            if running_ts is None:
                return []  # running now, but no rpm history to tell which readings are comparable
            window = [point for point in window if point[0] in running_ts]
        if warm is not None:
            window = [point for point in window if point[1] >= warm]
        return window

    def _running_timestamps(self) -> Optional[set]:
        if self._running_ts is None and self._rpm_window:
            running = set()
            for point in self._rpm_window:
                try:
                    if float(point[1]) > RUNNING_RPM:
                        running.add(int(point[0]))
                except (TypeError, ValueError, IndexError):
                    continue
            self._running_ts = running
        return self._running_ts


def _plan_for(thresholds: Mapping[str, Threshold]) -> dict:
    # signal -> (level/z-score Threshold or None, ((trend Threshold, direction), ...),
    #            quiet band: low, high, sign, alert_bound; quiet iff low <= v <= high and
    #            v * sign < alert_bound, i.e. plausible and below the first level)
    plan = getattr(thresholds, "_plan", None)
    if plan is not None:
        return plan
    levels: dict[str, Threshold] = {}
    trends: dict[str, tuple] = {}
    for metric, threshold in thresholds.items():
        if not isinstance(metric, str) or metric.startswith("dtc:"):
            continue
        signal, _, suffix = metric.partition(":")
        if not suffix:
            levels[signal] = threshold
        elif suffix in TREND_SUFFIXES:
            trends[signal] = trends.get(signal, ()) + ((threshold, TREND_SUFFIXES[suffix]),)
    plan = {}
    for signal in levels.keys() | trends.keys():
        level = levels.get(signal)
        plan[signal] = (level, trends.get(signal, ())) + _quiet_band(level)
    if isinstance(thresholds, Thresholds):
        thresholds._plan = plan
    return plan


def _quiet_band(threshold: Optional[Threshold]) -> tuple[float, float, int, float]:
    if threshold is None:
        return -math.inf, math.inf, 1, math.inf
    low = -math.inf if threshold.min is None else threshold.min
    high = math.inf if threshold.max is None else threshold.max
    alerting = [level for _, level in threshold._levels]
    if not alerting:
        return low, high, 1, math.inf
    if threshold.descending:
        return low, high, -1, -max(alerting)   # quiet iff -v < -top, i.e. v > top level
    return low, high, 1, min(alerting)


def bucket_start_ms(ts_ms: int, window_s: int) -> int:
    """Start of the window_s-long bucket containing ts_ms: the window start used in alert ids,
    so a redelivered record maps to the same alert."""
    span = max(1, int(window_s)) * 1000
    return ts_ms - ts_ms % span


def _check_value(found: list, threshold: Threshold, signal: str, value: float,
                 vehicle_id: str, ts_ms: int) -> bool:
    low, high = threshold.min, threshold.max
    if (low is not None and value < low) or (high is not None and value > high):
        found.append(Anomaly(f"{RULE_IMPLAUSIBLE}:{signal}", signal, value,
                             low if low is not None and value < low else high, INFO,
                             f"{signal}={value} outside plausible band [{low}, {high}]",
                             bucket_start_ms(ts_ms, threshold.window_s), vehicle_id, ts_ms))
        return False
    hit = threshold.severity_for(value)
    if hit:
        severity, level = hit
        relation = "<=" if threshold.descending else ">="
        found.append(Anomaly(f"{RULE_THRESHOLD}:{signal}", signal, value, level, severity,
                             f"{signal}={value} {relation} {severity} level {level}",
                             bucket_start_ms(ts_ms, threshold.window_s), vehicle_id, ts_ms))
    return True


def _check_zscore(found: list, threshold: Threshold, signal: str, value: float,
                  window: Sequence[Point], vehicle_id: str, ts_ms: int) -> None:
    points = _between(window, ts_ms - threshold.window_s * 1000, ts_ms)
    if len(points) < MIN_ZSCORE_POINTS:
        return
    history = list(zip(*points))[1]
    score = _zscore_of_values(history, value, ZSCORE_MIN_STDEV.get(signal, 0.0))
    # Only surprises in the harmful direction: a battery jumping to 14 V at engine start or
    # coolant dropping on a downhill is not a fault.
    if score is not None and abs(score) > threshold.z_max and score * threshold.bad_sign >= 0:
        found.append(Anomaly(f"{RULE_ZSCORE}:{signal}", signal, value, threshold.z_max, WARNING,
                             f"{signal}={value} is {score:+.1f} sigma from this vehicle's last "
                             f"{len(history)} readings", bucket_start_ms(ts_ms, threshold.window_s),
                             vehicle_id, ts_ms))


def _check_trend(found: list, threshold: Threshold, signal: str, value: float, direction: float,
                 window: Sequence[Point], vehicle_id: str, ts_ms: int) -> None:
    # For trend metrics min/max gate on the reading itself: coolant rising fast while warming up
    # from cold is normal, the same rise above 90 C is not.
    if (threshold.min is not None and value < threshold.min) or \
            (threshold.max is not None and value > threshold.max):
        return
    points = _between(window, ts_ms - threshold.window_s * 1000, ts_ms)
    if len(points) + 1 < MIN_TREND_POINTS or ts_ms - points[0][0] < MIN_TREND_SPAN_MS:
        return
    points.append((ts_ms, float(value)))
    if _slope_bound(points) < threshold.lowest_alert_level:
        return  # cannot reach even the lowest level: skip the regression (the common case)
    slope = slope_per_minute(points)
    if slope is None:
        return
    rate = slope * direction
    hit = threshold.severity_for(rate)
    if hit:
        severity, level = hit
        metric = threshold.metric
        found.append(Anomaly(f"{RULE_TREND}:{metric}", metric, round(rate, 4), level, severity,
                             f"{signal} {'falling' if direction < 0 else 'rising'} "
                             f"{abs(slope):.2f}/min over {len(points)} readings "
                             f"({severity} level {level}/min)",
                             bucket_start_ms(ts_ms, threshold.window_s), vehicle_id, ts_ms))


def _time_ordered(window: Sequence[Point]) -> list[Point]:
    # parse_window/ZRANGE output is already ordered; re-sorting it per record would cost more
    # than the statistics, so only windows that are visibly not ordered tuples are sorted.
    if window.__class__ is list and window[0].__class__ is tuple and window[0][0] <= window[-1][0]:
        return window
    return sorted(tuple(point) for point in window)


def _slope_bound(points: list[Point]) -> float:
    """An upper bound of |least-squares slope| per minute, at a third of the regression's cost.

    By Cauchy-Schwarz |slope| <= sqrt(sum dy^2 / sum dx^2); sum dy^2 <= n * spread^2 and, as the
    first and last times are in the set, sum dx^2 >= span^2 / 2.
    """
    values = [value for _, value in points]
    span_min = (points[-1][0] - points[0][0]) / 60_000
    if span_min <= 0:
        return math.inf
    return (max(values) - min(values)) * math.sqrt(2 * len(values)) / span_min


def _between(window: list[Point], start_ms: int, end_ms: int) -> list[Point]:
    """Points of a time-sorted window with start_ms <= ts < end_ms (binary search, C speed)."""
    return window[bisect_left(window, (start_ms,)):bisect_left(window, (end_ms,))]


@lru_cache(maxsize=4096)
def _dtc_metrics(code: _dtc.Dtc) -> tuple[str, ...]:
    if code.form == "obd":
        return f"dtc:{code.code}", "dtc:*"
    return f"dtc:spn{code.spn}:fmi{code.fmi}", f"dtc:spn{code.spn}", f"dtc:fmi{code.fmi}", "dtc:*"


def _check_dtc(found: list, thresholds: Mapping[str, Threshold], code: _dtc.Dtc,
               vehicle_id: str, ts_ms: int) -> None:
    count = 1 if code.occurrences in (None, 0) else code.occurrences
    for metric in _dtc_metrics(code):
        threshold = thresholds.get(metric)
        if threshold is None:
            continue
        hit = threshold.severity_for(count)
        if hit is None:
            return  # the most specific calibration decides; it may deliberately stay quiet
        severity, level = hit
        found.append(Anomaly(f"{RULE_DTC}:{code.key}", f"dtc:{code.key}", count, level, severity,
                             f"trouble code {code.key} active ({count} occurrence(s)), "
                             f"calibration {metric}", bucket_start_ms(ts_ms, threshold.window_s),
                             vehicle_id, ts_ms))
        return


# ---- alert identity and de-duplication ---------------------------------------------------
def alert_id(vehicle_id: str, rule: str, window_start_ms: int) -> str:
    """Deterministic alert id: same vehicle, rule and window start -> same id (redelivery)."""
    digest = hashlib.sha256(f"{vehicle_id}|{rule}|{int(window_start_ms)}".encode()).hexdigest()
    return f"al-{digest[:24]}"


def dedupe_key(vehicle_id: str, rule: str) -> str:
    """Redis key under which the handler stores the dedupe state of (vehicle, rule)."""
    return f"alert:{vehicle_id}:{rule}"


PUBLISH, ESCALATE, SUPPRESS = "publish", "escalate", "suppress"
DEFAULT_CLEAR_AFTER_S = 900        # quiet this long -> the episode is over, next one alerts again
DEFAULT_ESCALATE_AFTER_S = 1800    # still firing after this long -> one persistence escalation
STATE_TTL_S = DEFAULT_CLEAR_AFTER_S + 60  # Redis EXPIRE for the state key (self-cleaning)


def dedupe(prev_state: Optional[Mapping], anomaly: Anomaly, now_ms: int, *,
           clear_after_s: int = DEFAULT_CLEAR_AFTER_S,
           escalate_after_s: int = DEFAULT_ESCALATE_AFTER_S) -> tuple[str, dict]:
    """Decide whether an anomaly is news. Returns (decision, new_state).

    - "publish": first firing, or the previous episode went quiet for clear_after_s;
    - "escalate": severity rose above the episode's, or the episode has lasted escalate_after_s
      (once; the escalation raises severity one level, capped at critical);
    - "suppress": anything else (state's count/last_ms updated).
    new_state["alert_id"] / ["severity"] are what the handler publishes on publish/escalate.
    The state is a small JSON-able dict; a malformed prev_state counts as none.
    """
    rank = SEVERITY_RANK.get(anomaly.severity, 0)
    state = dict(prev_state) if isinstance(prev_state, Mapping) else None
    if state is not None and not _state_is_valid(state):
        state = None
    if state is None or now_ms - state["last_ms"] > clear_after_s * 1000:
        return PUBLISH, {
            "rule": anomaly.rule, "first_ms": now_ms, "last_ms": now_ms, "count": 1,
            "severity": anomaly.severity, "peak_rank": rank, "persist_escalated": False,
            "episode_start_ms": anomaly.window_start_ms,
            "alert_id": alert_id(anomaly.vehicle_id, anomaly.rule, anomaly.window_start_ms),
        }
    state["last_ms"] = max(state["last_ms"], now_ms)
    state["count"] = state.get("count", 0) + 1
    if rank > state["peak_rank"]:
        return ESCALATE, _escalated(state, anomaly, rank)
    lasted_ms = now_ms - state["first_ms"]
    if not state.get("persist_escalated") and lasted_ms >= escalate_after_s * 1000:
        state["persist_escalated"] = True
        return ESCALATE, _escalated(state, anomaly, min(state["peak_rank"] + 1, len(SEVERITIES) - 1))
    return SUPPRESS, state


def _escalated(state: dict, anomaly: Anomaly, rank: int) -> dict:
    state["peak_rank"] = max(state["peak_rank"], rank)
    state["severity"] = SEVERITIES[rank]
    # One id per (episode, severity): a redelivered escalation dedupes downstream too.
    state["alert_id"] = alert_id(anomaly.vehicle_id, f"{anomaly.rule}@{state['severity']}",
                                 state["episode_start_ms"])
    return state


def _state_is_valid(state: Mapping) -> bool:
    return all(isinstance(state.get(key), int) and not isinstance(state.get(key), bool)
               for key in ("first_ms", "last_ms", "peak_rank", "episode_start_ms")) \
        and 0 <= state["peak_rank"] < len(SEVERITIES)


class AlertDeduper:
    """In-memory `dedupe` for many (vehicle, rule) pairs: simulator and tests."""

    def __init__(self, *, clear_after_s: int = DEFAULT_CLEAR_AFTER_S,
                 escalate_after_s: int = DEFAULT_ESCALATE_AFTER_S) -> None:
        self._states: dict[str, dict] = {}
        self._clear_after_s = clear_after_s
        self._escalate_after_s = escalate_after_s

    def check(self, anomaly: Anomaly, now_ms: int) -> tuple[str, dict]:
        """(decision, state) as `dedupe`, keeping the state."""
        key = dedupe_key(anomaly.vehicle_id, anomaly.rule)
        decision, state = dedupe(self._states.get(key), anomaly, now_ms,
                                 clear_after_s=self._clear_after_s,
                                 escalate_after_s=self._escalate_after_s)
        self._states[key] = state
        return decision, state


def alert_body(record: Mapping, anomaly: Anomaly, state: Optional[Mapping] = None) -> dict:
    """SNS vehicle-alerts message body (contracts.md). With a dedupe `state`, its alert_id and
    severity (escalations) are used."""
    severity = state.get("severity", anomaly.severity) if state else anomaly.severity
    return {
        "alert_id": state.get("alert_id") if state else anomaly.alert_id,
        "vehicle_id": record.get("vehicle_id"),
        "fleet_id": record.get("fleet_id"),
        "driver_id": record.get("driver_id"),
        "vehicle_type": record.get("vehicle_type"),
        "rule": anomaly.rule,
        "metric": anomaly.metric,
        "value": anomaly.value,
        "threshold": anomaly.threshold,
        "severity": severity,
        "ts": record.get("ts"),
        "message": anomaly.message,
    }


def _record_ts_ms(record: Mapping) -> int:
    ts_ms = _number(record.get("ts_ms", record.get("timestamp")))
    if ts_ms is not None:
        return int(ts_ms)
    ts = record.get("ts")
    if isinstance(ts, str):
        from .telemetry import iso_to_epoch_ms
        try:
            return iso_to_epoch_ms(ts)
        except (ValueError, OverflowError):
            return 0
    return 0


def _number(value: Any) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # Decimal from DynamoDB, numeric strings from hand-made items
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
