import random

from handlers.domain.vin import is_valid_vin
from sim.catalog import CLASSES
from sim.config import SimConfig
from sim.fleet import Fleet
from sim.identities import NamePool, build_vehicle

_NAME_POOLS = {seed: NamePool(seed) for seed in (5, 6)}


def _build(index: int, seed: int = 5):
    return build_vehicle(
        index, seed, _NAME_POOLS[seed], fleets=4, mix=SimConfig().vehicle_mix, cycle_60_7_share=0.2, rng=random.Random()
    )


def test_vins_are_valid_unique_and_match_model_year():
    vehicles = [_build(i) for i in range(2000)]
    assert all(is_valid_vin(v.vin) for v in vehicles)
    assert len({v.vin for v in vehicles}) == len(vehicles)
    year_codes = {2016: "G", 2020: "L", 2024: "R", 2026: "T"}
    for vehicle in vehicles:
        if vehicle.year in year_codes:
            assert vehicle.vin[9] == year_codes[vehicle.year]


def test_identity_depends_only_on_seed_and_index():
    assert _build(123) == _build(123)
    assert _build(123) != _build(124)
    assert _build(123, seed=6) != _build(123, seed=5)


def test_shards_build_the_same_vehicles_as_the_whole_fleet():
    config = SimConfig(vehicles=30)
    whole = {s.vehicle.index: s.vehicle for s in Fleet.build(config, seed=2).states}
    parts = {}
    for shard in range(3):
        for state in Fleet.build(config, seed=2, shard=(shard, 3)).states:
            assert state.vehicle.index % 3 == shard
            parts[state.vehicle.index] = state.vehicle
    assert parts == whole


def test_identity_fields_are_realistic():
    vehicles = [_build(i) for i in range(500)]
    types = {v.vehicle_type for v in vehicles}
    assert types == set(CLASSES)
    for vehicle in vehicles:
        assert vehicle.make in {m.make for m in CLASSES[vehicle.vehicle_type].models}
        assert vehicle.driver.cycle in ("70/8", "60/7")
        assert vehicle.driver.time_zone.startswith("America/")
        assert " " in vehicle.driver.name
        assert vehicle.vehicle_id == f"VH-{vehicle.index + 1:06d}"
        # local delivery vans work under the 150 air-mile short-haul exception
        assert (vehicle.driver.exceptions == ("short_haul_150",)) == (vehicle.vehicle_type == "van")
    assert 0.1 < sum(v.driver.cycle == "60/7" for v in vehicles) / len(vehicles) < 0.3
