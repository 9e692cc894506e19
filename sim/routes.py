"""Where a vehicle drives next: city-to-city legs for long haul and regional work, delivery hops
around the home terminal for local work, or a scenario's fixed waypoints."""

from __future__ import annotations

import random
from functools import cache

from sim.geography import CITIES, CITY_BY_NAME, Leg, haversine_km, offset_point

# Great-circle distance bands (km) of a next destination, by duty profile.
DESTINATION_BANDS = {"long_haul": (250.0, 1000.0), "regional": (60.0, 400.0)}
LOCAL_RADIUS_KM = 30.0


@cache
def destinations_from(city_name: str, profile: str) -> tuple[str, ...]:
    here = CITY_BY_NAME[city_name]
    low, high = DESTINATION_BANDS[profile]
    by_distance = sorted(
        (haversine_km(here.lat, here.lon, city.lat, city.lon), city.name) for city in CITIES if city.name != city_name
    )
    in_band = tuple(name for km, name in by_distance if low <= km <= high)
    return in_band or tuple(name for _, name in by_distance[:3])


def next_leg(rng: random.Random, profile: str, lat: float, lon: float, at_city: str, terminal: str) -> tuple[Leg, str]:
    """The next leg from the current point, and the city it ends in ("" for a local stop)."""
    if profile == "local":
        home = CITY_BY_NAME[terminal]
        to_lat, to_lon = offset_point(
            home.lat, home.lon, rng.uniform(-1, 1) * LOCAL_RADIUS_KM, rng.uniform(-1, 1) * LOCAL_RADIUS_KM
        )
        return Leg.between(lat, lon, to_lat, to_lon), ""
    choices = destinations_from(at_city or terminal, profile)
    target = CITY_BY_NAME[choices[rng.randrange(len(choices))]]
    return Leg.between(lat, lon, target.lat, target.lon), target.name


def waypoint(value) -> tuple[float, float]:
    """A scenario waypoint: a city name or [lat, lon]."""
    if isinstance(value, str):
        city = CITY_BY_NAME[value]
        return city.lat, city.lon
    lat, lon = value
    return float(lat), float(lon)
