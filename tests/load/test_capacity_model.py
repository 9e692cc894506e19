"""Capacity arithmetic against the numbers in docs/contracts.md "Sizing", worked by hand."""

import math

import pytest

from capacity_planner.model import (
    MIB,
    NODE_MEMORY_GIB,
    TelemetryRates,
    aurora_max_connections,
    plan,
    shards_needed,
    stream_loads,
)

FLEET = TelemetryRates(vehicles=234_000)


def test_stream_rates_match_the_contract():
    loads = stream_loads(FLEET)
    assert loads["gps"].records_per_s == pytest.approx(7_800)
    assert loads["diagnostics"].records_per_s == pytest.approx(3_900)
    # 234,000 drivers x 12 changes/day / 86,400 s x 20 (shift-change peak) = 650 rec/s
    assert loads["hos"].records_per_s == pytest.approx(650)
    assert loads["gps"].bytes_per_s == pytest.approx(7_800 * 300)
    assert loads["diagnostics"].readers == ("processor", "predictive", "fuel", "firehose")


def test_gps_shards_bound_by_records():
    need = shards_needed(stream_loads(FLEET)["gps"])
    assert need.binding == "records"
    assert need.shards == 12  # ceil(7.8 x 1.5) = ceil(11.7)


def test_hos_peak_needs_one_shard():
    need = shards_needed(stream_loads(FLEET)["hos"])
    assert need.shards == 1  # ceil(0.65 x 1.5) = ceil(0.975)


def test_diagnostics_shards_bound_by_shared_reads():
    need = shards_needed(stream_loads(FLEET)["diagnostics"])
    # 4 readers x 3,900 x 550 B = 8,580,000 B/s over 2 MiB/s = 4.09 shards; x 1.5 = 6.14 -> 7
    assert need.binding == "read bytes"
    assert need.by_read_bytes == pytest.approx(4 * 3_900 * 550 / (2 * MIB))
    assert need.shards == 7


def test_six_diagnostics_shards_suffice_up_to_537_byte_records():
    # Largest size with ceil(4 x 3,900 x size / 2 MiB x 1.5) <= 6: size <= 537.7 B
    fits = shards_needed(stream_loads(TelemetryRates(234_000, diagnostics_record_bytes=537))["diagnostics"])
    over = shards_needed(stream_loads(TelemetryRates(234_000, diagnostics_record_bytes=538))["diagnostics"])
    assert (fits.shards, over.shards) == (6, 7)


def test_shards_scale_with_fleet_size():
    small = shards_needed(stream_loads(TelemetryRates(vehicles=1_000))["gps"])
    assert small.shards == 1
    double = shards_needed(stream_loads(TelemetryRates(vehicles=468_000))["gps"])
    assert double.shards == math.ceil(15.6 * 1.5)


def _status(report, item):
    return next(c for c in report.checks if c.item == item).status


def test_lambda_concurrency_is_shards_times_parallelization_factor():
    report = plan(
        FLEET,
        {
            "gps_shard_count": 12,
            "diagnostics_shard_count": 7,
            "hos_shard_count": 2,
            "parallelization_factor": 3,
            "reserved_concurrency": 30,
        },
    )
    location = next(c for c in report.checks if c.item == "location concurrency")
    assert location.required == 36 and location.status == "SHORT"
    assert _status(report, "processor concurrency") == "OK"  # 7 x 3 = 21 <= 30


def test_reserved_concurrency_map_per_function_and_account_floor():
    report = plan(
        FLEET,
        {
            "gps_shard_count": 12,
            "diagnostics_shard_count": 7,
            "hos_shard_count": 2,
            "reserved_concurrency": {"default": 100, "location": 5},
        },
        account_limit=1_000,
    )
    assert _status(report, "location concurrency") == "SHORT"
    # reserved_concurrency applies to all 13 functions: 12 x 100 + 5 = 1,205, + 100 unreserved
    floor = next(c for c in report.checks if c.item == "reserved total + 100 unreserved")
    assert floor.required == 1_205 + 100 and floor.status == "SHORT"


def test_dynamodb_on_demand_warns_above_initial_throughput_and_provisioned_can_be_short():
    on_demand = plan(FLEET, {"billing_mode": "PAY_PER_REQUEST"})
    assert _status(on_demand, "locations_table writes/s") == "WARN"  # 7,800 > 4,000
    assert _status(on_demand, "diagnostics_table writes/s") == "OK"
    provisioned = plan(FLEET, {"billing_mode": "PROVISIONED", "wcu": {"default": 6_000, "locations_table": 11_000}})
    assert _status(provisioned, "diagnostics_table wcu") == "OK"  # 3,900 x 1.5 = 5,850
    assert _status(provisioned, "locations_table wcu") == "SHORT"  # 7,800 x 1.5 = 11,700
    # the GSI inherits the table's entry when it has none of its own
    assert _status(provisioned, "locations_table geohash-index wcu") == "SHORT"


def test_redis_node_memory_check():
    tiny = plan(FLEET, {"node_type": "cache.t3.micro"})
    assert _status(tiny, "node memory (cache.t3.micro)") == "SHORT"
    large = plan(FLEET, {"node_type": "cache.r6g.large"})
    assert _status(large, "node memory (cache.r6g.large)") == "OK"
    assert NODE_MEMORY_GIB["cache.r6g.large"] > NODE_MEMORY_GIB["cache.t3.micro"]


def test_aurora_connections_per_acu_and_max_capacity():
    assert aurora_max_connections(1) == 225  # 2 GiB / 9,531,392 B
    assert aurora_max_connections(64) == 5_000  # capped
    short = plan(FLEET, {"min_capacity": 0.5, "max_capacity": 2})
    assert _status(short, "max_capacity") == "SHORT"
    roomy = plan(FLEET, {"min_capacity": 0.5, "max_capacity": 32})
    assert _status(roomy, "max_capacity") == "OK"


def test_redis_estimate_counts_every_per_vehicle_key_family():
    from capacity_planner.model import redis_memory_bytes

    parts = redis_memory_bytes(FLEET)
    fuel_window = next(v for k, v in parts.items() if k.startswith("fuel windows (61 readings"))
    assert 4_000 < fuel_window / FLEET.vehicles < 5_000  # listpack: ~4.2 KB measured on Redis 7
    marks = next(v for k, v in parts.items() if k.startswith("fuel counted marks"))
    assert marks / FLEET.vehicles < 200  # one small string per vehicle, not one per reading
    for family in (
        "geo sets",
        "rolling windows",
        "geofence state",
        "dashboard guards dash:seen",
        "coaching marks",
        "HOS driver-day sets",
        "alert dedupe state",
    ):
        assert any(k.startswith(family) for k in parts), family
    # doubling the fleet doubles every per-vehicle family
    doubled = redis_memory_bytes(TelemetryRates(vehicles=2 * FLEET.vehicles))
    assert sum(doubled.values()) == pytest.approx(2 * sum(parts.values()), rel=0.01)
