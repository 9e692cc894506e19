"""Per-vehicle order within a Kinesis batch after a failure (docs/contracts.md, "Order after a failure").

Powertools' BatchProcessor goes on with the records after one that failed, and Lambda then retries
from the lowest failed sequence number. A consumer whose state moves forward with each record of a
vehicle (a high-water mark, a tracker's last fix) would have moved past the failed record by then,
and the retry would skip it as stale. `ordered_per_vehicle` fails those later records of the
vehicle untouched instead (VehicleHeld, before any side effect), so the retry sees the vehicle's
records again in order. Poison records (dead-lettered) and dependency errors (the whole invocation
fails) do not hold anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.common.errors import DEPENDENCY_ERRORS, poison_reason
from handlers.common.records import telemetry_from_kinesis


class VehicleHeld(RuntimeError):
    """An earlier record of this vehicle failed in this invocation: fail this one untouched too."""


def _partition_key(raw: dict) -> str | None:
    return (raw.get("kinesis") or {}).get("partitionKey")


def ordered_per_vehicle(kind: str, record_fn: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """A batch record function for one invocation: parses the raw Kinesis record of `kind` and calls
    `record_fn(record)`; after a record of a vehicle fails with an ordinary error, every later record
    with the same partition key or vehicle_id raises VehicleHeld before any side effect."""
    held: set[str] = set()

    def run(raw: dict):
        ids = {_partition_key(raw)} - {None}
        if ids & held:
            raise VehicleHeld(f"an earlier record of {sorted(ids & held)[0]} failed in this batch")
        try:
            record = telemetry_from_kinesis(raw, kind)
            ids.add(record["vehicle_id"])
            if ids & held:
                raise VehicleHeld(f"an earlier record of {record['vehicle_id']} failed in this batch")
            return record_fn(record)
        except VehicleHeld:
            raise
        except Exception as exc:
            if poison_reason(exc) is None and not isinstance(exc, DEPENDENCY_ERRORS):
                held.update(ids)
            raise

    return run
