"""Exception objects for one duty period: adverse driving (49 CFR 395.1(b)(1)) and the 150 air-mile
short haul checked from event positions (395.1(e)(1); an air mile is a nautical mile, 395.2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import HosInputError, evaluate_log
from handlers.domain.hos.period_exceptions import air_miles
from tests.unit.domain.hos.hos_log_builder import local, only, rules_of, steps_log

ZONE = "America/Chicago"
HOME = {"lat": 41.8781, "lon": -87.6298}  # Chicago
NEAR = (42.0, -88.0)  # about 18 air-miles away
FAR = (39.7684, -86.1581)  # Indianapolis, about 141 air-miles: inside
BEYOND = (38.627, -90.1994)  # St. Louis, about 225 air-miles: outside
SHORT_HAUL = {"type": "short_haul_150", "work_reporting_location": HOME}


def two_days(first, second, positions_first=None, positions_second=None):
    """Two duty periods separated by 10 hours off; positions are (lat, lon) per step, None for none."""
    events, end = steps_log("2024-04-02T06:00", first, ZONE)
    events2, end2 = steps_log(end.replace(tzinfo=None).isoformat(timespec="minutes"), second, ZONE)
    for batch, positions in ((events, positions_first), (events2, positions_second)):
        for event, where in zip(batch, positions or []):
            if where is not None:
                event.update(lat=where[0], lon=where[1])
    before = {"status": "OFF", "at": (local("2024-04-02T06:00") - timedelta(hours=10)).isoformat()}
    return [before] + events + events2, end2


# Nine hours of driving without a break, back home after 10 hours on duty, then 10 hours off.
DAY = [("ON", 0.5), ("D", 4.5), ("D", 4.5), ("ON", 0.5), ("OFF", 10)]
HOME_ALL_DAY = [(HOME["lat"], HOME["lon"]), NEAR, FAR, NEAR, (HOME["lat"], HOME["lon"])]


class TestDistances:
    def test_air_miles_are_nautical_miles(self):
        # One degree of latitude is 60 nautical miles.
        assert air_miles(40.0, -90.0, 41.0, -90.0) == pytest.approx(60.0, rel=0.002)
        assert air_miles(HOME["lat"], HOME["lon"], *BEYOND) > 150 > air_miles(HOME["lat"], HOME["lon"], *FAR)


class TestShortHaulObject:
    def test_held_in_every_period_means_no_break_rule(self):
        events, end = two_days(DAY, DAY, HOME_ALL_DAY, HOME_ALL_DAY)
        assert "BREAK_30" in rules_of(evaluate_log(events, time_zone=ZONE, as_of=end))
        result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[SHORT_HAUL])
        assert result.violations == [] and result.exceptions_lost == []
        assert result.available.break_due_in_s is None
        assert result.to_dict()["exceptions_lost"] == []

    def test_beyond_150_air_miles_loses_it_for_that_period_only(self):
        away = [HOME_ALL_DAY[0], NEAR, BEYOND, NEAR, HOME_ALL_DAY[4]]
        events, end = two_days(DAY, DAY, away, HOME_ALL_DAY)
        result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[SHORT_HAUL])
        assert [v.rule for v in result.violations] == ["BREAK_30"]
        assert result.violations[0].start == local("2024-04-02T14:30")  # the first period's
        assert result.exceptions_lost == [
            {
                "type": "short_haul_150",
                "duty_period_start": "2024-04-02T11:00:00Z",
                "reason": result.exceptions_lost[0]["reason"],
            }
        ]
        assert "beyond 150 air-miles" in result.exceptions_lost[0]["reason"]

    def test_released_after_14_hours_loses_it(self):
        long_day = [("ON", 0.5), ("D", 4.5), ("D", 4.5), ("ON", 5), ("OFF", 10)]
        events, end = two_days(long_day, DAY, HOME_ALL_DAY, HOME_ALL_DAY)
        result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[SHORT_HAUL])
        assert len(result.exceptions_lost) == 1 and "14" in result.exceptions_lost[0]["reason"]
        assert rules_of(result) == ["BREAK_30"]

    def test_release_away_from_the_work_reporting_location_loses_it(self):
        not_back = HOME_ALL_DAY[:4] + [NEAR]
        events, end = two_days(DAY, DAY, HOME_ALL_DAY, not_back)
        result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[SHORT_HAUL])
        assert result.exceptions_lost[0]["duty_period_start"] == "2024-04-03T07:00:00Z"
        assert "released" in result.exceptions_lost[0]["reason"]

    def test_no_positions_cannot_show_eligibility(self):
        events, end = two_days(DAY, DAY)
        result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[SHORT_HAUL])
        assert len(result.exceptions_lost) == 2

    def test_the_name_keeps_its_meaning_unchecked(self):
        events, end = two_days(DAY, DAY)
        assert evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=["short_haul_150"]).violations == []

    @pytest.mark.parametrize(
        "entry",
        [
            {"type": "short_haul_150"},
            {"type": "short_haul_150", "work_reporting_location": {"lat": 95, "lon": 0}},
            {"type": "sixteen_hour"},
            {"type": "adverse_driving"},
            {"type": "adverse_driving", "at": "soon"},
        ],
    )
    def test_malformed_objects_are_input_errors(self, entry):
        with pytest.raises(HosInputError, match=r"exceptions\[0\]"):
            evaluate_log([], exceptions=[entry])


class TestAdverseDrivingObject:
    LONG = [("ON", 1), ("D", 7), ("ON", 0.5), ("D", 5.5), ("ON", 1), ("OFF", 10)]  # 12.5 h driving

    def test_applies_to_the_period_containing_at_only(self):
        events, end = two_days(self.LONG, self.LONG)
        assert rules_of(evaluate_log(events, time_zone=ZONE, as_of=end)) == ["DRIVING_11", "DRIVING_11"]
        claim = {"type": "adverse_driving", "at": local("2024-04-02T15:00").isoformat(), "note": "ice storm on I-80"}
        result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[claim])
        assert rules_of(result) == ["DRIVING_11"]
        assert only(result, "DRIVING_11").start > local("2024-04-03T00:00")
        assert result.exceptions_lost == []

    def test_at_outside_every_duty_period_is_an_input_error(self):
        events, end = two_days(self.LONG, self.LONG)
        claim = {"type": "adverse_driving", "at": local("2024-04-03T00:30").isoformat()}  # during the 10 h rest
        with pytest.raises(HosInputError, match="not inside a duty period"):
            evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=[claim])

    def test_other_rule_sets_use_it_too(self):
        steps = [("ON", 4), ("D", 12), ("OFF", 9)]
        events, end = steps_log("2024-04-02T06:00", steps, ZONE)
        events.insert(0, {"status": "OFF", "at": local("2024-04-01T20:00").isoformat()})
        claim = {"type": "adverse_driving", "at": local("2024-04-02T12:00").isoformat()}
        assert (
            evaluate_log(events, time_zone=ZONE, as_of=end, ruleset="us-passenger", exceptions=[claim]).violations == []
        )


def test_the_checked_object_wins_over_the_name():
    away = [HOME_ALL_DAY[0], NEAR, BEYOND, NEAR, HOME_ALL_DAY[4]]
    events, end = two_days(DAY, DAY, away, HOME_ALL_DAY)
    result = evaluate_log(events, time_zone=ZONE, as_of=end, exceptions=["short_haul_150", SHORT_HAUL])
    assert rules_of(result) == ["BREAK_30"] and len(result.exceptions_lost) == 1
