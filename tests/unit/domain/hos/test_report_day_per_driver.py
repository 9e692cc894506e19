"""Each driver's report day is the home terminal's calendar day (49 CFR 395.8), not UTC's, and a
schedule covers every zone the fleet has: the day boundaries the DOT report's report_driver uses."""

from __future__ import annotations

import datetime as dt

from handlers.domain.hos.report_day import day_bounds, report_day, schedule_problems

US = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def within(moment: dt.datetime, bounds: tuple[dt.datetime, dt.datetime]) -> bool:
    return bounds[0] <= moment < bounds[1]


def test_a_late_evening_event_belongs_to_the_local_day_not_the_utc_one():
    late = at("2026-11-20T07:30:00Z")  # 23:30 PST on the 19th
    assert within(late, day_bounds(dt.date(2026, 11, 19), "America/Los_Angeles"))
    assert not within(late, day_bounds(dt.date(2026, 11, 20), "America/Los_Angeles"))
    assert within(late, day_bounds(dt.date(2026, 11, 20), "America/New_York"))  # 02:30 EST on the 20th


def test_one_report_date_is_a_different_utc_interval_per_home_terminal():
    day = dt.date(2026, 11, 19)
    starts = {zone: day_bounds(day, zone)[0].astimezone(dt.UTC) for zone in US}
    assert starts["America/New_York"] == at("2026-11-19T05:00:00Z")
    assert starts["America/Chicago"] == at("2026-11-19T06:00:00Z")
    assert starts["America/Los_Angeles"] == at("2026-11-19T08:00:00Z")
    # Arizona keeps standard time in summer while Denver moves: the same date, an hour apart in July
    july = dt.date(2026, 7, 1)
    assert day_bounds(july, "America/Phoenix")[0] - day_bounds(july, "America/Denver")[0] == dt.timedelta(hours=1)


def test_consecutive_days_tile_without_gap_or_overlap_across_dst():
    for zone in US:
        day = dt.date(2026, 3, 1)
        for _ in range(300):
            assert day_bounds(day, zone)[1] == day_bounds(day + dt.timedelta(days=1), zone)[0]
            day += dt.timedelta(days=1)


def test_a_run_reports_a_day_that_is_over_for_every_driver_of_the_fleet():
    fired = at("2026-11-20T09:00:00Z")
    day = report_day(fired, US)
    assert all(day_bounds(day, zone)[1] <= fired for zone in US)
    assert not all(day_bounds(day + dt.timedelta(days=1), zone)[1] <= fired for zone in US)


def test_hawaii_terminals_make_a_nine_utc_run_a_day_late_for_everyone():
    fleet = [*US, "America/Anchorage", "Pacific/Honolulu"]
    # 09:00 UTC is 23:00 in Honolulu: the 19th is not over there, so everyone gets the 18th
    assert report_day(at("2026-11-20T09:00:00Z"), fleet) == dt.date(2026, 11, 18)
    # 11:00 UTC (01:00 HST) reports yesterday for every zone, every day of two years (DST included)
    assert report_day(at("2026-11-20T11:00:00Z"), fleet) == dt.date(2026, 11, 19)
    assert schedule_problems(11, 0, fleet, dt.date(2026, 1, 1), 730) == []
