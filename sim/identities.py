"""Vehicle and driver identities, built once per vehicle at fleet build (never per record).

Each vehicle's identity depends only on (seed, global index), so a shard builds exactly the
vehicles the whole fleet would have built at those indices.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from faker import Faker

from handlers.domain.vin import check_digit, make_vin
from sim.catalog import CLASSES
from sim.geography import CITY_BY_NAME, HOME_TERMINALS

_YEAR_CODES = {
    2016: "G",
    2017: "H",
    2018: "J",
    2019: "K",
    2020: "L",
    2021: "M",
    2022: "N",
    2023: "P",
    2024: "R",
    2025: "S",
    2026: "T",
}
_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
NAME_POOL_SIZE = 600


@dataclass(frozen=True, slots=True)
class Driver:
    driver_id: str
    name: str
    licence_number: str
    licence_state: str
    cycle: str  # one of the rule set's cycles: "70/8" or "60/7" for us-property
    time_zone: str  # the home terminal's zone: the log's day boundaries
    exceptions: tuple[str, ...]
    ruleset: str = "us-property"  # handlers.domain.hos.rulesets; a scenario's `ruleset` injection sets others


@dataclass(frozen=True, slots=True)
class Vehicle:
    index: int  # global index in the fleet (shard-independent)
    vehicle_id: str
    vin: str
    fleet_id: str
    vehicle_type: str
    make: str
    model: str
    year: int
    plate: str
    plate_state: str
    home_terminal: str
    driver: Driver


class NamePool:
    """Faker is slow per call (~30 µs); draw pools once, then combine names with a cheap RNG."""

    def __init__(self, seed: int) -> None:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.first = [fake.first_name() for _ in range(NAME_POOL_SIZE)]
        self.last = [fake.last_name() for _ in range(NAME_POOL_SIZE)]


def vehicle_type_for(rng: random.Random, mix: dict) -> str:
    total = sum(mix.values())
    pick = rng.random() * total
    for vehicle_type, share in mix.items():
        pick -= share
        if pick < 0:
            return vehicle_type
    return next(iter(mix))


def build_vehicle(
    index: int, seed: int, names: NamePool, *, fleets: int, mix: dict, cycle_60_7_share: float, rng: random.Random
) -> Vehicle:
    rng.seed(seed * 1_000_003 + index)
    vehicle_type = vehicle_type_for(rng, mix)
    vehicle_class = CLASSES[vehicle_type]
    model = rng.choice(vehicle_class.models)
    year = rng.randint(2016, 2026)
    vin = _vin_for_year(make_vin(rng, wmi=model.wmi, serial=index % 1_000_000), year)
    terminal = CITY_BY_NAME[HOME_TERMINALS[rng.randrange(len(HOME_TERMINALS))]]
    plate = f"{rng.randint(1, 9)}{rng.choice(_PLATE_LETTERS)}{rng.choice(_PLATE_LETTERS)}{rng.randint(1000, 9999)}"
    number = index + 1
    local_delivery = vehicle_class.duty_profile == "local"
    driver = Driver(
        driver_id=f"DR-{number:06d}",
        name=f"{rng.choice(names.first)} {rng.choice(names.last)}",
        licence_number=f"{terminal.state}{rng.randrange(10**8, 10**9)}",
        licence_state=terminal.state,
        cycle="60/7" if rng.random() < cycle_60_7_share else "70/8",
        time_zone=terminal.time_zone,
        exceptions=("short_haul_150",) if local_delivery else (),
    )
    return Vehicle(
        index=index,
        vehicle_id=f"VH-{number:06d}",
        vin=vin,
        fleet_id=f"FL-{index % fleets + 1:03d}",
        vehicle_type=vehicle_type,
        make=model.make,
        model=model.model,
        year=year,
        plate=plate,
        plate_state=terminal.state,
        home_terminal=terminal.name,
        driver=driver,
    )


def _vin_for_year(vin: str, year: int) -> str:
    """Put the model-year code in position 10 and recompute the check digit (positions 9)."""
    draft = vin[:9] + _YEAR_CODES[year] + vin[10:]
    return draft[:8] + check_digit(draft) + draft[9:]


@lru_cache(maxsize=64)
def utc_offset_s(time_zone: str, epoch_s: int) -> int:
    """The zone's UTC offset at a moment (cached: a fleet has a dozen zones)."""
    moment = dt.datetime.fromtimestamp(epoch_s, tz=ZoneInfo(time_zone))
    return int(moment.utcoffset().total_seconds())
