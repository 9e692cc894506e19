"""Telemetry record building (schema fleettap.telemetry/1, docs/contracts.md).

The fields that never change for a vehicle (schema, kind, ids, VIN, type, driver, HOS rule set, cycle...)
are serialised once per vehicle into a JSON prefix; a record is that prefix plus the orjson
encoding of its changing fields with the opening brace dropped. The result is the same JSON
object `handlers.domain.telemetry.encode` would produce, at a fraction of the cost.
"""

from __future__ import annotations

import orjson

from handlers.domain.telemetry import SCHEMA, epoch_ms_to_iso
from sim.identities import Vehicle
from sim.rounding import round2, round5

DEFAULT_RULESET = "us-property"


class RecordPrefixes:
    __slots__ = ("gps", "diagnostics", "hos", "vehicle_id", "ms", "ts_suffix")

    def __init__(self, vehicle: Vehicle) -> None:
        common = {
            "schema": SCHEMA,
            "vehicle_id": vehicle.vehicle_id,
            "vin": vehicle.vin,
            "fleet_id": vehicle.fleet_id,
            "vehicle_type": vehicle.vehicle_type,
            "driver_id": vehicle.driver.driver_id,
        }
        driver = vehicle.driver
        self.gps = _prefix({"kind": "gps", **common})
        self.diagnostics = _prefix({"kind": "diagnostics", **common})
        # `ruleset` only when it is not the default, so default drivers' records stay byte for byte the same.
        ruleset = {} if driver.ruleset == DEFAULT_RULESET else {"ruleset": driver.ruleset}
        self.hos = _prefix(
            {
                "kind": "hos",
                **common,
                **ruleset,
                "cycle": driver.cycle,
                "time_zone": driver.time_zone,
                "exceptions": list(driver.exceptions),
            }
        )
        self.vehicle_id = vehicle.vehicle_id
        # Devices do not all report on the same millisecond: a fixed per-vehicle phase.
        self.ms = (vehicle.index * 37) % 1000
        self.ts_suffix = f".{self.ms:03d}Z"


def _prefix(fields: dict) -> bytes:
    return orjson.dumps(fields)[:-1] + b","


def join(prefix: bytes, changing: dict) -> bytes:
    return prefix + orjson.dumps(changing)[1:]


def second_prefix(epoch_s: int) -> str:
    """'2026-11-23T00:00:05' for a whole second (records add their own '.mmmZ')."""
    return epoch_ms_to_iso(epoch_s * 1000)[:-5]


def hos_record(
    prefixes: RecordPrefixes, epoch_ms: int, status: str, lat: float, lon: float, odometer_km: float
) -> bytes:
    """A duty-status change; its record id is unique per vehicle and moment."""
    return join(
        prefixes.hos,
        {
            "record_id": f"{prefixes.vehicle_id}-h-{epoch_ms}",
            "ts": epoch_ms_to_iso(epoch_ms),
            "status": status,
            "lat": round5(lat),
            "lon": round5(lon),
            "odometer_km": round2(odometer_km),
        },
    )
