"""Enter/exit/dwell tracking of one vehicle against the fences, fix by fix.

Flapping control is a Schmitt trigger plus a debounce:
- a vehicle ENTERS after `enter_fixes` consecutive fixes strictly inside the fence;
- it EXITS after `exit_fixes` consecutive fixes outside the fence grown by `margin_m`
  (the handler passes `near_ids = index.containing(lat, lon, margin_m=...)`),
so a truck idling on the line, whose GPS wanders +-20 m, never changes state.
DWELL fires once per visit, `dwell_s` after the confirmed entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from .events import DWELL, ENTER, EXIT, GeofenceEvent
from .index import DEFAULT_MARGIN_M, GeofenceIndex
from .shapes import Geofence

DEFAULT_ENTER_FIXES = 2
DEFAULT_EXIT_FIXES = 2


def step(
    state: dict | None,
    inside_ids: Iterable[str],
    ts_ms: int,
    fences: Mapping[str, Geofence],
    *,
    near_ids: Iterable[str] | None = None,
    enter_fixes: int = DEFAULT_ENTER_FIXES,
    exit_fixes: int = DEFAULT_EXIT_FIXES,
) -> tuple[list[GeofenceEvent], dict]:
    """Advance one vehicle's geofence state by one GPS fix.

    `state`: the previous plain dict (None for a new vehicle); JSON-serializable, stored by the
    handler. `inside_ids`: fences strictly containing the fix; `near_ids`: fences containing it
    with the exit margin (defaults to inside_ids, i.e. no hysteresis margin). `fences`: id -> fence
    (for alert_on and dwell_s). Events are returned only for types in the fence's `alert_on`.
    Fixes at or before the last one seen are ignored (no events, state unchanged), so a
    redelivered batch cannot emit twice. Fences no longer in `fences` are forgotten silently.
    """
    previous = state if isinstance(state, dict) else {}
    last_ts = previous.get("last_ts_ms")
    if isinstance(last_ts, int) and ts_ms <= last_ts:
        return [], previous
    inside = set(inside_ids)
    near = inside | set(near_ids) if near_ids is not None else inside
    stored = previous.get("fences")
    old = stored if isinstance(stored, dict) else {}
    tracked: dict[str, dict] = {}
    events: list[GeofenceEvent] = []
    for fence_id in sorted(inside | set(old)):
        fence = fences.get(fence_id)
        if fence is None:
            continue
        entry = old.get(fence_id)
        entry = dict(entry) if _entry_is_valid(entry) else {"in": False, "streak": 0}
        event_types = _advance(entry, fence_id in inside, fence_id in near, ts_ms, fence, enter_fixes, exit_fixes)
        for event in event_types:
            if event.event_type in fence.alert_on:
                events.append(event)
        if entry["in"] or entry["streak"]:
            tracked[fence_id] = entry
    return events, {"last_ts_ms": int(ts_ms), "fences": tracked}


def _entry_is_valid(entry: Any) -> TypeGuard[dict[str, Any]]:
    # State comes back from Redis; a corrupt or older-format entry restarts that fence's tracking
    # instead of failing the batch.
    if not isinstance(entry, dict) or not isinstance(entry.get("in"), bool):
        return False
    streak = entry.get("streak")
    if not isinstance(streak, int) or isinstance(streak, bool) or streak < 0:
        return False
    if entry["in"] and not isinstance(entry.get("entered_ms"), int):
        return False
    return streak == 0 or isinstance(entry.get("pending_ms"), int)


def _advance(
    entry: dict, is_inside: bool, is_near: bool, ts_ms: int, fence: Geofence, enter_fixes: int, exit_fixes: int
) -> list[GeofenceEvent]:
    fired: list[GeofenceEvent] = []
    if not entry["in"]:
        if not is_inside:
            entry["streak"] = 0
            return fired
        entry["streak"] += 1
        if entry["streak"] == 1:
            entry["pending_ms"] = ts_ms
        if entry["streak"] >= max(1, enter_fixes):
            entry.update({"in": True, "streak": 0, "entered_ms": entry.pop("pending_ms"), "dwell_fired": False})
            fired.append(GeofenceEvent(fence.fence_id, ENTER, ts_ms, entry["entered_ms"]))
    elif not is_near:
        entry["streak"] += 1
        if entry["streak"] == 1:
            entry["pending_ms"] = ts_ms
        if entry["streak"] >= max(1, exit_fixes):
            left_ms = entry.pop("pending_ms")
            fired.append(
                GeofenceEvent(
                    fence.fence_id, EXIT, ts_ms, entry["entered_ms"], max(0, (left_ms - entry["entered_ms"]) // 1000)
                )
            )
            entry.clear()
            entry.update({"in": False, "streak": 0})
    else:
        entry["streak"] = 0
        entry.pop("pending_ms", None)
        stayed_s = (ts_ms - entry["entered_ms"]) // 1000
        if fence.dwell_s and not entry.get("dwell_fired") and stayed_s >= fence.dwell_s:
            entry["dwell_fired"] = True
            fired.append(GeofenceEvent(fence.fence_id, DWELL, ts_ms, entry["entered_ms"], stayed_s))
    return fired


class GeofenceTracker:
    """In-memory convenience around `step` for many vehicles (simulator, tests)."""

    def __init__(
        self,
        index: GeofenceIndex,
        *,
        margin_m: float = DEFAULT_MARGIN_M,
        enter_fixes: int = DEFAULT_ENTER_FIXES,
        exit_fixes: int = DEFAULT_EXIT_FIXES,
    ) -> None:
        self._index = index
        self._margin_m = margin_m
        self._enter_fixes = enter_fixes
        self._exit_fixes = exit_fixes
        self._states: dict[str, dict] = {}

    def update(self, vehicle_id: str, lat: float, lon: float, ts_ms: int) -> list[GeofenceEvent]:
        """Feed one fix; returns the events it caused."""
        inside = self._index.containing(lat, lon)
        near = self._index.containing(lat, lon, self._margin_m) if self._margin_m else inside
        events, self._states[vehicle_id] = step(
            self._states.get(vehicle_id),
            inside,
            ts_ms,
            self._index.fences,
            near_ids=near,
            enter_fixes=self._enter_fixes,
            exit_fixes=self._exit_fixes,
        )
        return events

    def state(self, vehicle_id: str) -> dict | None:
        """The plain-dict state kept for a vehicle (what a handler would store)."""
        return self._states.get(vehicle_id)

    def inside(self, fence_id: str) -> list[str]:
        """Vehicle ids currently (confirmed) inside the fence, sorted."""
        return sorted(
            vehicle for vehicle, state in self._states.items() if state.get("fences", {}).get(fence_id, {}).get("in")
        )
