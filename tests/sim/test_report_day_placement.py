"""The DOT scenario's date logic at every hour of a week: the runner places the fleet on the day the
workflow will report, and that day holds the drivers' logs, whatever the hour the run starts."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from handlers.domain.hos.report_day import day_bounds, report_day
from scenario_runner.report_anchor import place_on_report_day
from scenario_runner.run import RunOptions, _execution_input, place_for_report, prepare
from scenario_runner.scenario import load
from sim.config import parse_utc
from sim.fleet import Fleet

UTC = dt.UTC
TAP_STACK = Path(__file__).resolve().parents[2] / "infra" / "tap_stack.tf"
MAX_RECORD_AGE_S = 7 * 86400  # the pipeline rejects records older than this (handlers.domain.validation)


def fleet_time_zones() -> list[str]:
    """The `fleet_time_zones` default in infra/tap_stack.tf (what REPORT_TIME_ZONES is made of)."""
    block = re.search(r'variable "fleet_time_zones" \{.*?default = \[(.*?)\]', TAP_STACK.read_text(), re.S)
    assert block, "infra/tap_stack.tf has no fleet_time_zones default"
    return re.findall(r'"([^"]+)"', block.group(1))


ZONES = fleet_time_zones()


def _nows() -> list[dt.datetime]:
    """Every hour of a week (a Monday to a Sunday), and the minutes around midnight in UTC and in
    every fleet zone, on a weekday and on a weekend day, in winter and in summer time."""
    week = [dt.datetime(2026, 11, 30, tzinfo=UTC) + dt.timedelta(hours=h) for h in range(7 * 24)]
    around_midnight = []
    for day in (dt.date(2026, 12, 1), dt.date(2026, 12, 6), dt.date(2026, 7, 14), dt.date(2026, 3, 9)):
        for zone in ["UTC", *ZONES]:
            midnight = dt.datetime.combine(day, dt.time(), ZoneInfo(zone))
            around_midnight += [midnight + dt.timedelta(minutes=m) for m in (-61, -1, 0, 1, 59, 61)]
    return week + around_midnight


@functools.cache
def hos_days(start: str, duration_s: int) -> dict[str, set[str]]:
    """Per driver zone: the local dates that hold a duty-status record of the test-size fleet."""
    scenario = load("dot-daily-report", anchor=False).for_test()
    fleet = Fleet.build(
        scenario.fleet.replace(start=start, duration_s=duration_s), seed=scenario.seed, injections=scenario.injections
    )
    days: dict[str, set[str]] = {}
    for batch in fleet.batches():
        for _, data in batch.records["hos"]:
            record = json.loads(data)
            moment = dt.datetime.fromisoformat(record["ts"].replace("Z", "+00:00"))
            days.setdefault(record["driver_id"], set()).add(
                moment.astimezone(ZoneInfo(record["time_zone"])).date().isoformat()
            )
    return days


@pytest.mark.parametrize("now", _nows(), ids=lambda moment: moment.isoformat())
def test_the_scenario_lands_on_the_day_the_workflow_reports(now):
    options = RunOptions(test_size=True, now=now.timestamp(), report_zones=tuple(ZONES))
    loaded = prepare("dot-daily-report", options)
    assert loaded.anchor == "report-day"
    place_for_report(loaded, options, Console(file=io.StringIO()))
    placement = loaded.report_placement
    assert loaded.fleet.start == placement.start
    start = parse_utc(placement.start)
    end = start + loaded.fleet.duration_s
    # the workflow's rule, applied to the firing time the runner gives it as the event `time`
    fired = json.loads(_execution_input({"start_execution": "dot-reporting"}, placement))["time"]
    day = report_day(dt.datetime.fromisoformat(fired.replace("Z", "+00:00")), ZONES)
    assert day == placement.day
    assert day.weekday() < 5, "drivers are off at weekends: a weekend report has nobody on it"
    for zone in ZONES:
        first, last = day_bounds(day, zone)
        assert first.timestamp() <= start and end <= last.timestamp(), zone
    assert end <= now.timestamp(), "records from the future are rejected"
    history_s = loaded.fleet.history_days * 86400
    assert now.timestamp() - (start - history_s) < MAX_RECORD_AGE_S - 3600, "backfill older than the pipeline takes"
    reported = {
        driver
        for driver, dates in hos_days(placement.start, loaded.fleet.duration_s).items()
        if day.isoformat() in dates
    }
    assert reported, f"no driver has a duty-status record on {day}"


def test_a_time_of_day_outside_the_report_day_is_refused():
    with pytest.raises(ValueError, match="not inside"):
        place_on_report_day("2026-11-24T02:00:00Z", 3 * 3600, parse_utc("2026-12-02T12:00:00Z"), ZONES)


def test_an_explicit_input_is_kept_and_the_firing_time_added():
    placement = place_on_report_day("2026-11-24T12:00:00Z", 3600, parse_utc("2026-12-02T12:00:00Z"), ZONES)
    sent = json.loads(_execution_input({"input": '{"fleet_id": "FL-001"}'}, placement))
    assert sent == {
        "trigger": "scenario",
        "report_date": "yesterday",
        "time": "2026-12-02T12:00:00Z",
        "fleet_id": "FL-001",
    }
    assert placement.day == dt.date(2026, 12, 1)
    assert json.loads(_execution_input({}, None)) == {}
