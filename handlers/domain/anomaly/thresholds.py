"""Threshold items and their resolution into one Threshold per metric for a vehicle.

Threshold items (`alert_thresholds` table, contracts.md) are `{scope, metric, min, max, warn,
high, critical, window_s, z_max}`; resolution merges them field by field, the most specific
scope winning: `vehicle#<id>` > `class#<type>` > `default`. `plan_for` turns resolved thresholds
into the per-signal evaluation plan that `rules.evaluate` walks (cached on `Thresholds`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import CRITICAL, HIGH, WARNING

TREND_SUFFIXES = {"drop_per_min": -1.0, "rise_per_min": 1.0}
DEFAULT_WINDOW_S = 900
DEFAULT_SCOPE = "default"
_FIELDS = ("min", "max", "warn", "high", "critical", "window_s", "z_max")


@dataclass(frozen=True)
class Threshold:
    """Resolved calibration for one metric (None = that check is off)."""

    metric: str
    min: float | None = None
    max: float | None = None
    warn: float | None = None
    high: float | None = None
    critical: float | None = None
    window_s: int = DEFAULT_WINDOW_S
    z_max: float | None = None
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
        object.__setattr__(
            self,
            "_levels",
            tuple(
                (severity, level)
                for severity, level in ((CRITICAL, self.critical), (HIGH, self.high), (WARNING, self.warn))
                if level is not None
            ),
        )

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

    def severity_for(self, value: float) -> tuple[str, float] | None:
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

    _plan: dict | None = None

    def __setitem__(self, key: str, value: Threshold) -> None:
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
    _item("default", "coolant_temp_c", min=-40, max=150, warn=104, high=110, critical=116, window_s=900, z_max=4.0),
    _item("default", "coolant_temp_c:rise_per_min", min=90, warn=2.0, high=4.0, critical=8.0, window_s=600),
    _item("default", "engine_rpm", min=0, max=4000, warn=2400, high=2800, critical=3200, window_s=300),
    _item("class#van", "engine_rpm", max=8000, warn=5500, high=6200, critical=6800),
    _item("default", "battery_v", min=8, max=32, warn=12.2, high=11.8, critical=11.0, window_s=900, z_max=5.0),
    _item("default", "fuel_level_pct", min=0, max=100, warn=15, high=10, critical=5, window_s=1800),
    _item("default", "fuel_level_pct:drop_per_min", warn=0.5, high=1.0, critical=2.0, window_s=600),
    _item("class#reefer", "fuel_level_pct:drop_per_min", warn=0.7, high=1.3, critical=2.5),
    # No z-score on load: it swings with every hill and would page on terrain, not faults.
    _item("default", "engine_load_pct", min=0, max=125, warn=98, high=110, window_s=900),
    _item("default", "vehicle_speed_kph", min=0, max=200, warn=113, high=125, critical=140, window_s=300),
    _item("default", "dtc:*", warn=1, window_s=3600),
    _item("default", "dtc:fmi0", high=1, window_s=3600),  # data valid, above normal: most severe
    _item("default", "dtc:fmi1", high=1, window_s=3600),  # data valid, below normal: most severe
    _item("default", "dtc:P0217", critical=1, window_s=3600),  # engine over-temperature
    _item("default", "dtc:P0524", critical=1, window_s=3600),  # engine oil pressure too low
    _item("default", "dtc:spn100:fmi1", critical=1, window_s=3600),  # oil pressure very low
    _item("default", "dtc:spn110:fmi0", critical=1, window_s=3600),  # coolant temp very high
    _item("default", "dtc:spn111:fmi1", critical=1, window_s=3600),  # coolant level very low
    _item("default", "dtc:U0100", high=1, window_s=3600),  # lost communication with ECM
]


def resolve_thresholds(items: Iterable[Mapping], vehicle_id: str, vehicle_type: str | None) -> Thresholds:
    """Merge threshold items into one Threshold per metric for this vehicle.

    Field by field, `vehicle#<id>` beats `class#<type>` beats `default`; items for other
    vehicles/classes are ignored, as are fields that are absent or null. Numeric strings and
    Decimals (DynamoDB) are accepted; unparsable fields are ignored.
    """
    precedence = {DEFAULT_SCOPE: 0, f"class#{vehicle_type}": 1, f"vehicle#{vehicle_id}": 2}
    relevant = sorted(
        (
            item
            for item in items
            if isinstance(item, Mapping) and item.get("scope") in precedence and isinstance(item.get("metric"), str)
        ),
        key=lambda item: precedence[item["scope"]],
    )
    merged: dict[str, dict] = {}
    for item in relevant:
        fields = merged.setdefault(item["metric"], {"scope": item["scope"]})
        fields["scope"] = item["scope"]
        for name in _FIELDS:
            number = finite_number(item.get(name))
            if number is not None:
                fields[name] = int(number) if name == "window_s" else number
    return Thresholds((metric, Threshold(metric=metric, **fields)) for metric, fields in merged.items())


def default_thresholds(vehicle_id: str = "", vehicle_type: str | None = None) -> Thresholds:
    """resolve_thresholds over DEFAULT_THRESHOLD_ITEMS (what an empty table would mean)."""
    return resolve_thresholds(DEFAULT_THRESHOLD_ITEMS, vehicle_id, vehicle_type)


class ThresholdResolver:
    """Per-vehicle thresholds from one snapshot of the alert_thresholds items, resolved once.

    Resolving (and building the evaluation plan) costs several times the rules themselves, so a
    handler should build one resolver per table load and call `for_vehicle` per record. Vehicles
    without their own calibration share one `Thresholds` per vehicle class, so the cache stays
    small. With no `default` items in the snapshot, DEFAULT_THRESHOLD_ITEMS' defaults apply (an
    unseeded table still alerts).
    """

    def __init__(self, items: Iterable[Mapping]) -> None:
        self._by_scope: dict[str, list[Mapping]] = {}
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("scope"), str):
                self._by_scope.setdefault(item["scope"], []).append(item)
        if DEFAULT_SCOPE not in self._by_scope:
            self._by_scope[DEFAULT_SCOPE] = [item for item in DEFAULT_THRESHOLD_ITEMS if item["scope"] == DEFAULT_SCOPE]
        self._cache: dict[tuple, Thresholds] = {}

    def for_vehicle(self, vehicle_id: str, vehicle_type: str | None) -> Thresholds:
        """Resolved thresholds (with their evaluation plan) for one vehicle."""
        own = self._by_scope.get(f"vehicle#{vehicle_id}")
        key = (vehicle_id if own else None, vehicle_type)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= 1 << 16:  # only calibrated vehicles add entries; bound them
                self._cache.clear()
            items = self._by_scope[DEFAULT_SCOPE] + self._by_scope.get(f"class#{vehicle_type}", []) + (own or [])
            cached = resolve_thresholds(items, vehicle_id, vehicle_type)
            plan_for(cached)
            self._cache[key] = cached
        return cached


def plan_for(thresholds: Mapping[str, Threshold]) -> dict:
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
        plan[signal] = (level, trends.get(signal, ())) + quiet_band(level)
    if isinstance(thresholds, Thresholds):
        thresholds._plan = plan
    return plan


def quiet_band(threshold: Threshold | None) -> tuple[float, float, int, float]:
    if threshold is None:
        return -math.inf, math.inf, 1, math.inf
    low = -math.inf if threshold.min is None else threshold.min
    high = math.inf if threshold.max is None else threshold.max
    alerting = [level for _, level in threshold._levels]
    if not alerting:
        return low, high, 1, math.inf
    if threshold.descending:
        return low, high, -1, -max(alerting)  # quiet iff -v < -top, i.e. v > top level
    return low, high, 1, min(alerting)


def finite_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # Decimal from DynamoDB, numeric strings from hand-made items
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
