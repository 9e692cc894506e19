"""Validation of the HOS record fields of issue 21: PC/YM, `ruleset` with its cycles, exception
objects per duty period, `origin: edit` with its annotation (docs/telemetry.md)."""

import pytest

from handlers.domain.validation import validate
from tests.unit.domain.domain_records import NOW_MS, build_record


def reasons(**overrides):
    return [(r.code, r.field, r.detail) for r in validate(build_record("hos", **overrides), now_ms=NOW_MS).reasons]


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": "PC"},
        {"status": "YM"},
        {"ruleset": "us-passenger", "cycle": "60/7"},
        {"ruleset": "us-texas-intrastate", "cycle": "70/7"},
        {"ruleset": "us-california-intrastate", "cycle": "80/8"},
        {"ruleset": "canada-south", "cycle": "cycle-2", "exceptions": ["adverse_driving"]},
        {"exceptions": [{"type": "adverse_driving", "at": "2026-11-25T15:00:00Z", "note": "snow on I-80"}]},
        {"exceptions": [{"type": "short_haul_150", "work_reporting_location": {"lat": 41.9, "lon": -87.6}}]},
        {"origin": "auto"},
        {"origin": "edit", "annotation": "forgot to go off duty"},
    ],
)
def test_new_fields_are_accepted(overrides):
    assert reasons(**{"exceptions": [], **overrides}) == []


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"ruleset": "eu-561"}, ("HOS_RULESET_INVALID", "ruleset", "'eu-561'")),
        ({"ruleset": ["canada-south"]}, ("HOS_RULESET_INVALID", "ruleset", "['canada-south']")),
        (
            {"ruleset": "us-texas-intrastate", "cycle": "70/8"},
            ("HOS_CYCLE_INVALID", "cycle", "'70/8' not in ['70/7'] for us-texas-intrastate"),
        ),
        (
            {"ruleset": "canada-south", "cycle": "cycle-3"},
            ("HOS_CYCLE_INVALID", "cycle", "'cycle-3' not in ['cycle-1', 'cycle-2'] for canada-south"),
        ),
        ({"cycle": "cycle-1"}, ("HOS_CYCLE_INVALID", "cycle", "'cycle-1' not in ['70/8', '60/7'] for us-property")),
        (
            {"ruleset": "canada-south", "cycle": "cycle-1", "exceptions": ["sixteen_hour"]},
            ("HOS_EXCEPTION_INVALID", "exceptions[0]", "'sixteen_hour' does not apply to canada-south"),
        ),
        (
            {"exceptions": [{"type": "adverse_driving"}]},
            ("HOS_EXCEPTION_INVALID", "exceptions[0]", "at: expected an ISO-8601 string, got NoneType"),
        ),
        (
            {"exceptions": [{"type": "short_haul_150", "work_reporting_location": {"lat": 95, "lon": 0}}]},
            ("HOS_EXCEPTION_INVALID", "exceptions[0]", "work_reporting_location.lat must be decimal degrees; got 95"),
        ),
        (
            {"exceptions": ["adverse_driving", {"type": "personal_conveyance"}]},
            (
                "HOS_EXCEPTION_INVALID",
                "exceptions[1]",
                "type must be one of ['adverse_driving', 'short_haul_150'] for us-property; got 'personal_conveyance'",
            ),
        ),
        ({"origin": "dispatcher"}, ("HOS_ORIGIN_INVALID", "origin", "'dispatcher'")),
        ({"origin": "edit"}, ("HOS_ANNOTATION_INVALID", "annotation", "an edit needs an annotation")),
        ({"origin": "edit", "annotation": "ok"}, ("HOS_ANNOTATION_INVALID", "annotation", "4-60 characters; got 'ok'")),
        (
            {"annotation": "a note without an edit"},
            ("HOS_ANNOTATION_INVALID", "annotation", "only an edit carries an annotation"),
        ),
    ],
)
def test_bad_values_have_exact_reasons(overrides, expected):
    assert expected in reasons(**overrides)
