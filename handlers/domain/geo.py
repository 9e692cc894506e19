"""Geohash and distance helpers for vehicle_locations and the geofence index.

`location_geohash` is the vehicle_locations `geohash` attribute, the partition key of its
`geohash-index` GSI, at LOCATION_GEOHASH_PRECISION (6; why 6: docs/telemetry.md). A cell is the
unit of one GSI Query; `neighbours` gives the 8 cells around one. Distances are metres on a sphere
of EARTH_RADIUS_M.
"""

from __future__ import annotations

import math

import pygeohash

LOCATION_GEOHASH_PRECISION = 6
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
_DIRECTIONS = ("top", "bottom", "right", "left")


def encode_geohash(lat: float, lon: float, precision: int = LOCATION_GEOHASH_PRECISION) -> str:
    """Geohash of a position (pygeohash, C implementation)."""
    return pygeohash.encode(lat, lon, precision)


def location_geohash(lat: float, lon: float) -> str:
    """The value written to the vehicle_locations `geohash` attribute (GSI partition key)."""
    return pygeohash.encode(lat, lon, LOCATION_GEOHASH_PRECISION)


def cell_bounds(geohash: str) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of a geohash cell."""
    box = pygeohash.get_bounding_box(geohash)
    return box.min_lat, box.min_lon, box.max_lat, box.max_lon


def neighbours(geohash: str) -> list[str]:
    """The cell and its 8 neighbours (what a GSI proximity query should ask for).

    At the poles/antimeridian some neighbours coincide; the list is de-duplicated, cell first.
    """
    north = pygeohash.get_adjacent(geohash, "top")
    south = pygeohash.get_adjacent(geohash, "bottom")
    ring = [geohash]
    for cell in (north, south, geohash):
        for candidate in (cell, pygeohash.get_adjacent(cell, "right"), pygeohash.get_adjacent(cell, "left")):
            if candidate not in ring:
                ring.append(candidate)
    return ring


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on a spherical Earth (error < 0.5 % vs. WGS-84)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of latitude, metres per degree of longitude) at `lat`."""
    per_lat = math.pi * EARTH_RADIUS_M / 180
    return per_lat, per_lat * max(math.cos(math.radians(lat)), 1e-9)
