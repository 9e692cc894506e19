"""How the engine reads a log: duplicates, order, gaps, as_of, and refusal of bad input."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from handlers.domain.hos import DutyEvent, DutyStatus, HosInputError, evaluate_log
from tests.unit.domain.hos.hos_log_builder import HOUR, local, only, steps_log

ZONE = "America/Chicago"
STEPS = [("OFF", 10), ("ON", 1), ("D", 6), ("ON", 0.25), ("D", 6), ("OFF", 10), ("D", 9), ("SB", 3)]


def baseline():
    return steps_log("2024-04-02T00:00", STEPS, ZONE)


class TestDuplicatesAndOrder:
    def test_duplicated_and_shuffled_events_give_the_same_result(self):
        events, end = baseline()
        expected = evaluate_log(events, time_zone=ZONE, as_of=end)
        noisy = events * 3
        random.Random(7).shuffle(noisy)
        assert evaluate_log(noisy, time_zone=ZONE, as_of=end) == expected
        assert expected.violations  # the log has something to get wrong

    def test_repeated_status_is_not_a_change(self):
        events, end = baseline()
        repeat = {"status": "D", "at": (local("2024-04-02T13:00")).isoformat()}  # inside the D stint
        assert evaluate_log(events + [repeat], time_zone=ZONE, as_of=end) == evaluate_log(
            events, time_zone=ZONE, as_of=end
        )

    def test_conflicting_statuses_at_one_instant_keep_the_most_on_duty(self):
        at = "2024-04-02T08:00:00-05:00"
        base = [{"status": "OFF", "at": "2024-04-01T20:00:00-05:00"}]
        one_order = base + [{"status": "OFF", "at": at}, {"status": "D", "at": at}]
        other_order = base + [{"status": "D", "at": at}, {"status": "OFF", "at": at}]
        as_of = "2024-04-02T20:00:00-05:00"
        first = evaluate_log(one_order, as_of=as_of)
        assert first == evaluate_log(other_order, as_of=as_of)
        assert only(first, "DRIVING_11").over_s == HOUR


class TestGapsAndAsOf:
    def test_status_lasts_until_the_next_change_or_as_of(self):
        events = [{"status": "D", "at": "2024-04-02T06:00:00Z"}]
        result = evaluate_log(events, as_of="2024-04-02T18:00:00Z")
        assert only(result, "DRIVING_11").over_s == HOUR

    def test_time_before_the_first_event_is_not_assumed_to_be_rest(self):
        # The log opens with 3 h off: the window starts at the first event, not after it.
        events = [
            {"status": "OFF", "at": "2024-04-02T03:00:00Z"},
            {"status": "ON", "at": "2024-04-02T06:00:00Z"},
            {"status": "D", "at": "2024-04-02T07:00:00Z"},
            {"status": "OFF", "at": "2024-04-02T11:00:00Z"},
            {"status": "D", "at": "2024-04-02T16:30:00Z"},
            {"status": "OFF", "at": "2024-04-02T17:30:00Z"},
        ]
        assert only(evaluate_log(events), "WINDOW_14").start == datetime(2024, 4, 2, 17, tzinfo=UTC)

    def test_a_logged_ten_hour_rest_at_the_start_opens_a_fresh_period(self):
        events = [{"status": "OFF", "at": "2024-04-01T20:00:00Z"}, {"status": "ON", "at": "2024-04-02T06:00:00Z"}]
        result = evaluate_log(events, as_of="2024-04-02T07:00:00Z")
        assert result.available.window_s == 13 * HOUR

    def test_events_after_as_of_are_ignored(self):
        events, end = baseline()
        later = [{"status": "D", "at": (end + timedelta(hours=1)).isoformat()}]
        assert evaluate_log(events + later, time_zone=ZONE, as_of=end) == evaluate_log(
            events, time_zone=ZONE, as_of=end
        )

    def test_as_of_defaults_to_the_latest_event(self):
        events, end = baseline()
        assert evaluate_log(events, time_zone=ZONE) == evaluate_log(
            events[:-1] + events[-1:], time_zone=ZONE, as_of=events[-1]["at"]
        )

    def test_no_events_means_nothing_used(self):
        result = evaluate_log([], cycle="60/7")
        assert result.violations == []
        assert result.available.to_dict() == {
            "drive_s": 11 * HOUR,
            "window_s": 14 * HOUR,
            "cycle_s": 60 * HOUR,
            "break_due_in_s": 8 * HOUR,
        }


class TestAcceptedForms:
    def test_duty_events_and_aware_datetimes_and_z_suffix_are_accepted(self):
        start = datetime(2024, 4, 2, 6, tzinfo=UTC)
        as_dicts = [{"status": "d", "at": "2024-04-02T06:00:00Z"}, {"status": "OFF", "at": "2024-04-02T18:00:00Z"}]
        as_objects = [DutyEvent(DutyStatus.D, start), DutyEvent("OFF", start + timedelta(hours=12))]
        assert evaluate_log(as_dicts) == evaluate_log(as_objects)


class TestRefusals:
    @pytest.mark.parametrize(
        "events, message",
        [
            ([{"status": "D", "at": "2024-04-02T06:00:00"}], "UTC offset"),
            ([{"status": "DRIVING", "at": "2024-04-02T06:00:00Z"}], "status"),
            ([{"status": ["D"], "at": "2024-04-02T06:00:00Z"}], "status"),
            ([{"status": "D", "at": "yesterday"}], "ISO-8601"),
            ([{"status": "D"}], "needs 'status' and 'at'"),
            ([["D", "2024-04-02T06:00:00Z"]], "expected an object"),
            ("D", "list"),
            ([{"status": "D", "at": "9999-12-31T23:00:00+00:00"}], r"events\[0\]: timestamp .* outside"),
        ],
    )
    def test_bad_events_name_the_problem(self, events, message):
        with pytest.raises(HosInputError, match=message):
            evaluate_log(events)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"cycle": "80/8"}, "cycle"),
            ({"time_zone": "Mars/Olympus"}, "time_zone"),
            ({"exceptions": "adverse_driving"}, "list"),
            ({"as_of": "2024-04-02T06:00:00"}, "as_of"),
            ({"as_of": "0001-01-01T00:00:00+00:00"}, "outside"),
        ],
    )
    def test_bad_parameters_are_refused(self, kwargs, message):
        with pytest.raises(HosInputError, match=message):
            evaluate_log([], **kwargs)

    def test_input_errors_are_value_errors(self):
        assert issubclass(HosInputError, ValueError)


def test_an_edit_without_a_time_is_an_input_error():
    from handlers.domain.hos import HosInputError, evaluate_log

    with pytest.raises(HosInputError, match="an edit needs 'at'"):
        evaluate_log(
            [
                {"status": "ON", "at": "2024-04-02T06:00:00Z"},
                {"status": "D", "origin": "edit", "annotation": "forgot to log"},
            ],
            time_zone="UTC",
        )
