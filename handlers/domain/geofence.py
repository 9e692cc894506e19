"""Geofences (circles and hole-free polygons), a geohash-prefix index and enter/exit/dwell tracking.

Flapping control is a Schmitt trigger plus a debounce:
- a vehicle ENTERS after `enter_fixes` consecutive fixes strictly inside the fence;
- it EXITS after `exit_fixes` consecutive fixes outside the fence grown by `margin_m`
  (the handler passes `near_ids = index.containing(lat, lon, margin_m=...)`),
so a truck idling on the line, whose GPS wanders +-20 m, never changes state.
DWELL fires once per visit, `dwell_s` after the confirmed entry.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

import pygeohash

from .geo import haversine_m, metres_per_degree

ENTER = "enter"
EXIT = "exit"
DWELL = "dwell"
EVENT_TYPES = (ENTER, EXIT, DWELL)

DEFAULT_ENTER_FIXES = 2
DEFAULT_EXIT_FIXES = 2
DEFAULT_MARGIN_M = 50.0  # ~2x typical GPS horizontal error for a truck unit
MAX_VERTICES = 1000       # AWS Location Service's limit, the common denominator (DOMAIN.md)
MAX_RADIUS_M = 500_000.0

_MAX_INDEX_PRECISION = 7
_MAX_CELLS_PER_FENCE = 32   # tighter candidate lists in dense cities; 10k fences -> <= 320k entries
# Planar (equirectangular) distance decides circle containment unless the point is within this
# relative band of the boundary; valid for small circles away from the poles (error < 0.25 %).
_PLANAR_MAX_REACH_M = 5_000.0
_PLANAR_MAX_ABS_LAT = 70.0
_PLANAR_BAND = 0.005
# Geohash cell height/width in degrees per precision (5 bits per char, lon gets the odd bit).
_CELL_DEG = {p: (180.0 / 2 ** (5 * p // 2), 360.0 / 2 ** ((5 * p + 1) // 2))
             for p in range(1, _MAX_INDEX_PRECISION + 1)}


class InvalidGeofence(ValueError):
    """A geofences item that cannot be turned into a shape (reason in the message)."""


@dataclass(frozen=True, slots=True)
class Geofence:
    """One fence. `shape` is "circle" (center + radius_m) or "polygon" (vertices [(lat, lon)...]).

    Polygons are simple rings without holes that do not cross the antimeridian (a North
    American fleet); containment uses a local equirectangular projection, exact to well under a
    metre for fences up to tens of kilometres.
    """
    fence_id: str
    fleet_id: str
    name: str
    shape: str
    center_lat: float = 0.0
    center_lon: float = 0.0
    radius_m: float = 0.0
    vertices: tuple[tuple[float, float], ...] = ()
    alert_on: tuple[str, ...] = EVENT_TYPES
    dwell_s: Optional[int] = None
    _xy: tuple[tuple[float, float], ...] = field(default=(), init=False, repr=False, compare=False)
    _scale: tuple[float, float] = field(default=(1.0, 1.0), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.shape == "circle":
            _check_lat_lon(self.center_lat, self.center_lon)
            if not 0 < self.radius_m <= MAX_RADIUS_M:
                raise InvalidGeofence(f"radius_m must be in (0, {MAX_RADIUS_M}]")
            object.__setattr__(self, "_scale", metres_per_degree(self.center_lat))
        elif self.shape == "polygon":
            ring = list(self.vertices)
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring.pop()  # closed rings (GeoJSON style) repeat the first vertex
            if not 3 <= len(ring) <= MAX_VERTICES:
                raise InvalidGeofence(f"polygon needs 3..{MAX_VERTICES} distinct vertices")
            for lat, lon in ring:
                _check_lat_lon(lat, lon)
            lats = [lat for lat, _ in ring]
            lons = [lon for _, lon in ring]
            if max(lons) - min(lons) > 180:
                raise InvalidGeofence("polygons crossing the antimeridian are not supported")
            center_lat = (min(lats) + max(lats)) / 2
            center_lon = (min(lons) + max(lons)) / 2
            per_lat, per_lon = metres_per_degree(center_lat)
            object.__setattr__(self, "vertices", tuple(ring))
            object.__setattr__(self, "center_lat", center_lat)
            object.__setattr__(self, "center_lon", center_lon)
            object.__setattr__(self, "_scale", (per_lat, per_lon))
            object.__setattr__(self, "_xy", tuple(((lon - center_lon) * per_lon,
                                                   (lat - center_lat) * per_lat)
                                                  for lat, lon in ring))
        else:
            raise InvalidGeofence(f"shape must be circle or polygon, got {self.shape!r}")
        unknown = set(self.alert_on) - set(EVENT_TYPES)
        if unknown:
            raise InvalidGeofence(f"alert_on has unknown event types {sorted(unknown)}")

    @classmethod
    def from_item(cls, item: Mapping) -> "Geofence":
        """Build from a `geofences` table item (contracts.md); raises InvalidGeofence.

        Numbers may be Decimal (DynamoDB) or numeric strings; alert_on defaults to all events.
        """
        if not isinstance(item, Mapping):
            raise InvalidGeofence("item must be a mapping")
        try:
            shape = item.get("shape")
            alert_on = item.get("alert_on")
            dwell = item.get("dwell_s")
            common = dict(
                fence_id=str(item["geofence_id"]),
                fleet_id=str(item.get("fleet_id", "")),
                name=str(item.get("name", "")),
                shape=shape,
                alert_on=tuple(alert_on) if alert_on else EVENT_TYPES,
                dwell_s=int(_float(dwell)) if dwell not in (None, "", 0) else None,
            )
            if shape == "circle":
                return cls(center_lat=_float(item["center_lat"]), center_lon=_float(item["center_lon"]),
                           radius_m=_float(item["radius_m"]), **common)
            vertices = tuple((_float(pair[0]), _float(pair[1])) for pair in item.get("vertices") or ())
            return cls(vertices=vertices, **common)
        except InvalidGeofence:
            raise
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise InvalidGeofence(f"malformed geofence item: {exc!r}") from exc

    def to_item(self) -> dict:
        """The table item for this fence (inverse of from_item)."""
        item: dict[str, Any] = {"geofence_id": self.fence_id, "fleet_id": self.fleet_id,
                                "name": self.name, "shape": self.shape,
                                "alert_on": list(self.alert_on)}
        if self.dwell_s:
            item["dwell_s"] = self.dwell_s
        if self.shape == "circle":
            item.update(center_lat=self.center_lat, center_lon=self.center_lon, radius_m=self.radius_m)
        else:
            item["vertices"] = [[lat, lon] for lat, lon in self.vertices]
        return item

    def contains(self, lat: float, lon: float, margin_m: float = 0.0) -> bool:
        """True if the point is inside the fence grown by `margin_m` metres (boundary = inside)."""
        if self.shape == "circle":
            reach = self.radius_m + margin_m
            dlon = lon - self.center_lon
            if reach <= _PLANAR_MAX_REACH_M and -180 < dlon < 180 \
                    and -_PLANAR_MAX_ABS_LAT < self.center_lat < _PLANAR_MAX_ABS_LAT:
                per_lat, per_lon = self._scale
                dx, dy = dlon * per_lon, (lat - self.center_lat) * per_lat
                squared = dx * dx + dy * dy
                if squared <= (reach * (1 - _PLANAR_BAND)) ** 2:
                    return True
                if squared >= (reach * (1 + _PLANAR_BAND)) ** 2:
                    return False
            return haversine_m(self.center_lat, self.center_lon, lat, lon) <= reach
        per_lat, per_lon = self._scale
        x = (lon - self.center_lon) * per_lon
        y = (lat - self.center_lat) * per_lat
        if _point_in_ring(x, y, self._xy):
            return True
        return margin_m > 0 and _distance_to_ring(x, y, self._xy) <= margin_m

    def bbox(self, margin_m: float = 0.0) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of the fence grown by margin_m."""
        if self.shape == "circle":
            reach = self.radius_m + margin_m
            per_lat, _ = metres_per_degree(self.center_lat)
            dlat = reach / per_lat
            # the circle is widest in longitude at its pole-ward edge
            widest_lat = min(89.9, abs(self.center_lat) + dlat)
            _, per_lon = metres_per_degree(widest_lat)
            dlon = min(180.0, reach / per_lon)
            return (max(-90.0, self.center_lat - dlat), max(-180.0, self.center_lon - dlon),
                    min(90.0, self.center_lat + dlat), min(180.0, self.center_lon + dlon))
        lats = [lat for lat, _ in self.vertices]
        lons = [lon for _, lon in self.vertices]
        per_lat, _ = self._scale
        _, per_lon = metres_per_degree(min(89.9, max(abs(min(lats)), abs(max(lats)))))
        dlat, dlon = margin_m / per_lat, margin_m / per_lon
        return (max(-90.0, min(lats) - dlat), max(-180.0, min(lons) - dlon),
                min(90.0, max(lats) + dlat), min(180.0, max(lons) + dlon))


