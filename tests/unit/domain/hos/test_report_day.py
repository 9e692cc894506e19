"""The DOT report day (49 CFR 395.8: a driver's day is the home terminal's calendar day)."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.domain.hos.report_day import day_bounds, report_day, schedule_problems

UTC = dt.UTC
US = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestReportDay:
    def test_a_day_is_reported_once_it_is_over_in_the_westernmost_zone(self):
        # 2026-11-20 ends in Los Angeles (PST, UTC-8) at 2026-11-21T08:00Z
        assert report_day(at("2026-11-21T07:59:59Z"), US) == dt.date(2026, 11, 19)
        assert report_day(at("2026-11-21T08:00:00Z"), US) == dt.date(2026, 11, 20)

    def test_in_summer_the_day_ends_an_hour_earlier_in_utc(self):
        # PDT is UTC-7; Phoenix keeps UTC-7 all year
        assert report_day(at("2026-07-21T07:00:00Z"), US) == dt.date(2026, 7, 20)
        assert report_day(at("2026-07-21T06:59:00Z"), US) == dt.date(2026, 7, 19)

    def test_one_zone_reports_its_own_yesterday(self):
        assert report_day(at("2026-11-21T05:59:00Z"), ["America/Chicago"]) == dt.date(2026, 11, 19)
        assert report_day(at("2026-11-21T06:00:00Z"), ["America/Chicago"]) == dt.date(2026, 11, 20)
        assert report_day(at("2026-11-21T00:00:00Z"), ["UTC"]) == dt.date(2026, 11, 20)

    def test_a_naive_instant_or_no_zone_is_refused(self):
        with pytest.raises(ValueError, match="time zone"):
            report_day(dt.datetime(2026, 11, 21, 9), US)
        with pytest.raises(ValueError, match="at least one"):
            report_day(at("2026-11-21T09:00:00Z"), [])

    @pytest.mark.parametrize("minute", range(0, 24 * 60, 7))
    def test_the_report_day_has_ended_everywhere_and_the_next_one_has_not(self, minute):
        fired = at("2026-03-08T00:00:00Z") + dt.timedelta(minutes=minute)  # a DST change in the US
        day = report_day(fired, US)
        assert all(day_bounds(day, zone)[1] <= fired for zone in US)
        assert any(day_bounds(day + dt.timedelta(days=1), zone)[1] > fired for zone in US)


class TestDayBounds:
    def test_dst_days_last_23_and_25_hours(self):
        start, end = day_bounds(dt.date(2026, 3, 8), "America/Chicago")
        assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=23)
        start, end = day_bounds(dt.date(2026, 11, 1), "America/Chicago")
        assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=25)
        assert start == at("2026-11-01T05:00:00Z")


class TestSchedule:
    def test_nine_utc_fits_the_us_fleet_all_year(self):
        assert schedule_problems(9, 0, US, dt.date(2026, 1, 1), 730) == []

    def test_six_utc_fires_before_the_day_ends_on_the_west_coast(self):
        problems = schedule_problems(6, 0, US, dt.date(2026, 1, 1), 30)
        assert problems == []  # it reports the day before, consistently ...
        assert report_day(at("2026-01-02T06:00:00Z"), US) == dt.date(2025, 12, 31)  # ... a day late

    def test_a_firing_too_close_to_midnight_is_reported(self):
        problems = schedule_problems(8, 30, US, dt.date(2026, 1, 1), 3)  # 00:30 PST
        assert problems and "ended in America/Los_Angeles only 0:30:00 before" in problems[0]

    def test_a_firing_across_midnight_as_dst_changes_skips_or_repeats_a_day(self):
        # 07:30 UTC is 23:30 PST (before 2026-03-08) and 00:30 PDT (after): a day is skipped
        problems = schedule_problems(7, 30, ["America/Los_Angeles"], dt.date(2026, 3, 1), 14, grace=dt.timedelta(0))
        assert any("skipped or repeated" in p for p in problems)
