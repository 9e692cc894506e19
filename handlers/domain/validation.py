"""Content validation of telemetry records (schema fleettap.telemetry/1).

`validate` never raises on any JSON value: every problem becomes a `Reason` with a
machine-readable code (catalogue in docs/telemetry.md). A record is accepted only when there are
no reasons; the normalized copy then carries canonical `ts`, `ts_ms`, upper-case DTCs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import dtc as _dtc
from . import telemetry as _t
from . import vin as _vin
from .hos import period_exceptions as _hos_claims
from .hos import rulesets as _hos_rulesets

# ---- reason codes -------------------------------------------------------------------------
MALFORMED_JSON = _t.MALFORMED_JSON
TOO_LARGE = _t.TOO_LARGE
NOT_AN_OBJECT = _t.NOT_AN_OBJECT
SCHEMA_UNSUPPORTED = "SCHEMA_UNSUPPORTED"
KIND_INVALID = "KIND_INVALID"
FIELD_MISSING = "FIELD_MISSING"
FIELD_TYPE = "FIELD_TYPE"
ID_FORMAT = "ID_FORMAT"
VEHICLE_TYPE_INVALID = "VEHICLE_TYPE_INVALID"
TS_INVALID = "TS_INVALID"
TS_IN_FUTURE = "TS_IN_FUTURE"
TS_TOO_OLD = "TS_TOO_OLD"
VIN_MISSING = _vin.VIN_MISSING
VIN_LENGTH = _vin.VIN_LENGTH_INVALID
VIN_CHARS = _vin.VIN_CHARS_INVALID
VIN_CHECK_DIGIT = _vin.VIN_CHECK_DIGIT_INVALID
SIGNAL_TYPE = "SIGNAL_TYPE"
SIGNAL_OUT_OF_RANGE = "SIGNAL_OUT_OF_RANGE"
SIGNAL_UNKNOWN = "SIGNAL_UNKNOWN"
DIAGNOSTICS_EMPTY = "DIAGNOSTICS_EMPTY"
DTC_LIST_TYPE = "DTC_LIST_TYPE"
DTC_NOT_OBJECT = _dtc.DTC_NOT_OBJECT
DTC_CODE_INVALID = _dtc.DTC_CODE_INVALID
DTC_SPN_INVALID = _dtc.DTC_SPN_INVALID
DTC_FMI_INVALID = _dtc.DTC_FMI_INVALID
DTC_OC_INVALID = _dtc.DTC_OC_INVALID
DTC_FORM_AMBIGUOUS = _dtc.DTC_FORM_AMBIGUOUS
LAT_OUT_OF_RANGE = "LAT_OUT_OF_RANGE"
LON_OUT_OF_RANGE = "LON_OUT_OF_RANGE"
SPEED_OUT_OF_RANGE = "SPEED_OUT_OF_RANGE"
HEADING_OUT_OF_RANGE = "HEADING_OUT_OF_RANGE"
HOS_STATUS_INVALID = "HOS_STATUS_INVALID"
HOS_CYCLE_INVALID = "HOS_CYCLE_INVALID"
HOS_TIME_ZONE_INVALID = "HOS_TIME_ZONE_INVALID"
HOS_EXCEPTION_INVALID = "HOS_EXCEPTION_INVALID"
HOS_RULESET_INVALID = "HOS_RULESET_INVALID"
HOS_ORIGIN_INVALID = "HOS_ORIGIN_INVALID"
HOS_ANNOTATION_INVALID = "HOS_ANNOTATION_INVALID"
ODOMETER_OUT_OF_RANGE = "ODOMETER_OUT_OF_RANGE"

ALL_REASON_CODES = tuple(
    sorted(
        {
            value
            for name, value in globals().items()
            if name.isupper() and isinstance(value, str) and name not in ("SCHEMA",)
        }
    )
)


@dataclass(frozen=True)
class SignalRange:
    """Physical/encodable range of one signal. Values outside are sensor or decoding errors."""

    low: float
    high: float
    unit: str
    source: str


# Ranges are the union of what OBD-II (SAE J1979) and J1939 can legitimately encode, clipped
# where the encodable range is not physical for a truck (docs/telemetry.md explains each one).
SIGNAL_RANGES: dict[str, SignalRange] = {
    "engine_rpm": SignalRange(0, 8031.875, "rpm", "J1939 SPN 190 max; OBD 0x0C above it is not an engine"),
    "coolant_temp_c": SignalRange(-40, 215, "degC", "OBD 0x05 A-40; J1939 SPN 110"),
    "fuel_level_pct": SignalRange(0, 100, "%", "OBD 0x2F; J1939 SPN 96"),
    "vehicle_speed_kph": SignalRange(0, 255, "km/h", "OBD 0x0D; J1939 SPN 84 (0-250.996)"),
    "engine_load_pct": SignalRange(0, 125, "%", "OBD 0x04 0-100; J1939 SPN 92 operational 0-125"),
    "throttle_pct": SignalRange(0, 100, "%", "OBD 0x11; J1939 SPN 91"),
    "battery_v": SignalRange(0, 36, "V", "12/24 V systems; OBD 0x42 encodes up to 65.535"),
    "odometer_km": SignalRange(0, 526_385_151.875, "km", "J1939 SPN 245, 0.125 km/bit x 32 bit"),
    "engine_hours": SignalRange(0, 210_554_060.75, "h", "J1939 SPN 247, 0.05 h/bit x 32 bit"),
    "fuel_used_l": SignalRange(0, 2_105_540_607.5, "L", "J1939 SPN 250, 0.5 L/bit x 32 bit"),
    "fuel_rate_lph": SignalRange(0, 3212.75, "L/h", "J1939 SPN 183, 0.05 L/h per bit x 16 bit"),
}
_RANGE_BOUNDS = {name: (bounds.low, bounds.high) for name, bounds in SIGNAL_RANGES.items()}
MAX_GPS_SPEED_KPH = 255.0

# ASCII digits only, matched whole (fullmatch: `$` would let a trailing newline through).
_ID_PATTERNS = {
    "vehicle_id": re.compile(r"VH-[0-9]{1,9}", re.ASCII),
    "fleet_id": re.compile(r"FL-[0-9]{1,9}", re.ASCII),
    "driver_id": re.compile(r"DR-[0-9]{1,9}", re.ASCII),
}
_RECORD_ID_MAX = 128
_TIME_ZONE_SHAPE = re.compile(r"(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})", re.ASCII)
_KIND_FIELDS = {
    "diagnostics": (),
    "hos": ("status", "cycle", "time_zone", "lat", "lon"),
    "gps": ("lat", "lon"),
}


@dataclass(frozen=True)
class Reason:
    """Why a record is rejected: `code` (see ALL_REASON_CODES), the `field` path, a detail."""

    code: str
    field: str
    detail: str = ""


@dataclass
class ValidationResult:
    """`ok` iff `reasons` is empty; `record` is the normalized copy (None when rejected)."""

    ok: bool
    reasons: list[Reason] = field(default_factory=list)
    record: dict | None = None

    @property
    def reason_code(self) -> str | None:
        """The first reason's code (what the DLQ body's `reason` carries), None when ok."""
        return self.reasons[0].code if self.reasons else None


DEFAULT_MAX_AGE_S = 7 * 86400  # Kinesis' longest standard retention: older data is a replay error


def validate(
    record: Any, *, now_ms: int, max_skew_s: int = 300, max_age_s: int = DEFAULT_MAX_AGE_S
) -> ValidationResult:
    """Validate one decoded record against the schema; never raises.

    Timestamps later than now + max_skew_s or older than now - max_age_s are rejected.
    The normalized record adds `ts_ms` (epoch ms) and rewrites `ts` in canonical form.
    """
    if not isinstance(record, dict):
        return _rejected([Reason(NOT_AN_OBJECT, "", f"got {type(record).__name__}")])
    reasons: list[Reason] = []
    out = dict(record)
    if record.get("schema") != _t.SCHEMA:
        reasons.append(Reason(SCHEMA_UNSUPPORTED, "schema", _short(record.get("schema"))))
    kind = record.get("kind")
    if not isinstance(kind, str):  # could be a list: unhashable in the dict lookup below
        kind = repr(kind)
    if kind not in _KIND_FIELDS:
        reasons.append(Reason(KIND_INVALID, "kind", _short(record.get("kind"))))
    _check_common(record, out, reasons, kind, now_ms, max_skew_s, max_age_s)
    if kind == "diagnostics":
        _check_diagnostics(record, out, reasons)
    elif kind == "hos":
        _check_hos(record, out, reasons)
    elif kind == "gps":
        _check_gps(record, out, reasons)
    if reasons:
        return _rejected(reasons)
    return ValidationResult(ok=True, reasons=[], record=out)


def decode_and_validate(raw: Any, *, now_ms: int, **limits: int) -> ValidationResult:
    """decode() then validate(); a decode failure becomes a single Reason. Never raises."""
    try:
        record = _t.decode(raw)
    except _t.RecordRejected as exc:
        return _rejected([Reason(exc.reason_code, "", exc.detail)])
    return validate(record, now_ms=now_ms, **limits)


# ---- common fields ------------------------------------------------------------------------
def _check_common(
    record: dict, out: dict, reasons: list[Reason], kind: Any, now_ms: int, max_skew_s: int, max_age_s: int
) -> None:
    record_id = record.get("record_id")
    if record_id is None:
        reasons.append(Reason(FIELD_MISSING, "record_id"))
    elif not isinstance(record_id, str) or not 0 < len(record_id) <= _RECORD_ID_MAX:
        reasons.append(Reason(FIELD_TYPE, "record_id", "non-empty string <= 128 chars"))
    identity = (
        record.get("vehicle_id"),
        record.get("fleet_id"),
        record.get("driver_id"),
        record.get("vin"),
        record.get("vehicle_type"),
        kind == "hos",
    )
    try:
        found = _cached_identity_reasons(*identity)
    except TypeError:  # an unhashable value (list, dict) cannot be a cache key
        found = _identity_reasons(*identity)
    if found:
        reasons.extend(found)
    _check_ts(record.get("ts"), out, reasons, now_ms, max_skew_s, max_age_s)


def _identity_reasons(
    vehicle_id: Any, fleet_id: Any, driver_id: Any, vin: Any, vehicle_type: Any, driver_required: bool
) -> tuple[Reason, ...]:
    reasons = []
    for name, value in (("vehicle_id", vehicle_id), ("fleet_id", fleet_id), ("driver_id", driver_id)):
        if value is None:
            # a parked truck still reports diagnostics and position without a driver
            if name != "driver_id" or driver_required:
                reasons.append(Reason(FIELD_MISSING, name))
        elif not isinstance(value, str) or not _ID_PATTERNS[name].fullmatch(value):
            reasons.append(Reason(ID_FORMAT, name, _short(value)))
    if vehicle_type not in _t.VEHICLE_TYPES:
        reasons.append(Reason(VEHICLE_TYPE_INVALID, "vehicle_type", _short(vehicle_type)))
    problem = _vin.vin_problem(vin)
    if problem:
        reasons.append(Reason(problem, "vin", _short(vin)))
    return tuple(reasons)


# The identity fields are constant per vehicle, so 234k vehicles x 3 record kinds hit the cache
# on every record after the first: regexes and the VIN check digit run once per vehicle.
# 65,536 entries (~25 MB at worst) cover the vehicles of one diagnostics shard (234k / 6).
_cached_identity_reasons = lru_cache(maxsize=1 << 16, typed=True)(_identity_reasons)


def _check_ts(ts: Any, out: dict, reasons: list[Reason], now_ms: int, max_skew_s: int, max_age_s: int) -> None:
    if ts is None:
        reasons.append(Reason(FIELD_MISSING, "ts"))
        return
    try:
        ts_ms = _t.iso_to_epoch_ms(ts)
    except (ValueError, OverflowError, TypeError) as exc:
        reasons.append(Reason(TS_INVALID, "ts", str(exc)[:80]))
        return
    if ts_ms > now_ms + max_skew_s * 1000:
        reasons.append(Reason(TS_IN_FUTURE, "ts", f"{(ts_ms - now_ms) // 1000}s ahead"))
    elif ts_ms < now_ms - max_age_s * 1000:
        reasons.append(Reason(TS_TOO_OLD, "ts", f"{(now_ms - ts_ms) // 1000}s old"))
    out["ts_ms"] = ts_ms
    out["ts"] = _t.epoch_ms_to_iso(ts_ms) if not _is_canonical_ts(ts) else ts


def _is_canonical_ts(ts: str) -> bool:
    return len(ts) == 24 and ts[-1] == "Z" and ts[19] == "."


# ---- per kind -----------------------------------------------------------------------------
def _check_diagnostics(record: dict, out: dict, reasons: list[Reason]) -> None:
    signals = record.get("signals", {})
    dtcs = record.get("dtcs", [])
    if signals is None:
        signals = {}
    if dtcs is None:
        dtcs = []
    if not isinstance(signals, dict):
        reasons.append(Reason(FIELD_TYPE, "signals", "object expected"))
        signals = {}
    if not isinstance(dtcs, list):
        reasons.append(Reason(DTC_LIST_TYPE, "dtcs", "array expected"))
        dtcs = []
    if not signals and not dtcs:
        reasons.append(Reason(DIAGNOSTICS_EMPTY, "signals", "no signals and no dtcs"))
    clean_signals = {}
    for name, value in signals.items():
        limits = _RANGE_BOUNDS.get(name)
        # Exact class tests: bool is not a reading; NaN/inf fail the range test by themselves.
        if limits is not None and value.__class__ in (float, int) and limits[0] <= value <= limits[1]:
            clean_signals[name] = value
        elif limits is None:
            reasons.append(Reason(SIGNAL_UNKNOWN, f"signals.{name}"))
        elif value is None:
            continue  # an absent reading, same as a missing key
        elif not _is_number(value):
            reasons.append(Reason(SIGNAL_TYPE, f"signals.{name}", _short(value)))
        else:
            bounds = SIGNAL_RANGES[name]
            reasons.append(
                Reason(
                    SIGNAL_OUT_OF_RANGE,
                    f"signals.{name}",
                    f"{_short(value)} not in [{bounds.low}, {bounds.high}] {bounds.unit}",
                )
            )
    out["signals"] = clean_signals
    clean_dtcs = []
    for index, item in enumerate(dtcs):
        parsed = _dtc.parse_dtc(item)
        if isinstance(parsed, str):
            reasons.append(Reason(parsed, f"dtcs[{index}]", _short(item)))
        else:
            clean_dtcs.append(parsed.to_item())
    out["dtcs"] = clean_dtcs


def _check_hos(record: dict, out: dict, reasons: list[Reason]) -> None:
    _require(record, _KIND_FIELDS["hos"], reasons)
    if "status" in record and record["status"] not in _t.HOS_STATUSES:
        reasons.append(Reason(HOS_STATUS_INVALID, "status", _short(record["status"])))
    ruleset = record.get("ruleset")
    if ruleset is not None and (not isinstance(ruleset, str) or ruleset not in _t.HOS_RULESET_CYCLES):
        reasons.append(Reason(HOS_RULESET_INVALID, "ruleset", _short(ruleset)))
        ruleset = None  # the cycle and exceptions are then checked against no rule set
    elif ruleset is None:
        ruleset = _hos_rulesets.US_PROPERTY
    if "cycle" in record and record["cycle"] is not None:
        cycle = record["cycle"]
        allowed = _t.HOS_RULESET_CYCLES[ruleset] if ruleset is not None else _t.HOS_CYCLES
        if not isinstance(cycle, str) or cycle not in allowed:
            reasons.append(
                Reason(
                    HOS_CYCLE_INVALID,
                    "cycle",
                    f"{_short(cycle)} not in {list(allowed)}" + (f" for {ruleset}" if ruleset else ""),
                )
            )
    if "time_zone" in record and not _is_time_zone(record["time_zone"]):
        reasons.append(Reason(HOS_TIME_ZONE_INVALID, "time_zone", _short(record["time_zone"])))
    exceptions = record.get("exceptions", [])
    if exceptions is None:
        exceptions = []
    if not isinstance(exceptions, list):
        reasons.append(Reason(FIELD_TYPE, "exceptions", "array expected"))
    else:
        for index, claim in enumerate(exceptions):
            problem = _exception_problem(claim, ruleset)
            if problem:
                reasons.append(Reason(HOS_EXCEPTION_INVALID, f"exceptions[{index}]", problem))
        out["exceptions"] = exceptions
    _check_origin(record, reasons)
    _check_position(record, reasons)
    if "odometer_km" in record and record["odometer_km"] is not None:
        odometer = record["odometer_km"]
        limits = SIGNAL_RANGES["odometer_km"]
        if not _is_number(odometer):
            reasons.append(Reason(FIELD_TYPE, "odometer_km", _short(odometer)))
        elif not limits.low <= odometer <= limits.high:
            reasons.append(Reason(ODOMETER_OUT_OF_RANGE, "odometer_km", _short(odometer)))


def _exception_problem(claim: Any, ruleset: str | None) -> str:
    """Empty when the claim is valid for the rule set: a name, or an object for one duty period
    (handlers.domain.hos.period_exceptions, which gives the exact error)."""
    if isinstance(claim, dict):
        if ruleset is None:
            return "no valid ruleset to check the exception against"
        try:
            _hos_claims.read_claims([claim], _hos_rulesets.ruleset_named(ruleset))
        except ValueError as exc:  # HosInputError
            return str(exc).removeprefix("exceptions[0]: ")[:120]
        return ""
    if not isinstance(claim, str) or claim not in _t.HOS_EXCEPTIONS:
        return _short(claim)
    if ruleset is not None and claim not in _hos_rulesets.ruleset_named(ruleset).exceptions:
        return f"{claim!r} does not apply to {ruleset}"
    return ""


def _check_origin(record: dict, reasons: list[Reason]) -> None:
    """`origin` driver/auto/edit (absent: driver); an edit carries an `annotation` of 4-60 characters
    (49 CFR 395.30(c)(2), ELD spec 7.6), and an annotation without an edit is refused too."""
    origin = record.get("origin")
    if origin is not None and origin not in _t.HOS_ORIGINS:
        reasons.append(Reason(HOS_ORIGIN_INVALID, "origin", _short(origin)))
    annotation = record.get("annotation")
    if origin == "edit" and annotation is None:
        reasons.append(Reason(HOS_ANNOTATION_INVALID, "annotation", "an edit needs an annotation"))
    elif annotation is not None:
        if origin != "edit":
            reasons.append(Reason(HOS_ANNOTATION_INVALID, "annotation", "only an edit carries an annotation"))
        elif not isinstance(annotation, str) or not 4 <= len(annotation.strip()) <= 60:
            reasons.append(Reason(HOS_ANNOTATION_INVALID, "annotation", f"4-60 characters; got {_short(annotation)}"))


def _check_gps(record: dict, out: dict, reasons: list[Reason]) -> None:
    _require(record, _KIND_FIELDS["gps"], reasons)
    _check_position(record, reasons)
    speed = record.get("speed_kph")
    if speed is not None:
        if not _is_number(speed):
            reasons.append(Reason(FIELD_TYPE, "speed_kph", _short(speed)))
        elif not 0 <= speed <= MAX_GPS_SPEED_KPH:
            reasons.append(Reason(SPEED_OUT_OF_RANGE, "speed_kph", _short(speed)))
    heading = record.get("heading_deg")
    if heading is not None:
        if not _is_number(heading):
            reasons.append(Reason(FIELD_TYPE, "heading_deg", _short(heading)))
        elif not 0 <= heading < 360:
            reasons.append(Reason(HEADING_OUT_OF_RANGE, "heading_deg", _short(heading)))


def _check_position(record: dict, reasons: list[Reason]) -> None:
    for name, bound, code in (("lat", 90, LAT_OUT_OF_RANGE), ("lon", 180, LON_OUT_OF_RANGE)):
        if name not in record:
            continue  # _require reported it
        value = record[name]
        if not _is_number(value):
            reasons.append(Reason(FIELD_TYPE, name, _short(value)))
        elif not -bound <= value <= bound:
            reasons.append(Reason(code, name, _short(value)))


def _require(record: dict, names: tuple, reasons: list[Reason]) -> None:
    for name in names:
        if name not in record or record[name] is None:
            reasons.append(Reason(FIELD_MISSING, name))


# ---- helpers ------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _is_time_zone(name: Any) -> bool:
    return isinstance(name, str) and bool(_TIME_ZONE_SHAPE.fullmatch(name)) and _zone_exists(name)


@lru_cache(maxsize=512)
def _zone_exists(name: str) -> bool:
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(name)
        return True
    except zoneinfo.ZoneInfoNotFoundError:
        # Without any tz database (minimal images) fall back to the shape check alone.
        return not _has_tz_database()
    except (ValueError, OSError):
        return False


@lru_cache(maxsize=1)
def _has_tz_database() -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo("America/Chicago")
        return True
    except zoneinfo.ZoneInfoNotFoundError:
        return False


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # ints beyond sys.get_int_max_str_digits() refuse to print
        return "<too large to print>"
    return text if len(text) <= 60 else text[:57] + "..."


def _rejected(reasons: list[Reason]) -> ValidationResult:
    return ValidationResult(ok=False, reasons=reasons, record=None)