class GeofenceIndex:
    """Geohash-prefix index: each fence is filed under the cells (of the finest precision at which
    its bounding box touches at most 32 cells) that its box touches; a lookup encodes the point
    once and probes one cell per precision level in use, then checks boxes, then shapes."""

    def __init__(self, fences: Iterable[Geofence], *, max_margin_m: float = DEFAULT_MARGIN_M) -> None:
        """Index `fences`. Lookups may use any margin_m <= max_margin_m (larger raises)."""
        self.max_margin_m = float(max_margin_m)
        self._fences: dict[str, Geofence] = {}
        self._cells: dict[int, dict[str, list[tuple]]] = {}
        for fence in fences:
            self._add(fence)
        self._levels = tuple(sorted(self._cells))
        self._encode_precision = max(self._levels, default=1)

    def _add(self, fence: Geofence) -> None:
        if fence.fence_id in self._fences:
            raise InvalidGeofence(f"duplicate geofence_id {fence.fence_id!r}")
        self._fences[fence.fence_id] = fence
        box = fence.bbox(self.max_margin_m)
        precision, cells = _covering_cells(box)
        # The bound method and id are stored so the hot loop does no attribute lookups.
        entry = (box[0], box[1], box[2], box[3], fence.contains, fence.fence_id)
        level = self._cells.setdefault(precision, {})
        for cell in cells:
            level.setdefault(cell, []).append(entry)

    def containing(self, lat: float, lon: float, margin_m: float = 0.0) -> list[str]:
        """Ids of fences containing the point (grown by margin_m), sorted."""
        if margin_m > self.max_margin_m:
            raise ValueError(f"margin_m {margin_m} exceeds the index's max_margin_m")
        if not self._levels:
            return []
        geohash = pygeohash.encode(lat, lon, self._encode_precision)
        hits = []
        for precision in self._levels:
            for min_lat, min_lon, max_lat, max_lon, contains, fence_id in \
                    self._cells[precision].get(geohash[:precision], ()):
                if min_lat <= lat <= max_lat and min_lon <= lon <= max_lon and contains(lat, lon, margin_m):
                    hits.append(fence_id)
        # A fence lives at one precision and cells of one precision are disjoint: no duplicates.
        hits.sort()
        return hits

    def get(self, fence_id: str) -> Optional[Geofence]:
        """The fence with this id, or None."""
        return self._fences.get(fence_id)

    @property
    def fences(self) -> Mapping[str, Geofence]:
        """id -> fence (what `step` wants as `fences`)."""
        return self._fences

    def __len__(self) -> int:
        return len(self._fences)


