"""Real US city coordinates, home terminals, and straight-line route legs between them."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class City:
    name: str
    state: str
    lat: float
    lon: float
    time_zone: str


CITIES = (
    City("Dallas", "TX", 32.7767, -96.7970, "America/Chicago"),
    City("Houston", "TX", 29.7604, -95.3698, "America/Chicago"),
    City("San Antonio", "TX", 29.4241, -98.4936, "America/Chicago"),
    City("Oklahoma City", "OK", 35.4676, -97.5164, "America/Chicago"),
    City("Kansas City", "MO", 39.0997, -94.5786, "America/Chicago"),
    City("St. Louis", "MO", 38.6270, -90.1994, "America/Chicago"),
    City("Memphis", "TN", 35.1495, -90.0490, "America/Chicago"),
    City("Nashville", "TN", 36.1627, -86.7816, "America/Chicago"),
    City("Chicago", "IL", 41.8781, -87.6298, "America/Chicago"),
    City("Minneapolis", "MN", 44.9778, -93.2650, "America/Chicago"),
    City("Omaha", "NE", 41.2565, -95.9345, "America/Chicago"),
    City("New Orleans", "LA", 29.9511, -90.0715, "America/Chicago"),
    City("Atlanta", "GA", 33.7490, -84.3880, "America/New_York"),
    City("Charlotte", "NC", 35.2271, -80.8431, "America/New_York"),
    City("Jacksonville", "FL", 30.3322, -81.6557, "America/New_York"),
    City("Orlando", "FL", 28.5384, -81.3789, "America/New_York"),
    City("Columbus", "OH", 39.9612, -82.9988, "America/New_York"),
    City("Indianapolis", "IN", 39.7684, -86.1581, "America/Indiana/Indianapolis"),
    City("Detroit", "MI", 42.3314, -83.0458, "America/Detroit"),
    City("Pittsburgh", "PA", 40.4406, -79.9959, "America/New_York"),
    City("Philadelphia", "PA", 39.9526, -75.1652, "America/New_York"),
    City("Newark", "NJ", 40.7357, -74.1724, "America/New_York"),
    City("Baltimore", "MD", 39.2904, -76.6122, "America/New_York"),
    City("Richmond", "VA", 37.5407, -77.4360, "America/New_York"),
    City("Boston", "MA", 42.3601, -71.0589, "America/New_York"),
    City("Denver", "CO", 39.7392, -104.9903, "America/Denver"),
    City("Albuquerque", "NM", 35.0844, -106.6504, "America/Denver"),
    City("Salt Lake City", "UT", 40.7608, -111.8910, "America/Denver"),
    City("Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix"),
    City("El Paso", "TX", 31.7619, -106.4850, "America/Denver"),
    City("Las Vegas", "NV", 36.1699, -115.1398, "America/Los_Angeles"),
    City("Los Angeles", "CA", 34.0522, -118.2437, "America/Los_Angeles"),
    City("Fresno", "CA", 36.7378, -119.7871, "America/Los_Angeles"),
    City("Sacramento", "CA", 38.5816, -121.4944, "America/Los_Angeles"),
    City("Portland", "OR", 45.5152, -122.6784, "America/Los_Angeles"),
    City("Seattle", "WA", 47.6062, -122.3321, "America/Los_Angeles"),
    City("Boise", "ID", 43.6150, -116.2023, "America/Boise"),
    City("Laredo", "TX", 27.5306, -99.4803, "America/Chicago"),
)
CITY_BY_NAME = {city.name: city for city in CITIES}

# Terminals are where fleets base their drivers (and so set the drivers' log time zone).
HOME_TERMINALS = (
    "Dallas",
    "Chicago",
    "Atlanta",
    "Columbus",
    "Kansas City",
    "Denver",
    "Phoenix",
    "Los Angeles",
    "Memphis",
    "Charlotte",
    "Seattle",
    "Newark",
)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlmb = math.radians(lon2 - lon1)
    x = math.sin(dlmb) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlmb)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


# Roads are not straight lines: scale the great-circle distance to a typical road distance.
ROAD_CIRCUITY = 1.2


@dataclass(frozen=True)
class Leg:
    """A straight stretch from one point to another, travelled at `ROAD_CIRCUITY` x the distance.

    Positions are interpolated linearly in lat/lon (good enough within a leg of a few hundred km).
    """

    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    road_km: float
    heading_deg: float

    @classmethod
    def between(cls, lat1: float, lon1: float, lat2: float, lon2: float) -> Leg:
        road_km = max(haversine_km(lat1, lon1, lat2, lon2) * ROAD_CIRCUITY, 0.1)
        return cls(lat1, lon1, lat2, lon2, road_km, round(bearing_deg(lat1, lon1, lat2, lon2), 1))

    def position(self, travelled_km: float) -> tuple[float, float]:
        share = min(max(travelled_km / self.road_km, 0.0), 1.0)
        return (
            self.from_lat + (self.to_lat - self.from_lat) * share,
            self.from_lon + (self.to_lon - self.from_lon) * share,
        )


def offset_point(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """A point `north_km`/`east_km` away (small offsets; used to spread depots around a city)."""
    dlat = north_km / 111.32
    dlon = east_km / (111.32 * max(math.cos(math.radians(lat)), 0.01))
    return lat + dlat, lon + dlon
