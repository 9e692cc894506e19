"""Redis keys read by one handler and written by another (docs/data-model.md)."""

from __future__ import annotations


def hos_drivers_key(local_date: str) -> str:
    """Set of drivers with duty-status records on a home-terminal day (hos_processor -> dot_reporting)."""
    return f"hos:drivers:{local_date}"


def geo_state_key(vehicle_id: str) -> str:
    """A vehicle's geofence state and last fix, JSON with `last_ts_ms` (location_tracker; the soak's
    accounting reads it)."""
    return f"geo:state:{vehicle_id}"