@dataclass(frozen=True)
class GeofenceEvent:
    """An enter/exit/dwell event. `dwell_s` is time inside so far (dwell, exit) else 0."""
    fence_id: str
    event_type: str
    ts_ms: int
    entered_ms: Optional[int] = None
    dwell_s: int = 0

    def to_dict(self) -> dict:
        return {"geofence_id": self.fence_id, "event_type": self.event_type, "ts_ms": self.ts_ms,
                "entered_ms": self.entered_ms, "dwell_s": self.dwell_s}


def step(state: Optional[dict], inside_ids: Iterable[str], ts_ms: int,
         fences: Mapping[str, Geofence], *, near_ids: Optional[Iterable[str]] = None,
         enter_fixes: int = DEFAULT_ENTER_FIXES, exit_fixes: int = DEFAULT_EXIT_FIXES
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
    old = previous.get("fences") if isinstance(previous.get("fences"), dict) else {}
    tracked: dict[str, dict] = {}
    events: list[GeofenceEvent] = []
    for fence_id in sorted(inside | set(old)):
        fence = fences.get(fence_id)
        if fence is None:
            continue
        entry = old.get(fence_id)
        entry = dict(entry) if _entry_is_valid(entry) else {"in": False, "streak": 0}
        event_types = _advance(entry, fence_id in inside, fence_id in near, ts_ms, fence,
                               enter_fixes, exit_fixes)
        for event in event_types:
            if event.event_type in fence.alert_on:
                events.append(event)
        if entry["in"] or entry["streak"]:
            tracked[fence_id] = entry
    return events, {"last_ts_ms": int(ts_ms), "fences": tracked}


def _entry_is_valid(entry: Any) -> bool:
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


def _advance(entry: dict, is_inside: bool, is_near: bool, ts_ms: int, fence: Geofence,
             enter_fixes: int, exit_fixes: int) -> list[GeofenceEvent]:
    fired: list[GeofenceEvent] = []
    if not entry["in"]:
        if not is_inside:
            entry["streak"] = 0
            return fired
        entry["streak"] += 1
        if entry["streak"] == 1:
            entry["pending_ms"] = ts_ms
        if entry["streak"] >= max(1, enter_fixes):
            entry.update({"in": True, "streak": 0, "entered_ms": entry.pop("pending_ms"),
                          "dwell_fired": False})
            fired.append(GeofenceEvent(fence.fence_id, ENTER, ts_ms, entry["entered_ms"]))
    elif not is_near:
        entry["streak"] += 1
        if entry["streak"] == 1:
            entry["pending_ms"] = ts_ms
        if entry["streak"] >= max(1, exit_fixes):
            left_ms = entry.pop("pending_ms")
            fired.append(GeofenceEvent(fence.fence_id, EXIT, ts_ms, entry["entered_ms"],
                                       max(0, (left_ms - entry["entered_ms"]) // 1000)))
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

    def __init__(self, index: GeofenceIndex, *, margin_m: float = DEFAULT_MARGIN_M,
                 enter_fixes: int = DEFAULT_ENTER_FIXES, exit_fixes: int = DEFAULT_EXIT_FIXES) -> None:
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
            self._states.get(vehicle_id), inside, ts_ms, self._index.fences, near_ids=near,
            enter_fixes=self._enter_fixes, exit_fixes=self._exit_fixes)
        return events

    def state(self, vehicle_id: str) -> Optional[dict]:
        """The plain-dict state kept for a vehicle (what a handler would store)."""
        return self._states.get(vehicle_id)

    def inside(self, fence_id: str) -> list[str]:
        """Vehicle ids currently (confirmed) inside the fence, sorted."""
        return sorted(vehicle for vehicle, state in self._states.items()
                      if state.get("fences", {}).get(fence_id, {}).get("in"))


# ---- geometry -----------------------------------------------------------------------------
_BOUNDARY_TOLERANCE_M = 1e-6


def _point_in_ring(x: float, y: float, ring: tuple[tuple[float, float], ...]) -> bool:
    # Even-odd ray casting. A point within a micrometre of an edge counts as inside; that is
    # detected in the same pass (only edges at the point's height are measured), so outside
    # points do not pay for a full distance computation.
    tolerance = _BOUNDARY_TOLERANCE_M
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y):
            dx, dy = x2 - x1, y2 - y1
            offset = x - (x1 + (y - y1) * dx / dy)
            if abs(offset * dy) <= tolerance * math.hypot(dx, dy):
                return True
            if offset < 0:
                inside = not inside
        elif -tolerance <= y1 - y <= tolerance or -tolerance <= y2 - y <= tolerance:
            if _distance_to_segment(x, y, x1, y1, x2, y2) <= tolerance:
                return True
        x1, y1 = x2, y2
    return inside


def _distance_to_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> float:
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
    return math.hypot(x1 + t * dx - x, y1 + t * dy - y)


def _distance_to_ring(x: float, y: float, ring: tuple[tuple[float, float], ...]) -> float:
    best = math.inf
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
        px, py = x1 + t * dx - x, y1 + t * dy - y
        best = min(best, px * px + py * py)
        x1, y1 = x2, y2
    return math.sqrt(best)


def _covering_cells(box: tuple[float, float, float, float]) -> tuple[int, list[str]]:
    min_lat, min_lon, max_lat, max_lon = box
    for precision in range(_MAX_INDEX_PRECISION, 0, -1):
        height, width = _CELL_DEG[precision]
        rows = range(int((min_lat + 90) // height), int(min(max_lat + 90, 179.9999999) // height) + 1)
        cols = range(int((min_lon + 180) // width), int(min(max_lon + 180, 359.9999999) // width) + 1)
        if len(rows) * len(cols) <= _MAX_CELLS_PER_FENCE or precision == 1:
            cells = [pygeohash.encode(-90 + (row + 0.5) * height, -180 + (col + 0.5) * width, precision)
                     for row in rows for col in cols]
            return precision, cells
    raise AssertionError("unreachable: precision 1 always returns")


def _check_lat_lon(lat: float, lon: float) -> None:
    if not (isinstance(lat, (int, float)) and isinstance(lon, (int, float))
            and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidGeofence(f"invalid position ({lat!r}, {lon!r})")


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("non-finite number")
    return number
