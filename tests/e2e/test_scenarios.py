"""Every scenario marked `in_make_test` runs through the deployed wiring at its test size and meets
its declared outcomes (and nothing undeclared fires). fleet-234k and soak are for `make load`/`make
soak`, not for a test run. The scenarios share one deployed stack; each run starts from freshly
seeded data (harness.reset), so their order does not matter."""

from __future__ import annotations

import pytest

from harness import seed
from scenario_runner import scenario
from scenario_runner.run import RunOptions, prepare, run_scenario

IN_MAKE_TEST = [name for name in scenario.available() if scenario.load(name).in_make_test]


def test_only_the_fleet_scale_scenarios_are_left_out():
    assert set(scenario.available()) - set(IN_MAKE_TEST) == {"fleet-234k", "soak"}


@pytest.fixture(scope="module")
def seeded_stack(deployed_stack, monkeypatch_module):
    for key, value in deployed_stack.info.env().items():
        monkeypatch_module.setenv(key, value)
    assert seed.main(["--env", "dev"]) in (0, None)
    return deployed_stack


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.slow
@pytest.mark.parametrize("name", IN_MAKE_TEST)
def test_scenario_meets_its_expected_outcomes(name, seeded_stack, tmp_path):
    options = RunOptions(test_size=True, manage_stack=False, report_dir=tmp_path, show_progress=False)
    result = run_scenario(prepare(name, options), options)
    assert result.passed, [f"{o.name}: {o.detail}" for o in result.outcomes if not o.ok]
