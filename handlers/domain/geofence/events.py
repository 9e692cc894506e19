"""Geofence event types and the event a vehicle's fix can fire (enter, exit, dwell)."""

from __future__ import annotations

from dataclasses import dataclass

ENTER = "enter"
EXIT = "exit"
DWELL = "dwell"
EVENT_TYPES = (ENTER, EXIT, DWELL)


@dataclass(frozen=True)
class GeofenceEvent:
    """An enter/exit/dwell event. `dwell_s` is time inside so far (dwell, exit) else 0."""

    fence_id: str
    event_type: str
    ts_ms: int
    entered_ms: int | None = None
    dwell_s: int = 0

    def to_dict(self) -> dict:
        return {
            "geofence_id": self.fence_id,
            "event_type": self.event_type,
            "ts_ms": self.ts_ms,
            "entered_ms": self.entered_ms,
            "dwell_s": self.dwell_s,
        }
