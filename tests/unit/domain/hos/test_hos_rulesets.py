"""Rule sets other than us-property, each test citing the section it checks (limits: hos/rulesets.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import HosInputError, evaluate_log
from tests.unit.domain.hos.hos_log_builder import HOUR, local, only, rules_of, steps_log

ZONE = "America/Chicago"


# 70 hours on duty in six days, the last one ending in driving's 10th hour: 5 x 12 h + 10 h.
SEVENTY_HOURS = [("ON", 1), ("D", 11), ("OFF", 12)] * 5 + [("ON", 1), ("D", 9)]
# 69 hours on duty in three days (no driving, so only the cycle is at stake), starting at midnight.
SIXTY_NINE_HOURS = [("ON", 23), ("OFF", 1)] * 2 + [("ON", 23)]


def evaluate(ruleset, steps, start="2024-04-02T06:00", rest_before=36, zone=ZONE, **kwargs):
    events, end = steps_log(start, steps, zone)
    before = (local(start, zone) - timedelta(hours=rest_before)).isoformat()
    kwargs.setdefault("as_of", end)
    return evaluate_log([{"status": "OFF", "at": before}] + events, time_zone=zone, ruleset=ruleset, **kwargs)


class TestRulesetInput:
    @pytest.mark.parametrize(
        "ruleset, cycle",
        [
            ("us-property", "70/7"),
            ("us-property", "80/8"),
            ("us-passenger", "cycle-1"),
            ("us-texas-intrastate", "70/8"),
            ("us-california-intrastate", "70/8"),
            ("canada-south", "70/8"),
        ],
    )
    def test_a_cycle_of_another_rule_set_is_an_input_error(self, ruleset, cycle):
        with pytest.raises(HosInputError, match="cycle"):
            evaluate_log([], ruleset=ruleset, cycle=cycle)

    def test_unknown_ruleset(self):
        with pytest.raises(HosInputError, match="ruleset"):
            evaluate_log([], ruleset="us-alaska")

    @pytest.mark.parametrize(
        "ruleset, cycle_s",
        [
            ("us-passenger", 70 * HOUR),
            ("us-texas-intrastate", 70 * HOUR),
            ("us-california-intrastate", 80 * HOUR),
            ("canada-south", 70 * HOUR),
        ],
    )
    def test_default_cycle_per_rule_set(self, ruleset, cycle_s):
        assert evaluate_log([], ruleset=ruleset).available.cycle_s == cycle_s

    def test_sixteen_hour_exception_is_for_property_carriers_only(self):
        # 49 CFR 395.1(o) is written for property-carrying drivers.
        with pytest.raises(HosInputError, match="unknown exceptions"):
            evaluate_log([], ruleset="us-passenger", exceptions=["sixteen_hour"])

    def test_no_thirty_minute_break_outside_us_property(self):
        steps = [("D", 9), ("OFF", 1)]
        assert "BREAK_30" in rules_of(evaluate("us-property", steps))
        for ruleset in ("us-passenger", "us-texas-intrastate", "us-california-intrastate", "canada-south"):
            result = evaluate(ruleset, steps)
            assert "BREAK_30" not in rules_of(result)
            assert result.available.break_due_in_s is None


class TestPassenger:
    """49 CFR 395.5."""

    def test_ten_hours_of_driving_after_eight_hours_off(self):
        # 395.5(a)(1)
        result = evaluate("us-passenger", [("D", 10.5), ("OFF", 1)])
        assert only(result, "DRIVING_10").over_s == HOUR // 2

    def test_fifteen_hours_on_duty_is_cumulative_not_a_window(self):
        # 395.5(a)(2): off-duty time does not count toward the 15 hours; 17 elapsed hours are fine.
        steps = [("ON", 4), ("OFF", 3), ("D", 5), ("ON", 5), ("D", 0.5), ("OFF", 1)]
        assert evaluate("us-passenger", steps).violations == []
        steps = [("ON", 4), ("OFF", 3), ("D", 5), ("ON", 6), ("D", 1), ("OFF", 1)]
        assert only(evaluate("us-passenger", steps), "ON_DUTY_15").over_s == HOUR

    def test_eight_consecutive_hours_off_start_a_new_period(self):
        # 395.5(a): "following 8 consecutive hours off duty" (property carriers need 10).
        steps = [("D", 9), ("OFF", 8), ("D", 9), ("OFF", 1)]
        assert evaluate("us-passenger", steps).violations == []
        assert "DRIVING_11" in rules_of(evaluate("us-property", steps))

    def test_no_34_hour_restart_for_passenger_carriers(self):
        # 395.3(c) is for property-carrying drivers; 395.5(b) has no restart.
        steps = SIXTY_NINE_HOURS + [("OFF", 40), ("D", 2), ("OFF", 1)]
        assert only(evaluate("us-passenger", steps, start="2024-04-02T00:00"), "CYCLE_70_8").over_s == HOUR
        assert "CYCLE_70_8" not in rules_of(evaluate("us-property", steps, start="2024-04-02T00:00"))

    def test_sixty_hours_in_seven_days(self):
        # 395.5(b)(1)
        days = []
        for _ in range(5):
            days += [("ON", 2), ("D", 10), ("OFF", 12)]
        days += [("ON", 1), ("D", 1), ("OFF", 1)]
        assert only(evaluate("us-passenger", days, cycle="60/7"), "CYCLE_60_7").over_s == HOUR

    def test_adverse_driving_adds_two_hours_to_driving_and_on_duty(self):
        # 395.1(b)(1) as summarised by J. J. Keller (secondary source): 12 hours driving, 17 on duty.
        steps = [("ON", 4), ("D", 12), ("OFF", 1)]
        assert set(rules_of(evaluate("us-passenger", steps))) == {"DRIVING_10", "ON_DUTY_15"}
        assert evaluate("us-passenger", steps, exceptions=["adverse_driving"]).violations == []


class TestTexasIntrastate:
    """37 TAC 4.12(a)(2)."""

    def test_twelve_hours_of_driving(self):
        result = evaluate("us-texas-intrastate", [("D", 12.25), ("OFF", 1)])
        assert rules_of(result) == ["DRIVING_12"] and result.violations[0].over_s == 15 * 60

    def test_fifteen_hours_on_duty_reported_as_window_15(self):
        # "may not drive after having been on duty 15 hours": counted as on-duty time (as 395.5(a)(2)).
        steps = [("ON", 4), ("OFF", 2), ("D", 10), ("ON", 1), ("D", 1), ("OFF", 1)]
        assert only(evaluate("us-texas-intrastate", steps), "WINDOW_15").over_s == HOUR
        assert evaluate("us-texas-intrastate", steps[:3] + [("OFF", 1)]).violations == []

    def test_eight_hours_off_reset(self):
        steps = [("D", 12), ("OFF", 8), ("D", 12), ("OFF", 1)]
        assert evaluate("us-texas-intrastate", steps).violations == []

    def test_seventy_hours_in_seven_days(self):
        over = SEVENTY_HOURS + [("OFF", 14), ("D", 1), ("OFF", 1)]
        assert only(evaluate("us-texas-intrastate", over), "CYCLE_70_7").over_s == HOUR

    def test_34_hour_restart(self):
        # 37 TAC 4.12 (34 consecutive hours off; confirmed from a secondary source, see rulesets.py).
        for off, expected in ((33, ["CYCLE_70_7"]), (34, [])):
            steps = SIXTY_NINE_HOURS + [("OFF", off), ("D", 2), ("OFF", 1)]
            assert rules_of(evaluate("us-texas-intrastate", steps, start="2024-04-02T00:00")) == expected


class TestCaliforniaIntrastate:
    """13 CCR 1212.5(a)(2), (a)(4), (a)(5); 13 CCR 1212(b)(1)."""

    def test_twelve_hours_of_driving_and_sixteenth_hour(self):
        assert evaluate("us-california-intrastate", [("ON", 1), ("D", 12), ("OFF", 1)]).violations == []
        assert only(evaluate("us-california-intrastate", [("D", 13), ("OFF", 1)]), "DRIVING_12").over_s == HOUR
        steps = [("ON", 2), ("OFF", 6), ("D", 8.5), ("OFF", 1)]  # 16.5 h after coming on duty
        assert only(evaluate("us-california-intrastate", steps), "WINDOW_16").over_s == HOUR // 2

    def test_ten_hours_off_needed_to_reset(self):
        steps = [("D", 8), ("OFF", 9), ("D", 8), ("OFF", 1)]
        assert "DRIVING_12" in rules_of(evaluate("us-california-intrastate", steps))

    def test_eighty_hours_in_eight_days(self):
        steps = SEVENTY_HOURS + [("OFF", 14), ("ON", 1), ("D", 10), ("OFF", 1)]  # 81 hours in 7 days
        result = evaluate("us-california-intrastate", steps)
        assert rules_of(result) == ["CYCLE_80_8"] and result.violations[0].over_s == HOUR
        assert result.available.cycle_s == 0

    def test_adverse_driving_extends_driving_not_the_sixteenth_hour(self):
        # 1212(b)(1)(A)-(B): 14 hours driving in the aggregate, still no driving after the 16th hour.
        assert (
            evaluate("us-california-intrastate", [("D", 14), ("OFF", 1)], exceptions=["adverse_driving"]).violations
            == []
        )
        steps = [("ON", 3), ("D", 14), ("OFF", 1)]
        assert rules_of(evaluate("us-california-intrastate", steps, exceptions=["adverse_driving"])) == ["WINDOW_16"]


CANADA_ZONE = "America/Toronto"


def canada(steps, start="2024-04-02T06:00", **kwargs):
    return evaluate("canada-south", steps, start=start, zone=CANADA_ZONE, **kwargs)


class TestCanadaSouth:
    """SOR/2005-313, south of latitude 60."""

    def test_shift_driving_on_duty_and_sixteen_hours_elapsed(self):
        # s. 13: 13 hours driving, 14 hours on duty, 16 hours elapsed after 8 consecutive hours off.
        assert canada([("ON", 1), ("D", 13), ("OFF", 1)]).violations == []
        result = canada([("ON", 1), ("D", 14), ("OFF", 1)])
        assert only(result, "DRIVING_13").over_s == only(result, "ON_DUTY_14").over_s == HOUR
        steps = [("ON", 2), ("OFF", 5), ("D", 10), ("OFF", 1)]
        assert rules_of(canada(steps)) == ["WINDOW_16"]
        assert only(canada(steps), "WINDOW_16").over_s == HOUR

    def test_day_limits_count_from_local_midnight(self):
        # s. 12: 13 hours driving and 14 on duty per day; a shift across midnight splits into two days.
        steps = [("D", 7), ("OFF", 8), ("D", 7), ("OFF", 1)]  # 16:00-23:00 and 07:00-14:00 next day
        assert canada(steps, start="2024-04-02T16:00").violations == []
        steps = [("D", 8), ("OFF", 8), ("D", 6), ("OFF", 1)]  # 08:00-16:00 then 00:00-06:00
        assert canada(steps, start="2024-04-02T08:00").violations == []
        steps = [("D", 8), ("OFF", 7), ("ON", 1), ("D", 6), ("OFF", 2)]  # 14 h driving, 15 on duty that day
        result = canada(steps, start="2024-04-02T00:00")
        assert only(result, "DAY_DRIVING_13").over_s == only(result, "DAY_ON_DUTY_14").over_s == HOUR
        assert only(result, "DAY_ON_DUTY_14").start == local("2024-04-02T21:00", CANADA_ZONE)

    def test_ten_hours_off_duty_in_each_day(self):
        # s. 14(1): judged only for days the log covers completely.
        steps = [("OFF", 6), ("ON", 15), ("OFF", 3), ("OFF", 1)]  # 6 + 3 = 9 hours off on 2024-04-02
        result = canada(steps, start="2024-04-02T00:00")
        violation = only(result, "DAY_OFF_10")
        assert violation.over_s == HOUR
        assert violation.start == local("2024-04-02T00:00", CANADA_ZONE)

    def test_cycle_1_seventy_hours_in_seven_days_and_36_hour_reset(self):
        # s. 25 (70 h / 7 days), s. 28(a) (36 consecutive hours off reset cycle 1).
        assert only(canada(SEVENTY_HOURS + [("OFF", 14), ("D", 1), ("OFF", 1)]), "CYCLE_1_70_7").over_s == HOUR
        for off, over in ((35, True), (36, False)):
            result = canada(SIXTY_NINE_HOURS + [("OFF", off), ("D", 2), ("OFF", 1)], start="2024-04-02T00:00")
            assert ("CYCLE_1_70_7" in rules_of(result)) is over

    def test_cycle_2_needs_24_hours_off_before_70_hours(self):
        # s. 26(b): under cycle 2, no driving after 70 h on duty without 24 consecutive hours off.
        steps = SEVENTY_HOURS + [("OFF", 14), ("D", 1), ("OFF", 1)]
        result = canada(steps, cycle="cycle-2")
        assert rules_of(result) == ["CYCLE_2_OFF_24"] and result.violations[0].over_s == HOUR
        rested = SEVENTY_HOURS[:8] + [("OFF", 24)] + SEVENTY_HOURS[9:] + [("OFF", 14), ("D", 1), ("OFF", 1)]
        assert canada(rested, cycle="cycle-2").violations == []
        short = SEVENTY_HOURS[:8] + [("OFF", 23)] + SEVENTY_HOURS[9:] + [("OFF", 14), ("D", 1), ("OFF", 1)]
        assert rules_of(canada(short, cycle="cycle-2")) == ["CYCLE_2_OFF_24"]

    def test_cycle_2_one_hundred_twenty_hours_in_fourteen_days(self):
        # s. 26(a); a 24-hour break after every 60 hours keeps s. 26(b) satisfied.
        block = [("ON", 1), ("D", 11), ("OFF", 12)] * 5 + [("OFF", 24)]
        result = canada(block * 2 + [("D", 1), ("OFF", 1)], cycle="cycle-2")
        assert only(result, "CYCLE_2_120_14").over_s == HOUR
