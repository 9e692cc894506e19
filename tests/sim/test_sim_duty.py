"""Duty schedules: ordinary drivers stay legal for weeks; each breaking pattern breaks its rule."""

from datetime import datetime

import orjson
import pytest

from handlers.domain.hos import evaluate_log
from sim.config import SimConfig
from sim.duty import VIOLATION_DAYS
from sim.fleet import Fleet
from sim.injections import Injection
from tests.sim.sim_records_support import run_records

START = "2026-11-23T00:00:00Z"


def _logs(fleet: Fleet, duration_s: int) -> dict:
    logs: dict = {}
    for kind, key, data in run_records(fleet, duration_s):
        if kind == "hos":
            logs.setdefault(key, []).append(orjson.loads(data))
    return logs


def _violations(records: list[dict], as_of: str) -> list[str]:
    first = records[0]
    result = evaluate_log(
        [{"status": r["status"], "at": r["ts"]} for r in records],
        cycle=first["cycle"],
        time_zone=first["time_zone"],
        exceptions=first["exceptions"],
        as_of=as_of,
    )
    return sorted({violation.rule for violation in result.violations})


def test_ordinary_drivers_stay_legal_for_two_weeks():
    # Two days of backfilled history plus two simulated weeks: weekends reset the weekly limits.
    config = SimConfig(
        vehicles=40,
        duration_s=14 * 86400,
        start=START,
        gps_interval_s=3600,
        diagnostics_interval_s=3600,
        history_days=2,
    )
    logs = _logs(Fleet.build(config, seed=21), config.duration_s)
    assert len(logs) == 40
    cycles = {records[0]["cycle"] for records in logs.values()}
    assert cycles == {"60/7", "70/8"}
    for vehicle_id, records in logs.items():
        assert _violations(records, "2026-12-07T00:00:00Z") == [], vehicle_id
        # a working day is about a dozen changes (more for delivery vans)
        assert 5 * 2 * 7 <= len(records) <= 10 * 2 * 30


@pytest.mark.parametrize("pattern", sorted(VIOLATION_DAYS))
def test_each_pattern_breaks_exactly_its_rule(pattern):
    config = SimConfig(vehicles=1, duration_s=18 * 3600, start=START, gps_interval_s=600, diagnostics_interval_s=600)
    inject = Injection.from_mapping({"type": "hos_pattern", "vehicles": [0], "pattern": pattern, "at": "1h"})
    logs = _logs(Fleet.build(config, seed=2, injections=[inject]), config.duration_s)
    (records,) = logs.values()
    assert _violations(records, "2026-11-23T18:00:00Z") == [pattern]


def test_pattern_history_is_backfilled_at_the_start_and_inside_seven_days():
    config = SimConfig(vehicles=1, duration_s=60, start=START)
    inject = Injection.from_mapping({"type": "hos_pattern", "vehicles": [0], "pattern": "CYCLE_70_8", "at": "1h"})
    fleet = Fleet.build(config, seed=2, injections=[inject])
    first_tick = next(fleet.batches(1))
    backfill = [orjson.loads(data) for _, data in first_tick.records["hos"]]
    assert len(backfill) > 6 * 7
    assert backfill[0]["ts"] >= "2026-11-16T01:00:00.000Z"  # within 7 days of the run's end
    assert backfill[0]["cycle"] == "70/8"


def test_a_backfill_longer_than_the_pipeline_window_starts_at_its_edge():
    """With a 30 h run, the 70/8 history's opening rest began more than 7 days before the run ends:
    it is logged at the window's edge instead (older records would be dead-lettered as TS_TOO_OLD),
    still long enough to open the first shift, and the pattern still breaks only its rule."""
    from sim.fleet import MAX_BACKFILL_AGE_S

    config = SimConfig(vehicles=1, duration_s=30 * 3600, start=START, gps_interval_s=600, diagnostics_interval_s=600)
    inject = Injection.from_mapping({"type": "hos_pattern", "vehicles": [0], "pattern": "CYCLE_70_8", "at": "1h"})
    (records,) = _logs(Fleet.build(config, seed=2, injections=[inject]), config.duration_s).values()
    stamps = [datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp() for r in records]
    oldest_allowed = config.start_epoch_s + config.duration_s - MAX_BACKFILL_AGE_S
    assert int(min(stamps)) == oldest_allowed and records[0]["status"] == "OFF"
    assert stamps[1] - stamps[0] >= 10 * 3600
    assert _violations(records, "2026-11-24T06:00:00Z") == ["CYCLE_70_8"]
