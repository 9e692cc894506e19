"""Every scenario file loads, and its injected conditions produce the records that should trigger
its expected outcome, judged by the domain core itself (HOS engine, anomaly rules, fuel analytics,
geofence tracker). The full pipeline run is the runner's job; this proves the input is right."""

import collections

import orjson
import pytest

from handlers.domain import anomaly, fuel
from handlers.domain.geofence import Geofence, GeofenceIndex, GeofenceTracker
from handlers.domain.hos import evaluate_log
from handlers.domain.telemetry import iso_to_epoch_ms
from scenario_runner import scenario
from sim.fleet import Fleet
from tests.sim.sim_records_support import run_records

ALL = scenario.available()


def _records(name: str) -> list[dict]:
    loaded = scenario.load(name, anchor=False).for_test()  # the dates the file was written for
    fleet = Fleet.build(loaded.fleet, seed=loaded.seed, injections=loaded.injections)
    return [orjson.loads(data) for _, _, data in run_records(fleet)]


def _by_vehicle(records, kind):
    grouped = collections.defaultdict(list)
    for record in records:
        if record["kind"] == kind:
            grouped[record["vehicle_id"]].append(record)
    return grouped


def _anomalies(records) -> list[anomaly.Anomaly]:
    """The anomaly rules over each vehicle's diagnostics, with rolling windows as the handler keeps."""
    found = []
    windows = collections.defaultdict(lambda: collections.defaultdict(list))
    for record in records:
        if record["kind"] != "diagnostics":
            continue
        ts_ms = iso_to_epoch_ms(record["ts"])
        window = windows[record["vehicle_id"]]
        for signal, value in record["signals"].items():
            window[signal] = [p for p in window[signal] if p[0] > ts_ms - 1_800_000] + [(ts_ms, value)]
        thresholds = anomaly.default_thresholds(record["vehicle_id"], record["vehicle_type"])
        found.extend(anomaly.evaluate(record, thresholds, window))
    return found


def _hos_rules(records, as_of) -> dict:
    rules = {}
    for vehicle_id, log in _by_vehicle(records, "hos").items():
        result = evaluate_log(
            [{"status": r["status"], "at": r["ts"]} for r in log],
            cycle=log[0]["cycle"],
            time_zone=log[0]["time_zone"],
            exceptions=log[0]["exceptions"],
            as_of=as_of,
        )
        rules[vehicle_id] = sorted({v.rule for v in result.violations})
    return rules


def _fuel_patterns(records) -> dict:
    return {
        vehicle_id: sorted(
            p.code for p in fuel.assess(diagnostics, fuel.DEFAULT_BENCHMARKS[diagnostics[0]["vehicle_type"]]).patterns
        )
        for vehicle_id, diagnostics in _by_vehicle(records, "diagnostics").items()
    }


@pytest.mark.parametrize("name", ALL)
def test_scenario_loads_with_expectations(name):
    loaded = scenario.load(name)
    assert loaded.description and loaded.expect
    assert loaded.fleet.vehicles > 0 and loaded.fleet.duration_s > 0
    assert loaded.in_make_test == (name not in ("fleet-234k", "soak"))


def test_all_required_scenarios_exist():
    assert set(ALL) >= {
        "hos-violation",
        "engine-overheat",
        "geofence-breach",
        "fuel-inefficiency",
        "predictive-failure",
        "dtc-storm",
        "dot-daily-report",
        "mixed-fleet",
        "fleet-234k",
        "soak",
    }


def test_hos_violation_produces_the_four_violations_and_nothing_else():
    records = _records("hos-violation")
    last_ts = max(r["ts"] for r in records)
    assert _hos_rules(records, last_ts) == {
        "VH-000001": ["DRIVING_11"],
        "VH-000002": ["WINDOW_14"],
        "VH-000003": ["BREAK_30"],
        "VH-000004": ["CYCLE_70_8"],
        "VH-000005": [],
        "VH-000006": [],
    }


def test_engine_overheat_reaches_high_and_critical_coolant_with_dtcs():
    records = _records("engine-overheat")
    found = _anomalies(records)
    coolant = {(a.vehicle_id, a.severity) for a in found if a.metric == "coolant_temp_c"}
    for vehicle in ("VH-000001", "VH-000002"):
        assert (vehicle, "high") in coolant and (vehicle, "critical") in coolant
    assert {a.vehicle_id for a in found if a.rule.startswith("dtc:")} == {"VH-000001", "VH-000002"}
    healthy = [a for a in found if a.vehicle_id not in ("VH-000001", "VH-000002")]
    assert healthy == []


