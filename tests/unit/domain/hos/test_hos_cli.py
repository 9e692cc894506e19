"""``python -m handlers.domain.hos`` as compliance staff run it: JSON in on stdin, JSON out."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain.hos.__main__ import main

REPO = Path(__file__).resolve().parents[4]


def run_cli(stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "handlers.domain.hos"], input=stdin, capture_output=True, text=True, cwd=REPO, timeout=60
    )


def test_prints_violations_and_availability():
    log = {
        "cycle": "70/8",
        "time_zone": "America/Chicago",
        "exceptions": [],
        "events": [
            {"status": "OFF", "at": "2024-04-01T20:00:00-05:00"},
            {"status": "ON", "at": "2024-04-02T06:00:00-05:00"},
            {"status": "D", "at": "2024-04-02T07:00:00-05:00"},
            {"status": "ON", "at": "2024-04-02T14:00:00-05:00"},
            {"status": "D", "at": "2024-04-02T14:30:00-05:00"},
            {"status": "OFF", "at": "2024-04-02T19:00:00-05:00"},
        ],
        "as_of": "2024-04-02T20:00:00-05:00",
    }
    completed = run_cli(json.dumps(log))
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["violations"] == [
        {
            "rule": "DRIVING_11",
            "start": "2024-04-02T23:30:00Z",
            "end": "2024-04-03T00:00:00Z",
            "severity": "normal",
            "over_s": 1800,
        }
    ]
    assert output["available"] == {"drive_s": 0, "window_s": 0, "cycle_s": (70 - 13) * 3600, "break_due_in_s": 8 * 3600}


@pytest.mark.parametrize(
    "stdin, message",
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"cycle": "70/8"}', "'events'"),
        ('{"events": [{"status": "D", "at": "2024-04-02T06:00:00"}]}', "UTC offset"),
        ('{"events": [], "cycle": "99/9"}', "cycle"),
        ('{"events": [], "timezone": "UTC"}', "unknown fields"),
    ],
)
def test_bad_input_exits_2_with_a_clear_error(stdin, message):
    completed = run_cli(stdin)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.startswith("error: ")
    assert message in completed.stderr


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["D", "OFF", "70/8", "UTC", "2024-04-02T06:00:00Z", "sixteen_hour"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.fixed_dictionaries(
            {"status": inner, "at": st.sampled_from(["2024-04-02T06:00:00Z", "2024-04-02T07:00:00+01:00"])}
        )
        | st.dictionaries(
            st.sampled_from(["events", "status", "at", "cycle", "time_zone", "exceptions", "as_of"]), inner, max_size=6
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_input_gives_output_or_exit_2_never_a_traceback(document):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(io.StringIO(json.dumps(document)), stdout, stderr)
    assert code in (0, 2)
    if code == 0:
        assert set(json.loads(stdout.getvalue())) == {"violations", "available"}
    else:
        assert stderr.getvalue().startswith("error: ")
