"""One test group per limit of 49 CFR 395.3: 11 hours, 14-hour window, 30-minute break, 60/7 and
70/8, the 34-hour restart, and the severity grading of the over-limit time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import evaluate_log, severity_for
from tests.unit.domain.hos.hos_log_builder import HOUR, local, only, rules_of, steps_log

ZONE = "America/Chicago"


def evaluate(steps, start="2024-04-02T06:00", rest_before_h=10, **kwargs):
    events, end = steps_log(start, steps, kwargs.get("time_zone", ZONE))
    before = (local(start, kwargs.get("time_zone", ZONE)) - timedelta(hours=rest_before_h)).isoformat()
    kwargs.setdefault("time_zone", ZONE)
    kwargs.setdefault("as_of", end)
    return evaluate_log([{"status": "OFF", "at": before}] + events, **kwargs)


class TestDriving11:
    def test_exactly_eleven_hours_of_driving_is_legal(self):
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4), ("OFF", 1)])
        assert result.violations == []

    def test_driving_past_eleven_hours_is_reported_from_the_eleventh_hour(self):
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4.5), ("OFF", 1)])
        violation = only(result, "DRIVING_11")
        assert violation.start == local("2024-04-02T17:30")
        assert violation.end == local("2024-04-02T18:00")
        assert violation.over_s == 1800

    def test_over_limit_driving_in_separate_stints_is_one_violation(self):
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4.5), ("ON", 0.5), ("D", 1), ("OFF", 1)])
        violation = only(result, "DRIVING_11")
        assert (violation.start, violation.end, violation.over_s) == (
            local("2024-04-02T17:30"),
            local("2024-04-02T19:30"),
            5400,
        )

    def test_ten_hours_off_reset_the_driving_limit(self):
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4), ("OFF", 10), ("D", 7)])
        assert "DRIVING_11" not in rules_of(result)

    def test_nine_hours_fifty_nine_off_do_not_reset(self):
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4), ("OFF", 10 - 1 / 60), ("D", 1)])
        assert only(result, "DRIVING_11").over_s == HOUR

    def test_off_and_sleeper_combine_into_the_ten_hour_rest(self):
        # 395.3(a)(1): "10 consecutive hours off duty" may combine off duty and sleeper berth.
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4), ("OFF", 4), ("SB", 6), ("D", 7)])
        assert result.violations == []


class TestWindow14:
    def test_window_counts_from_first_on_duty_and_includes_short_breaks(self):
        result = evaluate([("ON", 2), ("OFF", 3), ("D", 5), ("ON", 0.5), ("D", 4), ("OFF", 1)])
        violation = only(result, "WINDOW_14")
        assert violation.start == local("2024-04-02T20:00")
        assert violation.end == local("2024-04-02T20:30")

    def test_on_duty_after_the_window_is_legal(self):
        # 395.3(a)(2) forbids driving after the 14th hour, not working.
        result = evaluate([("ON", 6), ("D", 8), ("ON", 3), ("OFF", 10)])
        assert result.violations == []

    def test_window_left_shrinks_with_elapsed_time_not_only_work(self):
        result = evaluate([("ON", 1), ("OFF", 4)])
        assert result.available.window_s == 9 * HOUR


class TestBreak30:
    def test_eight_hours_of_driving_then_driving_needs_a_break(self):
        result = evaluate([("D", 8.5), ("OFF", 10)])
        violation = only(result, "BREAK_30")
        assert (violation.start, violation.end) == (local("2024-04-02T14:00"), local("2024-04-02T14:30"))

    def test_break_counts_driving_not_on_duty_time(self):
        # Since 2020 the clock is 8 hours of driving, not 8 hours since coming on duty.
        result = evaluate([("ON", 4), ("D", 7.5), ("OFF", 10)])
        assert "BREAK_30" not in rules_of(result)

    def test_off_and_sleeper_and_on_duty_combine_into_the_break(self):
        result = evaluate([("D", 8), ("ON", 10 / 60), ("OFF", 10 / 60), ("SB", 10 / 60), ("D", 2)])
        assert result.violations == []

    def test_each_episode_without_a_break_is_its_own_violation(self):
        result = evaluate([("D", 8.5), ("ON", 0.25), ("D", 0.5), ("OFF", 0.5), ("D", 1), ("OFF", 10), ("D", 8.25)])
        breaks = [v for v in result.violations if v.rule == "BREAK_30"]
        assert [v.over_s for v in breaks] == [1800 + 1800, 900]

    def test_break_due_in_counts_down_driving_since_the_last_break(self):
        result = evaluate([("D", 3), ("OFF", 0.5), ("D", 5), ("ON", 0.25)])
        assert result.available.break_due_in_s == 3 * HOUR


class TestCycle:
    DAY = [("ON", 1), ("D", 8), ("ON", 1), ("OFF", 14)]

    def test_sixty_seven_counts_seven_home_terminal_days(self):
        result = evaluate(self.DAY * 6 + [("ON", 1), ("D", 2), ("OFF", 1)], cycle="60/7")
        violation = only(result, "CYCLE_60_7")
        assert violation.start == local("2024-04-08T07:00")
        assert violation.over_s == 2 * HOUR

    def test_seventy_eight_allows_what_sixty_seven_forbids(self):
        result = evaluate(self.DAY * 6 + [("ON", 1), ("D", 2), ("OFF", 1)], cycle="70/8")
        assert result.violations == []
        assert result.available.cycle_s == (70 - 63) * HOUR

    def test_a_day_leaving_the_window_at_midnight_gives_hours_back(self):
        # 61 h by day 7; at midnight day 1 (10 h) drops out of the 7-day window, so day 8 may drive.
        steps = self.DAY * 6 + [("ON", 1), ("OFF", 23), ("ON", 1), ("D", 2), ("OFF", 1)]
        result = evaluate(steps, cycle="60/7")
        assert result.violations == []
        assert result.available.cycle_s == (60 - 54) * HOUR

    def test_cycle_driving_over_the_limit_is_graded(self):
        result = evaluate(self.DAY * 6 + [("ON", 1), ("D", 8), ("OFF", 1)], cycle="60/7")
        assert only(result, "CYCLE_60_7").severity == "out_of_service"

    def test_cycle_days_are_home_terminal_days(self):
        # 10 h on duty each UTC day from April 1 to 6, then 1 h of driving at 16:00 UTC April 7.
        # In UTC days April 1 is still inside the 7 days (over 60 h); in Tokyo it is already
        # April 8 01:00 and the April 1 work (Tokyo April 1) has left the window.
        steps = [("ON", 1), ("D", 8), ("ON", 1), ("OFF", 14)] * 6 + [("OFF", 16), ("D", 1), ("OFF", 1)]
        events, end = steps_log("2024-04-01T00:00", steps, "UTC")
        utc = evaluate_log(events, cycle="60/7", time_zone="UTC", as_of=end)
        tokyo = evaluate_log(events, cycle="60/7", time_zone="Asia/Tokyo", as_of=end)
        assert only(utc, "CYCLE_60_7").over_s == HOUR
        assert "CYCLE_60_7" not in rules_of(tokyo)

    def test_restart_needs_thirty_four_hours(self):
        long_days = [("ON", 3), ("D", 8), ("ON", 3), ("OFF", 10)] * 3 + [("ON", 3), ("D", 8), ("ON", 3)]
        almost = evaluate(long_days + [("OFF", 34 - 1 / 60), ("ON", 1), ("D", 8)], cycle="60/7")
        restarted = evaluate(long_days + [("OFF", 34), ("ON", 1), ("D", 8)], cycle="60/7")
        assert "CYCLE_60_7" in rules_of(almost)
        assert "CYCLE_60_7" not in rules_of(restarted)

    def test_restart_in_progress_gives_the_full_cycle(self):
        result = evaluate(self.DAY * 5 + [("OFF", 30)], cycle="70/8")
        assert result.available.cycle_s == 70 * HOUR

    def test_cycle_survives_daylight_saving_change(self):
        # 2024-03-10 has 23 hours in Chicago; 6 days of 10 h + 1 h on day 7 still add up to 61 h.
        result = evaluate(self.DAY * 6 + [("ON", 1), ("D", 1)], start="2024-03-05T06:00", cycle="60/7")
        assert only(result, "CYCLE_60_7").over_s == HOUR


class TestSeverity:
    @pytest.mark.parametrize(
        "over_s, expected",
        [
            (1, "nominal"),
            (14 * 60 + 59, "nominal"),
            (15 * 60, "normal"),
            (3 * HOUR, "normal"),
            (3 * HOUR + 1, "out_of_service"),
        ],
    )
    def test_grades_follow_the_fmcsa_split_sleeper_faq(self, over_s, expected):
        assert severity_for(over_s) == expected

    def test_violation_carries_its_grade(self):
        result = evaluate([("D", 7), ("ON", 0.5), ("D", 4 + 10 / 60), ("OFF", 1)])
        assert only(result, "DRIVING_11").severity == "nominal"
