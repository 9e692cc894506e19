"""Benchmarks of the domain core's per-record paths (issue 4 targets, read from the table, not
asserted):
- validation + anomaly rules per diagnostics record <= 20 us (thresholds from a ThresholdResolver,
  as the anomaly handler should hold them; the Redis round trip is not part of it);
- one position checked against 10,000 geofences <= 50 us.

Run (CPU time, so other processes on a shared machine do not inflate the figures):
    .venv/bin/python -m pytest tests/bench/test_domain_bench.py --benchmark-enable \
        --benchmark-timer=time.process_time -p no:cacheprovider
Each benchmark cycles through many distinct inputs and checks the results, so a broken rule
cannot post a number.
"""

from __future__ import annotations

import itertools
import math
import random

from handlers.domain import anomaly, telemetry, validation, vin
from handlers.domain.geofence import Geofence, GeofenceIndex

NOW_MS = telemetry.iso_to_epoch_ms("2026-11-25T18:00:00.000Z")
VEHICLES = 200
RECORDS = 2000
METROS = [
    (41.88, -87.63),
    (34.05, -118.24),
    (32.78, -96.80),
    (33.75, -84.39),
    (40.71, -74.00),
    (29.76, -95.37),
    (39.74, -104.99),
    (47.61, -122.33),
]


def _diagnostics(n: int, rng: random.Random, dtcs: list) -> dict:
    vehicle = n % VEHICLES
    return {
        "schema": telemetry.SCHEMA,
        "kind": "diagnostics",
        "record_id": f"d-{n}",
        "vehicle_id": f"VH-{vehicle:06d}",
        "vin": vin.make_vin(vehicle, serial=vehicle),
        "fleet_id": "FL-001",
        "vehicle_type": ("tractor", "reefer", "straight_truck", "van")[vehicle % 4],
        "driver_id": f"DR-{vehicle:06d}",
        "ts": telemetry.epoch_ms_to_iso(NOW_MS - 60_000 + n),
        "signals": {
            "engine_rpm": rng.uniform(1200, 1700),
            "coolant_temp_c": rng.uniform(85, 95),
            "fuel_level_pct": rng.uniform(30, 90),
            "vehicle_speed_kph": rng.uniform(60, 100),
            "engine_load_pct": rng.uniform(30, 80),
            "throttle_pct": rng.uniform(10, 60),
            "battery_v": rng.uniform(13.6, 14.2),
            "odometer_km": 400_000 + n,
            "engine_hours": 10_000 + n / 60,
            "fuel_used_l": 150_000 + n / 3,
            "fuel_rate_lph": rng.uniform(20, 40),
        },
        "dtcs": dtcs,
    }


def _window(center: float, wobble: float, end_ms: int, rng: random.Random) -> list:
    # 15 minutes of one-a-minute readings, as ZRANGE ... WITHSCORES returns them.
    members = [
        (
            anomaly.window_member(end_ms - (15 - i) * 60_000, center + rng.uniform(-wobble, wobble)),
            float(end_ms - (15 - i) * 60_000),
        )
        for i in range(15)
    ]
    return anomaly.parse_window(members)


def _workload(dtcs_every: int):
    rng = random.Random(42)
    cases = []
    for n in range(RECORDS):
        dtcs = [{"code": "P0217"}, {"spn": 110, "fmi": 0, "oc": 3}] if dtcs_every and n % dtcs_every == 0 else []
        record = _diagnostics(n, rng, dtcs)
        thresholds = RESOLVER.for_vehicle(record["vehicle_id"], record["vehicle_type"])
        ts_ms = telemetry.iso_to_epoch_ms(record["ts"])
        signals = record["signals"]
        windows = {
            "coolant_temp_c": _window(signals["coolant_temp_c"], 1.0, ts_ms, rng),
            "battery_v": _window(signals["battery_v"], 0.1, ts_ms, rng),
            "fuel_level_pct": _window(signals["fuel_level_pct"], 0.05, ts_ms, rng),
        }
        cases.append((record, thresholds, windows))
    return cases


RESOLVER = anomaly.ThresholdResolver(anomaly.DEFAULT_THRESHOLD_ITEMS)  # one per table load


def _validate_and_evaluate(cases):
    record, _, windows = next(cases)
    result = validation.validate(record, now_ms=NOW_MS)
    thresholds = RESOLVER.for_vehicle(record["vehicle_id"], record["vehicle_type"])
    return result, anomaly.evaluate(result.record, thresholds, windows)


