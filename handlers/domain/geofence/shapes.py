"""Geofence shapes: circles and hole-free polygons, built from and to `geofences` table items.

`Geofence.from_item` raises InvalidGeofence for an item that cannot be a shape; `contains(lat, lon,
margin_m)` is true on the boundary and within margin_m metres of it; `bbox(margin_m)` bounds it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..geo import haversine_m, metres_per_degree
from .events import EVENT_TYPES
from .geometry import distance_to_ring, point_in_ring

MAX_VERTICES = 1000  # AWS Location Service's limit, the common denominator (DOMAIN.md)
MAX_RADIUS_M = 500_000.0
# Planar (equirectangular) distance decides circle containment unless the point is within this
# relative band of the boundary; valid for small circles away from the poles (error < 0.25 %).
_PLANAR_MAX_REACH_M = 5_000.0
_PLANAR_MAX_ABS_LAT = 70.0
_PLANAR_BAND = 0.005


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
    dwell_s: int | None = None
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
            object.__setattr__(
                self, "_xy", tuple(((lon - center_lon) * per_lon, (lat - center_lat) * per_lat) for lat, lon in ring)
            )
        else:
            raise _shape_error(self.shape)
        unknown = set(self.alert_on) - set(EVENT_TYPES)
        if unknown:
            raise InvalidGeofence(f"alert_on has unknown event types {sorted(unknown)}")

    @classmethod
    def from_item(cls, item: Mapping) -> Geofence:
        """Build from a `geofences` table item (contracts.md); raises InvalidGeofence.

        Numbers may be Decimal (DynamoDB) or numeric strings; alert_on defaults to all events.
        """
        if not isinstance(item, Mapping):
            raise InvalidGeofence("item must be a mapping")
        try:
            shape = item.get("shape")
            alert_on = item.get("alert_on")
            dwell = item.get("dwell_s")
            fence_id = str(item["geofence_id"])
            fleet_id = str(item.get("fleet_id", ""))
            name = str(item.get("name", ""))
            alert_types = tuple(alert_on) if alert_on else EVENT_TYPES
            dwell_s = int(_float(dwell)) if dwell not in (None, "", 0) else None
            if shape == "circle":
                return cls(
                    fence_id=fence_id,
                    fleet_id=fleet_id,
                    name=name,
                    shape="circle",
                    center_lat=_float(item["center_lat"]),
                    center_lon=_float(item["center_lon"]),
                    radius_m=_float(item["radius_m"]),
                    alert_on=alert_types,
                    dwell_s=dwell_s,
                )
            vertices = tuple((_float(pair[0]), _float(pair[1])) for pair in item.get("vertices") or ())
            if shape != "polygon":
                # The refusal __post_init__ would make, made here so the constructor is given a str.
                raise _shape_error(shape)
            return cls(
                fence_id=fence_id,
                fleet_id=fleet_id,
                name=name,
                shape="polygon",
                vertices=vertices,
                alert_on=alert_types,
                dwell_s=dwell_s,
            )
        except InvalidGeofence:
            raise
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise InvalidGeofence(f"malformed geofence item: {exc!r}") from exc

    def to_item(self) -> dict:
        """The table item for this fence (inverse of from_item)."""
        item: dict[str, Any] = {
            "geofence_id": self.fence_id,
            "fleet_id": self.fleet_id,
            "name": self.name,
            "shape": self.shape,
            "alert_on": list(self.alert_on),
        }
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
            if (
                reach <= _PLANAR_MAX_REACH_M
                and -180 < dlon < 180
                and -_PLANAR_MAX_ABS_LAT < self.center_lat < _PLANAR_MAX_ABS_LAT
            ):
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
        if point_in_ring(x, y, self._xy):
            return True
        return margin_m > 0 and distance_to_ring(x, y, self._xy) <= margin_m

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
            return (
                max(-90.0, self.center_lat - dlat),
                max(-180.0, self.center_lon - dlon),
                min(90.0, self.center_lat + dlat),
                min(180.0, self.center_lon + dlon),
            )
        lats = [lat for lat, _ in self.vertices]
        lons = [lon for _, lon in self.vertices]
        per_lat, _ = self._scale
        _, per_lon = metres_per_degree(min(89.9, max(abs(min(lats)), abs(max(lats)))))
        dlat, dlon = margin_m / per_lat, margin_m / per_lon
        return (
            max(-90.0, min(lats) - dlat),
            max(-180.0, min(lons) - dlon),
            min(90.0, max(lats) + dlat),
            min(180.0, max(lons) + dlon),
        )


def _check_lat_lon(lat: float, lon: float) -> None:
    if not (
        isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and -90 <= lat <= 90 and -180 <= lon <= 180
    ):
        raise InvalidGeofence(f"invalid position ({lat!r}, {lon!r})")


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("non-finite number")
    return number


def _shape_error(shape: object) -> InvalidGeofence:
    return InvalidGeofence(f"shape must be circle or polygon, got {shape!r}")
