"""hos.daily_totals: hours per duty status inside one day (the RODS grid's totals column)."""

from __future__ import annotations

from handlers.domain import hos
from handlers.domain.hos.daily_totals import GRID_STATUSES

HOUR = 3_600_000
DAY0 = 1_795_392_000_000  # 2026-11-23 00:00 UTC
DAY1 = DAY0 + 24 * HOUR


def event(hours, status):
    return {"event_time": DAY0 + int(hours * HOUR), "status": status}


def test_exported_from_the_package():
    assert "daily_totals" in hos.__all__


def test_each_status_lasts_until_the_next_event_and_the_last_until_the_day_ends():
    log = [event(0, "OFF"), event(6, "ON"), event(6.25, "D"), event(11.5, "OFF")]
    assert hos.daily_totals(log, DAY0, DAY1) == {"OFF": 18.5, "SB": 0.0, "D": 5.25, "ON": 0.25}


def test_time_before_the_first_event_counts_nowhere():
    assert hos.daily_totals([event(20, "SB")], DAY0, DAY1) == {"OFF": 0.0, "SB": 4.0, "D": 0.0, "ON": 0.0}


def test_the_event_before_the_day_carries_its_status_in_and_only_the_day_counts():
    log = [event(-3, "SB"), event(2, "D"), event(27, "OFF")]
    assert hos.daily_totals(log, DAY0, DAY1) == {"OFF": 0.0, "SB": 2.0, "D": 22.0, "ON": 0.0}


def test_order_does_not_matter_and_unknown_statuses_add_nothing():
    log = [event(12, "OFF"), event(0, "PC"), event(8, "D")]
    assert hos.daily_totals(log, DAY0, DAY1) == {"OFF": 12.0, "SB": 0.0, "D": 4.0, "ON": 0.0}


def test_empty_log_and_rounding():
    assert hos.daily_totals([], DAY0, DAY1) == {s: 0.0 for s in GRID_STATUSES}
    totals = hos.daily_totals(
        [{"event_time": DAY0, "status": "ON"}, {"event_time": DAY0 + 1000, "status": "OFF"}], DAY0, DAY1
    )
    assert totals["ON"] == 0.0 and totals["OFF"] == 24.0
