"""Every scenario marked `in_make_test` runs through the deployed wiring at its test size and meets
its declared outcomes (and nothing undeclared fires). fleet-234k and soak are for `make load`/`make
soak`, not for a test run. The scenarios share one deployed stack; each run starts from freshly
seeded data (harness.reset), so their order does not matter."""

from __future__ import annotations

import boto3
import pytest

from harness import seed
from scenario_runner import scenario
from scenario_runner.run import RunOptions, prepare, run_scenario
from tests.unit.domain.eld.eld_spec import check_file

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
    if name == "dot-daily-report":
        assert eld_files_checked() >= 1


def eld_files_checked() -> int:
    """Every ELD output file the DOT report left in the reports bucket passes the specification's line,
    event and file check values (recomputed by tests/unit/domain/eld/eld_spec.py, not the handler's code)."""
    s3 = boto3.client("s3")
    checked = 0
    for bucket in [b["Name"] for b in s3.list_buckets()["Buckets"] if "report" in b["Name"]]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="eld/"):
            for item in page.get("Contents", []):
                text = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode("ascii")
                # A driver with no vehicle that day (the DOT sharding test seeds such drivers) has an
                # empty CMV list: its events carry CMV order number 0 and no power unit number.
                units = {row.split(",")[1] for row in _section(text, "CMV List:")} or {""}
                assert check_file(text, item["Key"].rsplit("/", 1)[1].removesuffix(".csv"), units) > 0, item["Key"]
                checked += 1
    return checked


def _section(text: str, title: str) -> list[str]:
    lines = text.split("\r\n")
    start = lines.index(title) + 1
    end = next(i for i in range(start, len(lines)) if lines[i].endswith(":"))
    return lines[start:end]


def test_a_refused_call_fails_the_run_and_its_summary_names_role_action_and_resource(seeded_stack, tmp_path):
    """A Deny put on a function's role in the running emulator (as a user would, `aws iam
    put-role-policy`) fails the scenario, and the run's summary names the role, action and resource."""
    import json

    iam = seeded_stack.client("iam")
    role = seeded_stack.client("lambda").get_function(FunctionName="fleettap-dev-anomaly")["Configuration"]["Role"]
    role_name = role.rsplit("/", 1)[1]
    topic = seeded_stack.topic_arn("vehicle-alerts")
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sns:Publish", "Resource": topic}]}
    iam.put_role_policy(RoleName=role_name, PolicyName="user-deny", PolicyDocument=json.dumps(deny))
    try:
        options = RunOptions(test_size=True, manage_stack=False, report_dir=tmp_path, show_progress=False)
        result = run_scenario(prepare("engine-overheat", options), options)
    finally:
        iam.delete_role_policy(RoleName=role_name, PolicyName="user-deny")
    refused = next(o for o in result.outcomes if o.name == "no AWS call refused (IAM)")
    assert not result.passed and not refused.ok
    assert f"role {role_name} (fleettap-dev-anomaly) may not sns:Publish on {topic}" in refused.detail
    assert refused.detail in result.report_path.read_text().replace("&#x27;", "'")
