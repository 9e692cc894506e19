"""Exit status of the scenario runner for CI (docs/contracts.md, "Exit codes"): 0 passed, 1 an
expected outcome missed, 2 usage or configuration error, 3 the stack or Terraform failed; `--json`
puts one object on stdout. A mistyped scenario or a bad field is refused before anything starts."""

from __future__ import annotations

import json

import pytest

from scenario_runner import run
from scenario_runner.outcomes import Observed, Outcome
from scenario_runner.scenario import ScenarioError, load


@pytest.fixture
def nothing_may_start(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the stack was brought up before the scenario was checked")

    monkeypatch.setattr(run, "ensure_local_stack", refuse)
    monkeypatch.setattr(run, "use_local_stack", refuse)


def test_a_mistyped_scenario_is_refused_with_the_names(nothing_may_start, capsys):
    code = run.main(["--scenario", "hos-violaton", "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "no scenario 'hos-violaton'" in err and "hos-violation" in err and "geofence-breach" in err
    assert json.loads(out) == {
        "scenario": "hos-violaton",
        "passed": False,
        "exit_code": 2,
        "error": err.strip().split("scenario_runner: ", 1)[1],
    }
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "text, field",
    [
        ("fleet: {vehicles: six}\n", "fleet: vehicles must be int"),
        ("fleet: {vehicls: 6}\n", "fleet: unknown fleet settings: vehicls"),
        ("fleet: {vehicles: 2}\ninject:\n  - {type: overheat, vehicles: [0]}\n", "inject[0]: unknown injection type"),
        (
            "fleet: {vehicles: 2}\ninject:\n  - {type: hos_pattern, vehicles: [5], pattern: DRIVING_11}\n",
            "inject[0].vehicles",
        ),
        ("drain_timeout: soon\n", "drain_timeout:"),
        ("seed: seven\n", "seed:"),
        ("real_time_factor: fast\n", "real_time_factor:"),
        ("expect: [1, 2]\n", "expect:"),
        ("fleet: {start: yesterday}\n", "fleet:"),
        ("fleet: [1\n", "not valid YAML"),
        ("flet: {}\n", "unknown keys ['flet']"),
    ],
)
def test_scenario_file_errors_name_the_field(tmp_path, nothing_may_start, capsys, text, field):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=field.replace("[", r"\[").replace("]", r"\]")):
        load(str(path))
    assert run.main(["--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert "broken.yaml" in err and "Traceback" not in err


def test_every_shipped_scenario_still_loads():
    from scenario_runner.scenario import available

    for name in available():
        load(name)


def test_no_stack_to_run_against_is_a_stack_failure(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLEETTAP_STATE_DIR", str(tmp_path))  # nothing brought up there
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    code = run.main(["--scenario", "hos-violation", "--test", "--no-stack", "--json"])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert json.loads(out)["exit_code"] == 3 and "make up" in err


@pytest.mark.parametrize("ok, code", [(True, 0), (False, 1)])
def test_outcomes_decide_between_0_and_1_and_json_reports_them(monkeypatch, capsys, ok, code):
    def fake_run(loaded, options):  # the mapping from a finished run to the exit status is under test
        return run.RunResult(
            loaded,
            loaded.fleet.start,
            "stamp",
            {"records": 3},
            Observed(),
            [Outcome("hos-violations", ok, "4 of 4")],
            send_s=1.0,
            drain_s=2.0,
            first_sent_at=1_000.5,
        )

    monkeypatch.setattr(run, "run_scenario", fake_run)
    assert run.main(["--scenario", "hos-violation", "--json"]) == code
    printed = json.loads(capsys.readouterr().out)
    assert printed["exit_code"] == code and printed["passed"] is ok
    assert printed["outcomes"] == [{"name": "hos-violations", "ok": ok, "detail": "4 of 4"}]
    assert printed["first_record_sent_at"] == 1_000.5


def test_usage_errors_are_2(capsys):
    with pytest.raises(SystemExit) as exited:
        run.main(["--scenario"])
    assert exited.value.code == 2
