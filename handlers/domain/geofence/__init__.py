"""Geofences (circles and hole-free polygons), a geohash-prefix index and enter/exit/dwell tracking.

- ``shapes``: ``Geofence`` (``from_item``/``to_item``, ``contains``, ``bbox``), ``InvalidGeofence``.
- ``index``: ``GeofenceIndex(fences).containing(lat, lon, margin_m)``.
- ``tracking``: ``step(state, inside_ids, ts_ms, fences, near_ids=)`` advances one vehicle's state
  by one fix (enter/exit with hysteresis and debounce, dwell once per visit); ``GeofenceTracker``
  keeps that state for many vehicles in memory.
- ``events``: ``ENTER``/``EXIT``/``DWELL`` and ``GeofenceEvent``.
"""

from .events import DWELL, ENTER, EVENT_TYPES, EXIT, GeofenceEvent
from .index import DEFAULT_MARGIN_M, GeofenceIndex
from .shapes import MAX_RADIUS_M, MAX_VERTICES, Geofence, InvalidGeofence
from .tracking import DEFAULT_ENTER_FIXES, DEFAULT_EXIT_FIXES, GeofenceTracker, step

__all__ = [
    "DEFAULT_ENTER_FIXES",
    "DEFAULT_EXIT_FIXES",
    "DEFAULT_MARGIN_M",
    "DWELL",
    "ENTER",
    "EVENT_TYPES",
    "EXIT",
    "Geofence",
    "GeofenceEvent",
    "GeofenceIndex",
    "GeofenceTracker",
    "InvalidGeofence",
    "MAX_RADIUS_M",
    "MAX_VERTICES",
    "step",
]
