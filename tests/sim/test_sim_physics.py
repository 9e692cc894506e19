"""Physics sanity: the signals a moving, idling or failing truck reports are plausible."""

import statistics

import pytest

from sim import degradation
from sim.config import SimConfig
from sim.fleet import Fleet
from sim.injections import Injection
from tests.sim.sim_records_support import decoded, run_records

CRUISE = "2026-11-23T16:00:00Z"


def _single(vehicle_type: str, *injections, hours: float = 3.0, start: str = CRUISE, plan=None):
    """One vehicle of a type, driving all the time (an explicit duty plan), for `hours`."""
    plan = plan or [["ON", "pretrip", "15m"], ["D", "drive", f"{int(hours * 60)}m"]]
    config = SimConfig(vehicles=1, duration_s=int(hours * 3600), start=start, vehicle_mix={vehicle_type: 1.0})
    injections = [Injection.from_mapping({"type": "duty_plan", "vehicles": [0], "plan": plan}), *injections]
    return decoded(run_records(Fleet.build(config, seed=3, injections=injections)))


def _signals(records, moving=True):
    return [
        r["signals"]
        for r in records
        if r["kind"] == "diagnostics" and (r["signals"]["vehicle_speed_kph"] > 30) == moving
    ]


@pytest.mark.parametrize(
    "vehicle_type,rpm_range,l_per_100km",
    [
        ("tractor", (1000, 2100), (25, 50)),
        ("reefer", (1000, 2100), (25, 55)),
        ("straight_truck", (1100, 2600), (15, 35)),
        ("van", (1200, 3500), (8, 20)),
    ],
)
def test_cruising_engine_speed_and_fuel_economy(vehicle_type, rpm_range, l_per_100km):
    moving = _signals(_single(vehicle_type))
    assert len(moving) > 60
    rpms = [s["engine_rpm"] for s in moving]
    assert rpm_range[0] <= statistics.median(rpms) <= rpm_range[1]
    first, last = moving[0], moving[-1]
    litres = last["fuel_used_l"] - first["fuel_used_l"]
    km = last["odometer_km"] - first["odometer_km"]
    assert km > 50
    assert l_per_100km[0] <= litres / km * 100 <= l_per_100km[1]


def test_warm_engine_coolant_battery_and_counters():
    records = _single("tractor")
    moving = _signals(records)
    late = moving[len(moving) // 2 :]
    assert all(75 <= s["coolant_temp_c"] <= 100 for s in late)
    assert all(13.5 <= s["battery_v"] <= 14.5 for s in moving)
    for key in ("odometer_km", "engine_hours", "fuel_used_l"):
        values = [s[key] for s in moving]
        assert values == sorted(values)
    assert all(r["dtcs"] == [] for r in records if r["kind"] == "diagnostics")


def test_gps_track_is_continuous_and_consistent_with_speed():
    gps = [r for r in _single("tractor") if r["kind"] == "gps"]
    from handlers.domain.geo import haversine_m  # the domain's distance helper

    for before, after in zip(gps, gps[1:]):
        metres = haversine_m(before["lat"], before["lon"], after["lat"], after["lon"])
        # 30 s at up to 115 km/h is under 1 km (straight-line, roads are longer)
        assert metres < 1000
        assert 0 <= after["speed_kph"] <= 130
        assert 0 <= after["heading_deg"] < 360


def test_parked_vehicle_is_cold_and_still():
    plan = [["OFF", "rest", "3h"]]
    records = _single("tractor", plan=plan)
    parked = [r["signals"] for r in records if r["kind"] == "diagnostics"]
    assert all(s["engine_rpm"] == 0 and s["vehicle_speed_kph"] == 0 for s in parked)
    assert parked[-1]["coolant_temp_c"] < 30
    assert len({(r["lat"], r["lon"]) for r in records if r["kind"] == "gps"}) == 1


def test_cooling_failure_overheats_and_raises_coolant_dtc():
    failure = Injection.from_mapping({"type": "cooling_failure", "vehicles": [0], "at": "30m", "ramp": "1h"})
    diagnostics = [r for r in _single("tractor", failure) if r["kind"] == "diagnostics"]
    peak = max(r["signals"]["coolant_temp_c"] for r in diagnostics)
    assert peak > degradation.COOLANT_CRITICAL_C
    first_dtc = next(i for i, r in enumerate(diagnostics) if r["dtcs"])
    assert diagnostics[first_dtc]["signals"]["coolant_temp_c"] >= degradation.COOLANT_WARN_C
    assert {"spn": 110, "fmi": 0} in [{k: d[k] for k in ("spn", "fmi")} for d in diagnostics[-1]["dtcs"]]
    # before the failure starts, the engine ran normally
    assert all(not r["dtcs"] for r in diagnostics[:30])


def test_van_reports_obd_codes_and_battery_decline():
    decline = Injection.from_mapping({"type": "battery_decline", "vehicles": [0], "ramp": "1h"})
    diagnostics = [r for r in _single("van", decline, hours=2) if r["kind"] == "diagnostics"]
    voltages = [r["signals"]["battery_v"] for r in diagnostics if r["signals"]["engine_rpm"] > 0]
    assert voltages[-1] < 12.0 < voltages[5]
    assert {"code": "P0562"} in diagnostics[-1]["dtcs"]


def test_injector_wear_raises_fuel_rate_for_the_same_driving():
    healthy = _signals(_single("tractor", hours=2))
    worn = _signals(
        _single(
            "tractor",
            Injection.from_mapping({"type": "injector_wear", "vehicles": [0], "ramp": 0, "peak": 0.8}),
            hours=2,
        )
    )
    ratio = statistics.mean(s["fuel_rate_lph"] for s in worn) / statistics.mean(s["fuel_rate_lph"] for s in healthy)
    assert 1.3 < ratio < 1.65  # 1 + 0.6 x 0.8 wear


def test_ordinary_fleet_has_no_trouble_codes_or_alarming_values(busy_fleet_records):
    for record in decoded(busy_fleet_records, "diagnostics"):
        signals = record["signals"]
        assert record["dtcs"] == []
        assert signals["coolant_temp_c"] < degradation.COOLANT_WARN_C
        assert signals["engine_rpm"] <= 5500
        if signals["engine_rpm"] > 0:
            assert signals["battery_v"] > 13.0
        assert 0 <= signals["fuel_level_pct"] <= 100


def test_vehicle_parks_with_engine_off_when_its_route_ends():
    route = Injection.from_mapping(
        {"type": "route", "vehicles": [0], "waypoints": [[32.7767, -96.7970], [32.80, -96.85]]}
    )
    records = _single("tractor", route, hours=2)
    diagnostics = [r["signals"] for r in records if r["kind"] == "diagnostics"]
    last_gps = [r for r in records if r["kind"] == "gps"][-1]
    assert abs(last_gps["lat"] - 32.80) < 1e-4 and abs(last_gps["lon"] + 96.85) < 1e-4
    assert any(s["vehicle_speed_kph"] > 20 for s in diagnostics[15:30])  # after the pre-trip
    assert all(s["engine_rpm"] == 0 and s["vehicle_speed_kph"] == 0 for s in diagnostics[-30:])
