"""The versioned telemetry record schema (docs/contracts.md, docs/telemetry.md).

Records travel as JSON on Kinesis (partition key = vehicle_id). `decode` turns whatever arrived
into a dict or raises `RecordRejected`; `validate` (validation.py) checks the content.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
from functools import lru_cache
from typing import Any

import orjson

SCHEMA = "fleettap.telemetry/1"
KINDS = ("diagnostics", "hos", "gps")
VEHICLE_TYPES = ("tractor", "straight_truck", "van", "reefer")
HOS_STATUSES = ("OFF", "SB", "D", "ON", "PC", "YM")  # PC personal conveyance, YM yard move
HOS_RULESETS = ("us-property", "us-passenger", "us-texas-intrastate", "us-california-intrastate", "canada-south")
# The cycles each rule set allows (handlers.domain.hos.rulesets); a record without `ruleset` is us-property.
HOS_RULESET_CYCLES = {
    "us-property": ("70/8", "60/7"),
    "us-passenger": ("70/8", "60/7"),
    "us-texas-intrastate": ("70/7",),
    "us-california-intrastate": ("80/8",),
    "canada-south": ("cycle-1", "cycle-2"),
}
HOS_CYCLES = tuple(dict.fromkeys(c for cycles in HOS_RULESET_CYCLES.values() for c in cycles))
HOS_EXCEPTIONS = ("adverse_driving", "short_haul_150", "sixteen_hour")
HOS_ORIGINS = ("driver", "auto", "edit")  # who recorded the duty status (ELD spec 7.22); an edit is annotated
SIGNAL_NAMES = (
    "engine_rpm",
    "coolant_temp_c",
    "fuel_level_pct",
    "vehicle_speed_kph",
    "engine_load_pct",
    "throttle_pct",
    "battery_v",
    "odometer_km",
    "engine_hours",
    "fuel_used_l",
    "fuel_rate_lph",
)
COMMON_FIELDS = ("schema", "kind", "record_id", "vehicle_id", "vin", "fleet_id", "vehicle_type", "driver_id", "ts")

# Kinesis caps a record at 1 MiB; anything near that is not telemetry.
MAX_RECORD_BYTES = 64 * 1024

# Reason codes raised by decode (validation.py adds the content codes).
MALFORMED_JSON = "MALFORMED_JSON"
NOT_AN_OBJECT = "NOT_AN_OBJECT"
TOO_LARGE = "TOO_LARGE"

_ISO_TS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)  # ASCII digits, matched whole (fullmatch)


class RecordRejected(ValueError):
    """A record that cannot be accepted; `reason_code` is machine-readable (docs/telemetry.md)."""

    def __init__(self, reason_code: str, detail: str = "") -> None:
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code
        self.detail = detail


def decode(raw: bytes | bytearray | memoryview | str | dict) -> dict:
    """Parse one record from JSON bytes/str (or pass a dict through).

    Accepts base64-wrapped JSON too (Kinesis event `data` fields) when the bytes are not JSON.
    Raises only `RecordRejected` (MALFORMED_JSON, NOT_AN_OBJECT, TOO_LARGE).
    """
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates
            raise RecordRejected(MALFORMED_JSON, "not valid UTF-8") from exc
    if not isinstance(raw, bytes):
        raise RecordRejected(NOT_AN_OBJECT, f"unsupported payload type {type(raw).__name__}")
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordRejected(TOO_LARGE, f"{len(raw)} bytes > {MAX_RECORD_BYTES}")
    value = _loads(raw)
    if value is _UNPARSABLE:
        value = _loads(_unbase64(raw))
    if value is _UNPARSABLE:
        raise RecordRejected(MALFORMED_JSON, "payload is neither JSON nor base64 JSON")
    if not isinstance(value, dict):
        raise RecordRejected(NOT_AN_OBJECT, f"top-level JSON is {type(value).__name__}")
    return value


def encode(record: dict) -> bytes:
    """Serialize a record to compact JSON bytes (orjson; non-str keys are stringified)."""
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)


def epoch_ms_to_iso(epoch_ms: int) -> str:
    """Epoch milliseconds -> 'YYYY-MM-DDTHH:MM:SS.mmmZ' (the schema's ts format)."""
    moment = _dt.datetime.fromtimestamp(epoch_ms / 1000, tz=_dt.UTC)
    whole = moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{int(epoch_ms) % 1000:03d}Z"


def iso_to_epoch_ms(ts: str) -> int:
    """Parse an ISO-8601 timestamp with Z or an explicit offset into epoch milliseconds.

    Naive timestamps are refused (ValueError): a UTC-less time is ambiguous in a 4-zone fleet.
    """
    if not isinstance(ts, str):
        raise ValueError("timestamp must be a string")
    if len(ts) == 24 and ts[23] == "Z" and ts[10] == "T" and ts[19] == "." and ts.isascii():
        fast = _canonical_to_epoch_ms(ts)
        if fast is not None:
            return fast
    match = _ISO_TS.fullmatch(ts)
    if not match:
        raise ValueError(f"not an ISO-8601 timestamp with zone: {ts[:40]!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = _dt.timedelta(0)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    moment = _dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=_dt.timezone(offset)
    )
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    return int(moment.timestamp()) * 1000 + millis


def _canonical_to_epoch_ms(ts: str) -> int | None:
    # Fast path for the schema's own form 'YYYY-MM-DDTHH:MM:SS.mmmZ' (every record, 11,700/s).
    clock = ts[11:23]
    if not (
        clock[2] == ":"
        and clock[5] == ":"
        and clock[:2].isdigit()
        and clock[3:5].isdigit()
        and clock[6:8].isdigit()
        and clock[9:].isdigit()
    ):
        return None
    hours, minutes, seconds = int(clock[:2]), int(clock[3:5]), int(clock[6:8])
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    midnight = _midnight_epoch_ms(ts[:10])
    if midnight is None:
        return None
    return midnight + ((hours * 60 + minutes) * 60 + seconds) * 1000 + int(clock[9:])


@lru_cache(maxsize=4096)
def _midnight_epoch_ms(day: str) -> int | None:
    if not (day[4] == "-" and day[7] == "-" and day[:4].isdigit() and day[5:7].isdigit() and day[8:].isdigit()):
        return None
    try:
        ordinal = _dt.date(int(day[:4]), int(day[5:7]), int(day[8:])).toordinal()
    except ValueError:
        return None
    return (ordinal - _EPOCH_ORDINAL) * 86_400_000


_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_UNPARSABLE = object()


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNPARSABLE


def _unbase64(raw: bytes) -> bytes:
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return b""
