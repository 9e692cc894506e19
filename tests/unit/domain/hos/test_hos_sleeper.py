"""Sleeper-berth split, 49 CFR 395.1(g)(1)(ii), and the pairing choice of FMCSA's 2020 FAQ."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import HosRules, evaluate_log
from handlers.domain.hos.sleeper import MAX_PAIRINGS, DutySpan, pairings, qualifies
from handlers.domain.hos.timeline import RestRun
from tests.unit.domain.hos.hos_log_builder import HOUR, local, only, steps_log

ZONE = "America/Chicago"
RULES = HosRules()


def evaluate(steps, start="2024-04-02T06:00"):
    events, end = steps_log(start, steps, ZONE)
    before = (local(start) - timedelta(hours=10)).isoformat()
    return evaluate_log([{"status": "OFF", "at": before}] + events, time_zone=ZONE, as_of=end)


def rest(hours: float, sleeper_hours: float = 0.0) -> RestRun:
    return RestRun(0, int(hours * HOUR), int(sleeper_hours * HOUR))


class TestQualifyingPair:
    @pytest.mark.parametrize(
        "first, second",
        [
            (rest(7, 7), rest(3)),
            (rest(8, 8), rest(2)),
            (rest(3), rest(7, 7)),
            (rest(2, 2), rest(8, 8)),
            (rest(7.5, 7.5), rest(2.5, 2.5)),
        ],
    )
    def test_seven_in_the_berth_plus_two_making_ten_qualifies(self, first, second):
        assert qualifies(first, second, RULES)

    @pytest.mark.parametrize(
        "first, second",
        [
            (rest(6, 6), rest(4)),
            (rest(7, 7), rest(2)),
            (rest(7), rest(3)),
            (rest(8, 6.5), rest(2)),
        ],
        ids=["no-7h-berth", "only-9h", "7h-off-not-berth", "berth-part-under-7h"],
    )
    def test_other_splits_do_not_qualify(self, first, second):
        assert not qualifies(first, second, RULES)


class TestRecalculation:
    def test_unpaired_berth_period_counts_in_the_window(self):
        result = evaluate([("D", 5), ("SB", 8), ("D", 4)])
        violation = only(result, "WINDOW_14")
        assert (violation.start, violation.end) == (local("2024-04-02T20:00"), local("2024-04-02T23:00"))

    def test_completing_the_pair_later_removes_that_violation(self):
        result = evaluate([("D", 5), ("SB", 8), ("D", 4), ("OFF", 2)])
        assert result.violations == []
        assert result.available.drive_s == 7 * HOUR

    def test_pairs_chain_and_each_recalculates_from_its_first_rest(self):
        result = evaluate([("D", 5), ("SB", 8), ("D", 6), ("OFF", 2), ("D", 5), ("SB", 8)])
        assert result.violations == []
        # Calculation point is the end of the 2-hour break: 5 h driven, 5 h of window used.
        assert (result.available.drive_s, result.available.window_s) == (6 * HOUR, 9 * HOUR)

    def test_driving_before_and_after_a_rest_together_is_limited_to_eleven(self):
        # 6 h before the berth and 6 h after it: the 11-hour limit spans the pair.
        result = evaluate([("D", 6), ("SB", 8), ("D", 6), ("OFF", 2)])
        assert only(result, "DRIVING_11").over_s == HOUR

    def test_ten_hour_berth_rest_completes_a_pair_and_excludes_the_earlier_break(self):
        # FMCSA 2020 FAQ: 7+ berth hours inside a 10-hour rest also give back the earlier 3-hour break.
        steps = [("ON", 1), ("D", 4), ("OFF", 3), ("D", 6), ("ON", 0.5), ("D", 1)]
        with_berth = evaluate(steps + [("SB", 10)])
        only_off = evaluate(steps + [("OFF", 10)])
        assert with_berth.violations == []
        assert only(only_off, "WINDOW_14").start == local("2024-04-02T20:30")

    def test_short_rests_under_two_hours_never_pair(self):
        result = evaluate([("D", 5), ("SB", 8.5), ("D", 5), ("OFF", 1.5), ("D", 1.5)])
        assert only(result, "DRIVING_11").over_s == HOUR // 2


class TestPairingSearchIsBounded:
    def test_many_candidates_fall_back_to_chained_pairs(self):
        candidates = [RestRun(i * 20 * HOUR, i * 20 * HOUR + 8 * HOUR, 8 * HOUR) for i in range(24)]
        span = DutySpan(0, 500 * HOUR, candidates, None, True)
        options = pairings(span, RULES)
        assert 1 < len(options) <= MAX_PAIRINGS
        assert max(len(option.pairs) for option in options) == 23

    def test_a_log_of_many_short_rests_still_evaluates(self):
        steps = [("D", 1), ("SB", 7), ("D", 1), ("OFF", 3)] * 12
        result = evaluate(steps)
        assert result.available.drive_s >= 0
