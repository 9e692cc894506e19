"""A RunResult built from known data (no stack): the run report's tests render it and compare the
charts with these figures."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from scenario_runner.observers import Message
from scenario_runner.outcomes import Observed, Outcome
from scenario_runner.report_data import RunSeries, StoredData
from scenario_runner.run import RunResult
from scenario_runner.scenario import load

START = int(dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC).timestamp())
MIN = 60


def iso(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# driver -> status changes (offset s from START, status): the grid must add these up.
DRIVER_LOGS = {
    "DR-000001": [
        (-3 * 3600, "OFF"),
        (0, "ON"),
        (15 * MIN, "D"),
        (5 * 3600, "ON"),
        (5 * 3600 + 30 * MIN, "D"),
        (12 * 3600 + 10 * MIN, "OFF"),
    ],
    "DR-000002": [
        (0, "SB"),
        (2 * 3600, "ON"),
        (2 * 3600 + 20 * MIN, "D"),
        (9 * 3600, "PC"),
        (9 * 3600 + 30 * MIN, "YM"),
        (10 * 3600, "OFF"),
    ],
}
# Home terminals: 06:00 UTC is midnight in Chicago (CST) and 22:00 the day before in Los Angeles (PST),
# so DR-000002's run spans two of his days where a UTC grid would show one.
DRIVER_ZONES = {"DR-000001": "America/Chicago", "DR-000002": "America/Los_Angeles"}
VIOLATIONS = [("DR-000001", "DRIVING_11", 11 * 3600 + 35 * MIN), ("DR-000002", "BREAK_30", 8 * 3600 + 20 * MIN)]
DURATION_S = 16 * 3600


def positions() -> dict:
    """Two vehicles driving north-west out of Dallas, a stored fix every 5 minutes."""
    tracks = {}
    for index, vehicle in enumerate(("VH-000001", "VH-000002")):
        tracks[vehicle] = [
            (START + k * 300, 32.77 + 0.01 * k + 0.05 * index, -96.79 - 0.012 * k) for k in range(0, 150)
        ]
    return tracks


def home_midnight(epoch_s: float, zone: str) -> float:
    """Epoch s of the midnight at the home terminal starting the day `epoch_s` falls in there."""
    local = dt.datetime.fromtimestamp(epoch_s, ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def expected_totals() -> dict[tuple[str, str], dict[str, float]]:
    """Seconds per grid row per (driver, home-terminal date) over the run, computed here independently
    of report_eld: each driver's day runs midnight to midnight in DRIVER_ZONES (49 CFR 395.8)."""
    rows = {"OFF": "OFF", "PC": "OFF", "SB": "SB", "D": "D", "ON": "ON", "YM": "ON"}
    run_end = START + DURATION_S
    totals = {}
    for driver, changes in DRIVER_LOGS.items():
        zone = DRIVER_ZONES[driver]
        day_start = home_midnight(START, zone)
        while day_start < run_end:
            day_end = home_midnight(day_start + 26 * 3600, zone)  # the next local midnight
            end = min(run_end, day_end)
            sums = dict.fromkeys(("OFF", "SB", "D", "ON"), 0.0)
            for i, (offset, status) in enumerate(changes):
                begin = max(START + offset, day_start)
                finish = min(START + changes[i + 1][0], end) if i + 1 < len(changes) else end
                if finish > begin:
                    sums[rows[status]] += finish - begin
            date = dt.datetime.fromtimestamp(day_start, ZoneInfo(zone)).date().isoformat()
            totals[(driver, date)] = sums
            day_start = day_end
    return totals


def alert_messages() -> dict:
    topics = {"hos-violations": [], "geofence-alerts": [], "vehicle-alerts": []}
    for n, (driver, rule, offset) in enumerate(VIOLATIONS):
        vehicle = f"VH-00000{n + 1}"
        body = {
            "event": "hos_violation",
            "violation_id": f"hv-{n}",
            "driver_id": driver,
            "vehicle_id": vehicle,
            "rule": rule,
            "start": iso(START + offset),
            "detected_at": iso(START + offset + 60),
        }
        topics["hos-violations"].append(Message(body, {}, START + DURATION_S + 20 + n))
    for n in range(3):
        body = {
            "event_type": "geofence_exit",
            "vehicle_id": "VH-000001",
            "geofence_id": "GF-DAL-YARD",
            "ts": iso(START + 600 + n * 60),
            "lat": 32.78 + n * 0.001,
            "lon": -96.80,
        }
        topics["geofence-alerts"].append(Message(body, {}, START + DURATION_S + 5 + n))
    # no coordinates: placed at the stored position of its vehicle nearest its time
    topics["vehicle-alerts"].append(
        Message(
            {"vehicle_id": "VH-000002", "rule": "coolant_temp", "ts_ms": (START + 3000) * 1000},
            {},
            START + DURATION_S + 30,
        )
    )
    return topics


def run_result(scenario_name: str = "geofence-breach") -> RunResult:
    scenario = load(scenario_name, anchor=False)
    scenario.fleet = scenario.fleet.replace(start=iso(START), duration_s=DURATION_S, tick_s=60)
    series = RunSeries()
    wall = START + DURATION_S
    for k in range(30):
        series.samples.append((wall + 2 * k, 450 * k, {"fleettap-dev-gps": 0.5 * (k % 5), "fleettap-dev-hos": 0.1 * k}))
    topics = alert_messages()
    stored = StoredData(
        driver_logs={d: [(START + o, s, "VH-000001") for o, s in changes] for d, changes in DRIVER_LOGS.items()},
        driver_zones=dict(DRIVER_ZONES),
        positions=positions(),
        positions_total=300,
    )
    sent_at = {t: wall + t / 3600 for t in range(0, DURATION_S, 60)}
    return RunResult(
        scenario=scenario,
        start=iso(START),
        stamp="20261123T220000Z",
        sink_stats={"records": 13050, "by_kind": {"gps": 12000, "hos": 50}, "throttled": 0, "failed": 0},
        observed=Observed(topics=topics),
        outcomes=[Outcome("hos-violations rules", True, "4 of 4")],
        send_s=58.0,
        drain_s=20.0,
        sent_at=sent_at,
        series=series,
        stored=stored,
    )
