"""Valid telemetry records (schema fleettap.telemetry/1) for handler tests."""

from __future__ import annotations

import time
import uuid

from handlers.domain.telemetry import SCHEMA, epoch_ms_to_iso
from handlers.domain.vin import make_vin


def now_ms() -> int:
    return int(time.time() * 1000)


def unique_vehicle() -> str:
    return f"VH-{uuid.uuid4().int % 10**9:09d}"


def _common(kind: str, vehicle_id: str, ts_ms: int, fleet_id: str, vehicle_type: str, driver_id: str) -> dict:
    return {
        "schema": SCHEMA,
        "kind": kind,
        "record_id": f"{kind}-{vehicle_id}-{ts_ms}-{uuid.uuid4().hex[:6]}",
        "vehicle_id": vehicle_id,
        "vin": make_vin(vehicle_id),
        "fleet_id": fleet_id,
        "vehicle_type": vehicle_type,
        "driver_id": driver_id,
        "ts": epoch_ms_to_iso(ts_ms),
    }


def diagnostics(
    vehicle_id: str,
    ts_ms: int | None = None,
    *,
    fleet_id: str = "FL-001",
    vehicle_type: str = "tractor",
    driver_id: str = "DR-000001",
    dtcs=None,
    **signals,
) -> dict:
    ts_ms = now_ms() if ts_ms is None else ts_ms
    base = {
        "engine_rpm": 1400.0,
        "coolant_temp_c": 88.0,
        "fuel_level_pct": 60.0,
        "vehicle_speed_kph": 90.0,
        "engine_load_pct": 55.0,
        "throttle_pct": 30.0,
        "battery_v": 13.9,
        "odometer_km": 250000.0,
        "engine_hours": 9000.0,
        "fuel_used_l": 120000.0,
        "fuel_rate_lph": 30.0,
    }
    base.update(signals)
    return {
        **_common("diagnostics", vehicle_id, ts_ms, fleet_id, vehicle_type, driver_id),
        "signals": {k: v for k, v in base.items() if v is not None},
        "dtcs": list(dtcs or []),
    }


def hos(
    driver_id: str,
    status: str,
    ts_ms: int,
    *,
    vehicle_id: str = "VH-000001",
    fleet_id: str = "FL-001",
    cycle: str = "70/8",
    exceptions=None,
    odometer_km: float = 250000.0,
) -> dict:
    return {
        **_common("hos", vehicle_id, ts_ms, fleet_id, "tractor", driver_id),
        "status": status,
        "cycle": cycle,
        "time_zone": "America/Chicago",
        "exceptions": list(exceptions or []),
        "lat": 41.88,
        "lon": -87.63,
        "odometer_km": odometer_km,
    }


def gps(
    vehicle_id: str,
    lat: float,
    lon: float,
    ts_ms: int | None = None,
    *,
    fleet_id: str = "FL-001",
    speed_kph: float = 80.0,
    heading_deg: float = 90.0,
    vehicle_type: str = "tractor",
) -> dict:
    ts_ms = now_ms() if ts_ms is None else ts_ms
    return {
        **_common("gps", vehicle_id, ts_ms, fleet_id, vehicle_type, "DR-000001"),
        "lat": lat,
        "lon": lon,
        "speed_kph": speed_kph,
        "heading_deg": heading_deg,
    }


def diagnostics_image(record: dict) -> dict:
    """The vehicle_diagnostics item the processor writes for `record` (the stream's NewImage)."""
    from handlers.diagnostics_processor import diagnostics_item
    from handlers.domain.validation import validate

    result = validate(record, now_ms=now_ms())
    assert result.ok, result.reasons
    return diagnostics_item(result.record, 30)


def alert(
    vehicle_id: str | None = None,
    severity: str = "high",
    *,
    fleet_id: str = "FL-001",
    rule: str = "threshold:coolant_temp_c",
    ts_ms: int | None = None,
) -> dict:
    """A vehicle-alerts message body (contracts.md) with a unique deterministic-looking alert_id."""
    vehicle_id = vehicle_id or unique_vehicle()
    ts_ms = now_ms() if ts_ms is None else ts_ms
    return {
        "alert_id": f"al-{uuid.uuid4().hex[:24]}",
        "vehicle_id": vehicle_id,
        "fleet_id": fleet_id,
        "driver_id": "DR-000007",
        "vehicle_type": "tractor",
        "rule": rule,
        "metric": "coolant_temp_c",
        "value": 111.0,
        "threshold": 110,
        "severity": severity,
        "ts": epoch_ms_to_iso(ts_ms),
        "message": "coolant_temp_c=111.0 >= high level 110",
    }


def unique_fleet() -> str:
    return f"FL-{uuid.uuid4().int % 10**9:09d}"


def unique_driver() -> str:
    return f"DR-{uuid.uuid4().int % 10**9:09d}"
