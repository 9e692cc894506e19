"""Builders for domain-core tests: valid records that individual tests then break."""

from __future__ import annotations

import copy

from handlers.domain import telemetry, vin

NOW_MS = telemetry.iso_to_epoch_ms("2026-11-25T18:00:00.000Z")
VALID_VIN = vin.make_vin(7, serial=4242)

_BASE = {
    "schema": telemetry.SCHEMA,
    "record_id": "rec-0001",
    "vehicle_id": "VH-000123",
    "vin": VALID_VIN,
    "fleet_id": "FL-001",
    "vehicle_type": "tractor",
    "driver_id": "DR-000123",
    "ts": "2026-11-25T17:59:30.000Z",
}
_KIND_FIELDS = {
    "diagnostics": {
        "signals": {
            "engine_rpm": 1450.0,
            "coolant_temp_c": 88.0,
            "fuel_level_pct": 62.5,
            "vehicle_speed_kph": 96.0,
            "engine_load_pct": 55.0,
            "throttle_pct": 40.0,
            "battery_v": 13.9,
            "odometer_km": 412345.125,
            "engine_hours": 10234.5,
            "fuel_used_l": 151234.5,
            "fuel_rate_lph": 31.2,
        },
        "dtcs": [{"code": "P0217"}, {"spn": 110, "fmi": 0, "oc": 3}],
    },
    "hos": {
        "status": "D",
        "cycle": "70/8",
        "time_zone": "America/Chicago",
        "exceptions": ["adverse_driving"],
        "lat": 41.88,
        "lon": -87.63,
        "odometer_km": 412345.0,
    },
    "gps": {"lat": 41.88, "lon": -87.63, "speed_kph": 88.5, "heading_deg": 270.0},
}


def build_record(kind: str = "diagnostics", **overrides) -> dict:
    """A valid record of `kind`; keyword overrides replace top-level fields."""
    record = copy.deepcopy(_BASE)
    record["kind"] = kind
    record.update(copy.deepcopy(_KIND_FIELDS[kind]))
    record.update(overrides)
    return record