def test_validation_and_anomaly_rules_per_typical_record(benchmark):
    """The common case: a healthy truck, full signal set, 3 rolling windows of 15 readings."""
    workload = _workload(dtcs_every=0)
    for record, thresholds, windows in workload[:200]:
        result = validation.validate(record, now_ms=NOW_MS)
        assert result.ok, result.reasons
        assert anomaly.evaluate(result.record, thresholds, windows) == []
    cases = itertools.cycle(workload)
    result, found = benchmark(_validate_and_evaluate, cases)
    assert result.ok and found == []


def test_validation_and_anomaly_rules_per_record_with_faults(benchmark):
    """Every 10th record carries two trouble codes that alert (critical)."""
    workload = _workload(dtcs_every=10)
    alerting = 0
    for record, thresholds, windows in workload[:200]:
        result = validation.validate(record, now_ms=NOW_MS)
        assert result.ok
        alerting += bool(anomaly.evaluate(result.record, thresholds, windows))
    assert alerting == 20
    benchmark(_validate_and_evaluate, itertools.cycle(workload))


def _fences(
    count: int, rng: random.Random, spread_deg: float, metros, max_radius_m: float = 2000, max_polygon_deg: float = 0.03
) -> list:
    fences = []
    for n in range(count):
        center_lat, center_lon = rng.choice(metros)
        lat = center_lat + rng.gauss(0, spread_deg)
        lon = center_lon + rng.gauss(0, spread_deg)
        if n % 2:
            fences.append(Geofence(f"c{n}", "FL-001", "", "circle", lat, lon, rng.uniform(50, max_radius_m)))
        else:
            size = rng.uniform(0.001, max_polygon_deg)
            ring = tuple(
                (
                    lat + size * 0.5 * math.sin(k * math.tau / 12) * rng.uniform(0.7, 1.0),
                    lon + size * math.cos(k * math.tau / 12) * rng.uniform(0.7, 1.0),
                )
                for k in range(12)
            )
            fences.append(Geofence(f"p{n}", "FL-001", "", "polygon", vertices=ring))
    return fences


def _probe_index(index: GeofenceIndex, fences: list, probes: list, spot_checks: int) -> None:
    hits = 0
    for lat, lon in probes[:spot_checks]:
        expected = sorted(f.fence_id for f in fences if f.contains(lat, lon))
        assert index.containing(lat, lon) == expected
        hits += bool(expected)
    assert hits, "the probes must land in fences, or the benchmark measures only misses"


def _lookup(index: GeofenceIndex, probes) -> list:
    lat, lon = next(probes)
    return index.containing(lat, lon)


def test_position_against_10000_geofences_across_metros(benchmark):
    """10,000 circles and 12-vertex polygons (50 m - 2 km) around 8 metros; probes in the same metros."""
    rng = random.Random(7)
    fences = _fences(10_000, rng, 0.3, METROS)
    index = GeofenceIndex(fences)
    probes = [
        (lat + rng.gauss(0, 0.3), lon + rng.gauss(0, 0.3)) for lat, lon in (rng.choice(METROS) for _ in range(5000))
    ]
    _probe_index(index, fences, probes, 100)
    benchmark(_lookup, index, itertools.cycle(probes))


def test_position_against_10000_geofences_in_one_metro(benchmark):
    """Dense: all 10,000 fences (customer sites, 50-500 m) within ~30 km of downtown Chicago."""
    rng = random.Random(8)
    fences = _fences(10_000, rng, 0.12, METROS[:1], max_radius_m=500, max_polygon_deg=0.006)
    index = GeofenceIndex(fences)
    probes = [(41.88 + rng.gauss(0, 0.12), -87.63 + rng.gauss(0, 0.12)) for _ in range(5000)]
    _probe_index(index, fences, probes, 100)
    benchmark(_lookup, index, itertools.cycle(probes))


def test_position_against_10000_overlapping_geofences_in_one_metro(benchmark):
    """Pathological: 10,000 fences of up to 2 km in one metro, so a position lies in ~22 fences
    at once; the cost follows the number of hits, which must each be checked exactly."""
    rng = random.Random(8)
    fences = _fences(10_000, rng, 0.12, METROS[:1])
    index = GeofenceIndex(fences)
    probes = [(41.88 + rng.gauss(0, 0.12), -87.63 + rng.gauss(0, 0.12)) for _ in range(5000)]
    _probe_index(index, fences, probes, 100)
    benchmark(_lookup, index, itertools.cycle(probes))
