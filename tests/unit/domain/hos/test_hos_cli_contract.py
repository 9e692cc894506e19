"""The command's additions of issue 21: ``ruleset``, PC/YM, positions, exception objects and edits."""

from __future__ import annotations

import io
import json

import pytest

from handlers.domain.hos.__main__ import main


def run(document: dict) -> tuple[int, dict | None, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(io.StringIO(json.dumps(document)), stdout, stderr)
    return code, json.loads(stdout.getvalue()) if code == 0 else None, stderr.getvalue()


EVENTS = [
    {"status": "OFF", "at": "2024-04-01T20:00:00-05:00", "lat": 41.8781, "lon": -87.6298},
    {"status": "YM", "at": "2024-04-02T06:00:00-05:00", "lat": 41.8781, "lon": -87.6298},
    {"status": "D", "at": "2024-04-02T07:00:00-05:00", "lat": 41.8781, "lon": -87.6298},
    {"status": "OFF", "at": "2024-04-02T18:00:00-05:00", "lat": 41.8781, "lon": -87.6298, "origin": "driver"},
    {"status": "ON", "at": "2024-04-02T17:00:00-05:00", "origin": "edit", "annotation": "fuel and paperwork"},
    {"status": "PC", "at": "2024-04-02T19:00:00-05:00", "lat": 41.9, "lon": -87.7},
]


def test_passenger_log_with_every_addition():
    code, output, stderr = run(
        {
            "ruleset": "us-passenger",
            "cycle": "60/7",
            "time_zone": "America/Chicago",
            "events": EVENTS,
            "exceptions": [{"type": "short_haul_150", "work_reporting_location": {"lat": 41.8781, "lon": -87.6298}}],
            "as_of": "2024-04-02T20:00:00-05:00",
        }
    )
    assert code == 0, stderr
    # 49 CFR 395.5(a)(1): 10 hours of driving (07:00-17:00 after the edit), none over.
    assert output["violations"] == []
    assert output["edits"] == [
        {"at": "2024-04-02T22:00:00Z", "status": "ON", "annotation": "fuel and paperwork", "replaced": []}
    ]
    assert output["exceptions_lost"] == []
    assert output["available"]["cycle_s"] == (60 - 12) * 3600
    assert output["available"]["break_due_in_s"] is None


def test_canada_cycle_two_names_its_rules():
    code, output, stderr = run(
        {
            "ruleset": "canada-south",
            "cycle": "cycle-2",
            "time_zone": "America/Toronto",
            "events": [
                {"status": "ON", "at": "2024-04-02T06:00:00-04:00"},
                {"status": "D", "at": "2024-04-02T07:00:00-04:00"},
                {"status": "OFF", "at": "2024-04-02T21:00:00-04:00"},
            ],
        }
    )
    assert code == 0, stderr
    assert sorted(v["rule"] for v in output["violations"]) == [
        "DAY_DRIVING_13",
        "DAY_ON_DUTY_14",
        "DRIVING_13",
        "ON_DUTY_14",
    ]


@pytest.mark.parametrize(
    "document, message",
    [
        ({"ruleset": "us-texas-intrastate", "cycle": "70/8", "events": []}, "cycle"),
        ({"ruleset": "mexico", "events": []}, "ruleset"),
        ({"events": [{"status": "D", "at": "2024-04-02T07:00:00Z", "origin": "edit"}]}, "annotation"),
        ({"ruleset": "canada-south", "exceptions": ["short_haul_150"], "events": []}, "unknown exceptions"),
    ],
)
def test_wrong_combinations_are_input_errors(document, message):
    code, _, stderr = run(document)
    assert code == 2 and message in stderr