def test_geofence_breach_tracks_exit_enter_and_dwell():
    loaded = scenario.load("geofence-breach")
    tracker = GeofenceTracker(GeofenceIndex([Geofence.from_item(f) for f in loaded.geofences]))
    events = set()
    for record in _records("geofence-breach"):
        if record["kind"] == "gps":
            for event in tracker.update(
                record["vehicle_id"], record["lat"], record["lon"], iso_to_epoch_ms(record["ts"])
            ):
                events.add((record["vehicle_id"], event.fence_id, event.event_type))
    alerting = {
        (v, f, e)
        for v, f, e in events
        if e in Geofence.from_item(next(g for g in loaded.geofences if g["geofence_id"] == f)).alert_on
    }
    assert alerting == {
        ("VH-000001", "GF-DAL-YARD", "exit"),
        ("VH-000002", "GF-HOU-DC", "enter"),
        ("VH-000003", "GF-SAT-CUST", "dwell"),
    }


def test_fuel_inefficiency_patterns_only_on_the_injected_vehicles():
    patterns = _fuel_patterns(_records("fuel-inefficiency"))
    assert {"excess_idling", "speeding"} <= set(patterns["VH-000001"])
    assert "low_mpg" in patterns["VH-000002"]
    assert all(not found for vehicle, found in patterns.items() if vehicle not in ("VH-000001", "VH-000002")), patterns


def test_predictive_failure_trends_develop():
    diagnostics = _by_vehicle(_records("predictive-failure"), "diagnostics")

    def running(vehicle, signal):
        return [r["signals"][signal] for r in diagnostics[vehicle] if r["signals"]["engine_rpm"] > 0]

    battery = running("VH-000001", "battery_v")
    assert battery[-1] < battery[len(battery) // 4] - 0.8  # charging voltage sagging
    fuel_rates = running("VH-000002", "fuel_rate_lph")
    assert sum(fuel_rates[-20:]) > 1.1 * sum(fuel_rates[20:40])
    assert any(r["dtcs"] for r in diagnostics["VH-000002"])  # injector code once wear passes 70 %
    coolant = running("VH-000003", "coolant_temp_c")
    assert max(coolant[-20:]) > max(coolant[20:40]) + 5


def test_dtc_storm_hits_about_a_quarter_of_the_fleet():
    diagnostics = _by_vehicle(_records("dtc-storm"), "diagnostics")
    stormy = {v for v, records in diagnostics.items() if any(r["dtcs"] for r in records)}
    assert 4 <= len(stormy) <= 18
    dtc_alerts = [a for a in _anomalies([r for rs in diagnostics.values() for r in rs]) if a.rule.startswith("dtc:")]
    assert {a.vehicle_id for a in dtc_alerts} == stormy


def test_dot_daily_report_has_a_day_of_backfilled_logs():
    loaded = scenario.load("dot-daily-report", anchor=False).for_test()
    records = _records("dot-daily-report")
    start_ms = loaded.fleet.start_epoch_s * 1000
    hos = [r for r in records if r["kind"] == "hos"]
    assert any(iso_to_epoch_ms(r["ts"]) < start_ms - 3600_000 for r in hos)
    assert _hos_rules(records, max(r["ts"] for r in records)) == {
        vehicle: [] for vehicle in {r["vehicle_id"] for r in hos}
    }


def test_mixed_fleet_is_clean():
    records = _records("mixed-fleet")
    assert all(not rules for rules in _hos_rules(records, max(r["ts"] for r in records)).values())
    assert all(not r["dtcs"] for r in records if r["kind"] == "diagnostics")
    assert all(not found for found in _fuel_patterns(records).values())
    assert _anomalies(records) == []


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("now", ["2026-11-25T18:30:00Z", "2027-03-02T00:00:30Z", "2031-07-14T09:15:00Z"])
def test_every_scenario_is_placed_just_before_now(name, now):
    """What scenario_runner.run and the load tools get from scenario.load: a period that ends before now and
    starts less than four days (plus its length) earlier, at the time of day and on the kind of day
    (working or not) the file chose, so the pipeline's 7-day window accepts it whatever the date
    (with and without the test size)."""
    from sim.config import parse_utc
    from sim.duty import is_working_day

    now_s = parse_utc(now)
    written = scenario.load(name, anchor=False)
    for loaded, original in (
        (scenario.load(name, now=now_s), written),
        (scenario.load(name, now=now_s).for_test(), written.for_test()),
    ):
        start, duration = loaded.fleet.start_epoch_s, loaded.fleet.duration_s
        assert start + duration <= now_s - 60
        assert now_s - start < 4 * 86400 + duration + 60
        assert (start - original.fleet.start_epoch_s) % 86400 == 0
        assert is_working_day(0, start) == is_working_day(0, original.fleet.start_epoch_s)
        assert loaded.fleet.replace(start=original.fleet.start) == original.fleet
