"""Claimed exceptions: adverse driving (395.1(b)(1)), 150 air-mile short haul (395.1(e)(1)),
16-hour (395.1(o))."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import HosInputError, evaluate_log
from tests.unit.domain.hos.hos_log_builder import HOUR, local, only, rules_of, steps_log

ZONE = "America/Chicago"


def evaluate(steps, start="2024-04-02T06:00", **kwargs):
    events, end = steps_log(start, steps, ZONE)
    before = (local(start) - timedelta(hours=10)).isoformat()
    kwargs.setdefault("as_of", end)
    return evaluate_log([{"status": "OFF", "at": before}] + events, time_zone=ZONE, **kwargs)


LONG_DAY = [("ON", 1), ("D", 7), ("ON", 0.5), ("D", 5.5), ("ON", 1), ("OFF", 10)]  # 12.5 h driving


class TestAdverseDriving:
    def test_two_more_hours_of_driving_and_window(self):
        assert rules_of(evaluate(LONG_DAY)) == ["DRIVING_11"]
        assert evaluate(LONG_DAY, exceptions=["adverse_driving"]).violations == []

    def test_limits_still_apply_beyond_the_extension(self):
        steps = [("ON", 1), ("D", 7), ("ON", 0.5), ("D", 6.5), ("OFF", 10)]
        result = evaluate(steps, exceptions=["adverse_driving"])
        assert only(result, "DRIVING_11").over_s == HOUR // 2

    def test_availability_includes_the_extension(self):
        result = evaluate([("ON", 1), ("D", 4)], exceptions=["adverse_driving"])
        assert (result.available.drive_s, result.available.window_s) == (9 * HOUR, 11 * HOUR)


class TestShortHaul:
    def test_no_thirty_minute_break_required(self):
        steps = [("D", 10), ("OFF", 10)]
        assert rules_of(evaluate(steps)) == ["BREAK_30"]
        result = evaluate(steps, exceptions=["short_haul_150"])
        assert result.violations == []
        assert result.available.break_due_in_s is None

    def test_fourteen_hour_window_still_applies(self):
        result = evaluate([("ON", 6), ("D", 9), ("OFF", 10)], exceptions=["short_haul_150"])
        assert rules_of(result) == ["WINDOW_14"]


class TestSixteenHour:
    DAY = [("ON", 5), ("D", 5), ("ON", 5), ("D", 0.5), ("OFF", 8.5)]  # drives 15:00-15:30 into the day

    def test_window_is_sixteen_hours_when_claimed(self):
        assert rules_of(evaluate(self.DAY)) == ["WINDOW_14"]
        assert evaluate(self.DAY, exceptions=["sixteen_hour"]).violations == []

    def test_driving_after_the_sixteenth_hour_is_window_16(self):
        steps = [("ON", 5), ("D", 5), ("ON", 6), ("D", 1), ("OFF", 10)]
        violation = only(evaluate(steps, exceptions=["sixteen_hour"]), "WINDOW_16")
        assert (violation.start, violation.over_s) == (local("2024-04-02T22:00"), HOUR)

    def test_eleven_hours_still_apply(self):
        steps = [("ON", 1), ("D", 7), ("ON", 0.5), ("D", 5), ("OFF", 10)]
        assert rules_of(evaluate(steps, exceptions=["sixteen_hour"])) == ["DRIVING_11"]

    def test_only_once_in_seven_days(self):
        day = [("ON", 5), ("D", 5), ("ON", 5), ("D", 0.5), ("OFF", 10)]
        result = evaluate(day + day, exceptions=["sixteen_hour"])
        # The first duty period (06:00-21:30) uses it; the second (from 07:30) drives 22:30-23:00.
        assert only(result, "WINDOW_14").start == local("2024-04-03T22:30")

    def test_a_long_day_without_driving_past_the_14th_hour_does_not_use_it(self):
        # J. J. Keller RegSense on 395.1(o): 16 h on duty without driving after the 14th hour is not
        # a use of the exception, so the next day may still use it.
        working_late = [("ON", 5), ("D", 5), ("ON", 6), ("OFF", 10)]
        result = evaluate(working_late + self.DAY, exceptions=["sixteen_hour"])
        assert result.violations == []

    def test_again_after_a_34_hour_restart(self):
        day = [("ON", 5), ("D", 5), ("ON", 5), ("D", 0.5)]
        result = evaluate(day + [("OFF", 34)] + day + [("OFF", 1)], exceptions=["sixteen_hour"])
        assert result.violations == []

    def test_current_duty_period_shows_a_sixteen_hour_window(self):
        result = evaluate([("ON", 1)], exceptions=["sixteen_hour"])
        assert result.available.window_s == 15 * HOUR


def test_unknown_exception_is_refused():
    with pytest.raises(HosInputError, match="unknown exceptions"):
        evaluate([("D", 1)], exceptions=["personal_conveyance"])
