"""The model's feature vector: one vehicle's diagnostics window and registry row -> FEATURE_NAMES values.

Contract (docs/telemetry.md, "SageMaker payload"): `build_features` returns exactly FEATURE_NAMES,
in order, as floats, NaN for a missing input; it never raises on malformed records (they are
skipped). HISTORY_SIGNALS are the signals of a reading that the window keeps (vehicle_history).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import dtc as _dtc
from ..anomaly import slope_per_minute
from ..telemetry import VEHICLE_TYPES, iso_to_epoch_ms

# The signals of each reading kept in the vehicle's window (vehicle_history columns); the
# training data (harness/model) reduces its windows to the same ones.
HISTORY_SIGNALS: tuple[str, ...] = (
    "engine_hours",
    "odometer_km",
    "engine_rpm",
    "coolant_temp_c",
    "battery_v",
    "engine_load_pct",
    "fuel_rate_lph",
)

# The model is trained on exactly these columns in exactly this order: append only, never
# reorder or rename (docs/telemetry.md, "SageMaker payload").
FEATURE_NAMES: tuple[str, ...] = (
    "age_days",
    "odometer_km",
    "km_since_service",
    "prior_failures",
    "engine_hours",
    "coolant_temp_mean_c",
    "coolant_temp_max_c",
    "coolant_temp_slope_c_per_h",
    "engine_rpm_mean",
    "engine_rpm_max",
    "engine_load_mean_pct",
    "battery_v_min",
    "battery_v_mean",
    "fuel_rate_mean_lph",
    "dtc_count",
    "dtc_distinct",
    "dtc_severe_count",
    "sample_count",
    "span_min",
    "is_tractor",
    "is_straight_truck",
    "is_van",
    "is_reefer",
)

# J1939 FMI 0/1 = "data valid but above/below normal operational range, most severe level".
_SEVERE_FMIS = frozenset({0, 1})
_SEVERE_OBD = frozenset({"P0217", "P0524", "P0520", "P0118", "P0563"})
NAN = float("nan")


def build_features(recent: list[dict], history: Mapping[str, Any]) -> dict[str, float]:
    """Feature dict (keys exactly FEATURE_NAMES, in order) from recent diagnostics records and
    the vehicle_history row (age_days, odometer_km, last_service_km, prior_failures, ...).
    Missing inputs give float('nan'). Never raises on malformed records (they are skipped)."""
    history = history if isinstance(history, Mapping) else {}
    series: dict[str, list[tuple[int, float]]] = {}
    dtc_keys: list[str] = []
    severe = 0
    times: list[int] = []
    vehicle_type = None
    for record in recent if isinstance(recent, list) else ():
        if not isinstance(record, Mapping):
            continue
        ts_ms = _ts_ms(record)
        if ts_ms is None:
            continue
        times.append(ts_ms)
        vehicle_type = record.get("vehicle_type", vehicle_type)
        nested = record.get("signals")
        signals = nested if isinstance(nested, Mapping) else {}
        for name, value in signals.items():
            if _finite(value) is not None:
                series.setdefault(name, []).append((ts_ms, float(value)))
        for entry in record.get("dtcs") or () if isinstance(record.get("dtcs"), list) else ():
            parsed = _dtc.parse_dtc(entry)
            if isinstance(parsed, str):
                continue
            dtc_keys.append(parsed.key)
            if (parsed.form == "j1939" and parsed.fmi in _SEVERE_FMIS) or parsed.code in _SEVERE_OBD:
                severe += 1
    odometer = _max_of(_finite(history.get("odometer_km")), _last(series, "odometer_km"))
    last_service = _finite(history.get("last_service_km"))
    coolant = sorted(series.get("coolant_temp_c", []))
    slope = slope_per_minute(coolant) if len(coolant) >= 2 else None
    features = {
        "age_days": _or_nan(_finite(history.get("age_days"))),
        "odometer_km": _or_nan(odometer),
        "km_since_service": NAN if odometer is None or last_service is None else max(0.0, odometer - last_service),
        "prior_failures": _or_nan(_finite(history.get("prior_failures"))),
        "engine_hours": _or_nan(_max_of(_last(series, "engine_hours"), _finite(history.get("engine_hours")))),
        "coolant_temp_mean_c": _mean(series, "coolant_temp_c"),
        "coolant_temp_max_c": _max(series, "coolant_temp_c"),
        "coolant_temp_slope_c_per_h": NAN if slope is None else slope * 60,
        "engine_rpm_mean": _mean(series, "engine_rpm"),
        "engine_rpm_max": _max(series, "engine_rpm"),
        "engine_load_mean_pct": _mean(series, "engine_load_pct"),
        "battery_v_min": _min(series, "battery_v"),
        "battery_v_mean": _mean(series, "battery_v"),
        "fuel_rate_mean_lph": _mean(series, "fuel_rate_lph"),
        "dtc_count": float(len(dtc_keys)),
        "dtc_distinct": float(len(set(dtc_keys))),
        "dtc_severe_count": float(severe),
        "sample_count": float(len(times)),
        "span_min": (max(times) - min(times)) / 60_000 if times else 0.0,
    }
    for kind in VEHICLE_TYPES:
        features[f"is_{kind}"] = 1.0 if vehicle_type == kind else 0.0
    return {name: float(features[name]) for name in FEATURE_NAMES}


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _ts_ms(record: Mapping) -> int | None:
    value = _finite(record.get("ts_ms", record.get("timestamp")))
    if value is not None:
        return int(value)
    ts = record.get("ts")
    if not isinstance(ts, str):
        return None  # iso_to_epoch_ms refuses it with ValueError too
    try:
        return iso_to_epoch_ms(ts)
    except (ValueError, OverflowError):
        return None


def _values(series: dict, name: str) -> list[float]:
    return [value for _, value in series.get(name, ())]


def _mean(series: dict, name: str) -> float:
    values = _values(series, name)
    return sum(values) / len(values) if values else NAN


def _max(series: dict, name: str) -> float:
    values = _values(series, name)
    return max(values) if values else NAN


def _min(series: dict, name: str) -> float:
    values = _values(series, name)
    return min(values) if values else NAN


def _last(series: dict, name: str) -> float | None:
    points = series.get(name)
    return max(points)[1] if points else None


def _max_of(*values: float | None) -> float | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _or_nan(value: float | None) -> float:
    return NAN if value is None else value
