"""Valid `fleettap.telemetry/1` records for the latency benchmark and the end-to-end tests
(docs/contracts.md "Telemetry records"): one vehicle per index, deterministic VIN."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from handlers.domain.vin import make_vin

SCHEMA = "fleettap.telemetry/1"

HEALTHY_SIGNALS = {
    "engine_rpm": 1450.0,
    "coolant_temp_c": 88.0,
    "fuel_level_pct": 62.0,
    "vehicle_speed_kph": 92.0,
    "engine_load_pct": 55.0,
    "throttle_pct": 38.0,
    "battery_v": 14.1,
    "odometer_km": 412345.0,
    "engine_hours": 9876.0,
    "fuel_used_l": 150000.0,
    "fuel_rate_lph": 28.0,
}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def identity(index: int, vehicle_type: str = "tractor", fleet: str = "FL-001") -> dict[str, Any]:
    return {
        "vehicle_id": f"VH-{index:06d}",
        "vin": make_vin(index),
        "fleet_id": fleet,
        "vehicle_type": vehicle_type,
        "driver_id": f"DR-{index:06d}",
    }


def _common(kind: str, index: int, ts: dt.datetime, **identity_args: Any) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": kind,
        "record_id": str(uuid.uuid4()),
        **identity(index, **identity_args),
        "ts": iso(ts),
    }


def diagnostics(index: int, ts: dt.datetime, dtcs: list | None = None, **signals: float) -> dict[str, Any]:
    record = _common("diagnostics", index, ts)
    record["signals"] = {**HEALTHY_SIGNALS, **signals}
    record["dtcs"] = dtcs or []
    return record


def gps(
    index: int, ts: dt.datetime, lat: float, lon: float, speed_kph: float = 80.0, heading_deg: float = 90.0
) -> dict[str, Any]:
    return {**_common("gps", index, ts), "lat": lat, "lon": lon, "speed_kph": speed_kph, "heading_deg": heading_deg}


def hos(
    index: int, ts: dt.datetime, status: str, lat: float = 41.88, lon: float = -87.63, odometer_km: float = 412345.0
) -> dict[str, Any]:
    return {
        **_common("hos", index, ts),
        "status": status,
        "cycle": "70/8",
        "time_zone": "America/Chicago",
        "exceptions": [],
        "lat": lat,
        "lon": lon,
        "odometer_km": odometer_km,
    }
