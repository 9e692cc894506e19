"""ELD-shaped events: personal conveyance and yard moves, positions, annotated edits (49 CFR 395.30)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import HosInputError, evaluate_log
from tests.unit.domain.hos.hos_log_builder import HOUR, local, only, rules_of, steps_log

ZONE = "America/Chicago"


def log(steps, start="2024-04-02T06:00"):
    events, end = steps_log(start, steps, ZONE)
    return [{"status": "OFF", "at": (local(start) - timedelta(hours=10)).isoformat()}] + events, end


def evaluate(events, end, **kwargs):
    return evaluate_log(events, time_zone=ZONE, as_of=end, **kwargs)


class TestPersonalConveyanceAndYardMoves:
    def test_personal_conveyance_is_off_duty_not_driving(self):
        # FMCSA personal conveyance guidance (83 FR 26377, 2018): PC movement is off-duty time, so a
        # 10-hour rest that includes PC still starts a new duty period.
        events, end = log([("D", 8), ("ON", 0.5), ("D", 3), ("PC", 1), ("OFF", 9), ("D", 2)])
        result = evaluate(events, end)
        assert result.violations == []
        assert result.available.drive_s == 9 * HOUR

    def test_yard_move_is_on_duty_not_driving(self):
        # Yard moves are on duty not driving: they count toward the 14-hour window, not the 11 hours,
        # and interrupt driving for the 30-minute break (395.3(a)(3)(ii)).
        events, end = log([("D", 8), ("YM", 0.5), ("D", 3)])
        assert evaluate(events, end).violations == []
        events, end = log([("YM", 4), ("D", 8), ("ON", 0.5), ("D", 2.5)])
        assert rules_of(evaluate(events, end)) == ["WINDOW_14"]

    def test_lowercase_and_plain_statuses_mix(self):
        events, end = log([("ON", 1), ("pc", 1), ("D", 1)])
        assert evaluate(events, end).available.drive_s == 10 * HOUR


class TestPositions:
    def test_lat_lon_are_accepted_on_events(self):
        events, end = log([("ON", 1), ("D", 2)])
        events[1].update(lat=41.88, lon=-87.63)
        assert evaluate(events, end).violations == []

    @pytest.mark.parametrize(
        "extra, message",
        [
            ({"lat": 41.0}, "together"),
            ({"lat": 91.0, "lon": 0.0}, "lat"),
            ({"lat": 0.0, "lon": "x"}, "lon"),
        ],
    )
    def test_bad_positions_are_input_errors(self, extra, message):
        events, end = log([("ON", 1), ("D", 2)])
        events[2].update(extra)
        with pytest.raises(HosInputError, match=message):
            evaluate(events, end)


class TestEdits:
    def test_edit_replaces_the_recorded_event_and_is_reported(self):
        # The driver logged 12 h of driving; the carrier edits the last hour to on duty (a yard wait).
        events, end = log([("ON", 1), ("D", 7), ("ON", 0.5), ("D", 5), ("OFF", 1)])
        assert rules_of(evaluate(events, end)) == ["DRIVING_11"]
        events.append(
            {
                "status": "ON",
                "at": local("2024-04-02T18:30").isoformat(),
                "origin": "edit",
                "annotation": "waited at the yard gate",
            }
        )
        result = evaluate(events, end)
        assert result.violations == []
        assert result.edits == [
            {"at": "2024-04-02T23:30:00Z", "status": "ON", "annotation": "waited at the yard gate", "replaced": []}
        ]
        assert result.to_dict()["edits"] == result.edits

    def test_edit_at_the_instant_of_a_recorded_event_replaces_it(self):
        events, end = log([("ON", 1), ("D", 5), ("OFF", 1), ("D", 2)])
        edit = {"status": "ON", "at": events[3]["at"], "origin": "edit", "annotation": "unloading, not rest"}
        result = evaluate(events + [edit], end)
        assert result.edits[0]["replaced"] == ["OFF"]
        as_recorded_on = [*events[:3], {"status": "ON", "at": events[3]["at"]}, *events[4:]]
        expected = evaluate(as_recorded_on, end)
        assert (result.violations, result.available) == (expected.violations, expected.available)
        assert evaluate(events, end).available != expected.available  # the edit did change the answer

    def test_edit_without_annotation_is_an_input_error(self):
        events, end = log([("ON", 1), ("D", 2)])
        events.append({"status": "OFF", "at": events[2]["at"], "origin": "edit"})
        with pytest.raises(HosInputError, match="annotation"):
            evaluate(events, end)

    def test_edit_may_not_shorten_automatically_recorded_driving(self):
        # ELD spec (49 CFR 395 subpart B, Appendix A) 4.3.2.8.2.
        events, end = log([("ON", 1), ("D", 2)])
        events[2]["origin"] = "auto"
        events.append({"status": "ON", "at": events[2]["at"], "origin": "edit", "annotation": "was not driving"})
        with pytest.raises(HosInputError, match="automatically recorded driving"):
            evaluate(events, end)

    def test_conflicting_edits_at_one_instant(self):
        events, end = log([("ON", 1), ("D", 2)])
        at = events[2]["at"]
        events += [
            {"status": "ON", "at": at, "origin": "edit", "annotation": "first view"},
            {"status": "OFF", "at": at, "origin": "edit", "annotation": "second view"},
        ]
        with pytest.raises(HosInputError, match="disagree"):
            evaluate(events, end)

    def test_unknown_origin(self):
        events, end = log([("ON", 1)])
        events[1]["origin"] = "guess"
        with pytest.raises(HosInputError, match="origin"):
            evaluate(events, end)

    def test_plain_logs_have_no_edits_key(self):
        events, end = log([("ON", 1), ("D", 2)])
        assert set(evaluate(events, end).to_dict()) == {"violations", "available"}
        assert only(evaluate(*log([("D", 8), ("ON", 0.5), ("D", 4)])), "DRIVING_11").over_s == HOUR
