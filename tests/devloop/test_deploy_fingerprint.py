"""harness.deploy_fingerprint: a local apply is skipped only when nothing it takes in changed and the
emulator still holds what was applied; a handler-only change is a hot reload, anything else an apply."""

from __future__ import annotations

import json

import pytest

from harness import deploy_fingerprint as fp

STATE = {
    "lineage": "L1",
    "serial": 7,
    "resources": [
        {
            "mode": "managed",
            "type": "aws_lambda_function",
            "instances": [{"attributes": {"function_name": "fleettap-dev-hos", "filename": "/a/functions.zip"}}],
        },
        {"mode": "managed", "type": "aws_kinesis_stream", "instances": [{"attributes": {"name": "fleettap-dev-hos"}}]},
        {"mode": "managed", "type": "aws_dynamodb_table", "instances": [{"attributes": {"name": "fleettap-dev-logs"}}]},
        {"mode": "managed", "type": "aws_sqs_queue", "instances": [{"attributes": {"name": "fleettap-dev-q"}}]},
        {"mode": "managed", "type": "aws_sns_topic", "instances": [{"attributes": {"arn": "arn:aws:sns:t"}}]},
        {
            "mode": "managed",
            "type": "aws_sfn_state_machine",
            "instances": [{"attributes": {"arn": "arn:aws:states:m"}}],
        },
        {"mode": "data", "type": "aws_sqs_queue", "instances": [{"attributes": {"name": "not-ours"}}]},
    ],
}


class Paginator:
    def __init__(self, pages):
        self.pages = pages

    def paginate(self):
        return iter(self.pages)


class FakeEmulator:
    """The six list calls of the cheap check (pure logic under test: the lists are data)."""

    def __init__(self, **missing):
        self.pages = {
            "list_functions": [{"Functions": [{"FunctionName": "fleettap-dev-hos"}]}],
            "list_streams": [{"StreamNames": ["fleettap-dev-hos"]}],
            "list_tables": [{"TableNames": ["fleettap-dev-logs"]}],
            "list_queues": [{"QueueUrls": ["http://x/123/fleettap-dev-q"]}],
            "list_topics": [{"Topics": [{"TopicArn": "arn:aws:sns:t"}]}],
            "list_state_machines": [{"stateMachines": [{"stateMachineArn": "arn:aws:states:m"}]}],
        }
        self.pages.update(missing)
        self.calls = 0

    def __call__(self, service):
        return self

    def get_paginator(self, name):
        self.calls += 1
        return Paginator(self.pages[name])


@pytest.fixture
def applied(tmp_path):
    workdir, state_dir = tmp_path / "tf", tmp_path
    workdir.mkdir()
    (workdir / "terraform.tfstate").write_text(json.dumps(STATE))
    (state_dir / "emulator.json").write_text(json.dumps({"state_id": "S1"}))
    inputs = {"infra": "i1", "variables": "v1", "functions.zip": "f1", "deps-layer.zip": "d1"}
    fp.record(workdir, state_dir, inputs)
    return workdir, state_dir, inputs


def decide(applied, inputs=None, clients=None):
    workdir, state_dir, recorded = applied
    return fp.decide(workdir, state_dir, inputs or recorded, clients or FakeEmulator(), reloadable=("functions.zip",))


def test_nothing_changed_skips_after_checking_the_emulator(applied):
    emulator = FakeEmulator()
    decision = decide(applied, clients=emulator)
    assert decision.action == "skip"
    assert emulator.calls == 6


@pytest.mark.parametrize("name", ["infra", "variables", "deps-layer.zip"])
def test_a_changed_input_other_than_the_handlers_applies(applied, name):
    decision = decide(applied, {**applied[2], name: "changed"})
    assert decision.action == "apply" and decision.changed == [name]


def test_only_the_handler_zip_changed_is_a_hot_reload(applied):
    decision = decide(applied, {**applied[2], "functions.zip": "f2"})
    assert decision.action == "hot-reload" and decision.changed == ["functions.zip"]


def test_another_emulator_state_applies(applied):
    workdir, state_dir, _ = applied
    (state_dir / "emulator.json").write_text(json.dumps({"state_id": "S2"}))
    assert decide(applied).action == "apply"


def test_a_terraform_run_outside_the_record_applies(applied):
    workdir, _, _ = applied
    (workdir / "terraform.tfstate").write_text(json.dumps({**STATE, "serial": 8}))
    assert decide(applied).action == "apply"


def test_a_resource_gone_from_the_emulator_applies(applied):
    decision = decide(applied, clients=FakeEmulator(list_streams=[{"StreamNames": []}]))
    assert decision.action == "apply" and "aws_kinesis_stream fleettap-dev-hos" in decision.reason


def test_a_state_machine_gone_from_the_emulator_applies(applied):
    decision = decide(applied, clients=FakeEmulator(list_state_machines=[{"stateMachines": []}]))
    assert decision.action == "apply" and "aws_sfn_state_machine arn:aws:states:m" in decision.reason


def test_an_emulator_that_does_not_answer_applies(applied):
    class Down(FakeEmulator):
        def get_paginator(self, name):
            raise ConnectionError("refused")

    decision = decide(applied, clients=Down())
    assert decision.action == "apply" and "ConnectionError" in decision.reason


def test_no_record_or_a_forgotten_one_applies(applied):
    workdir, _, _ = applied
    fp.forget(workdir)
    assert decide(applied).action == "apply"


def test_inputs_hash_the_tf_files_the_tfvars_content_and_each_zip(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_VAR_alert_https_endpoint", raising=False)
    workdir, artifacts = tmp_path / "w", tmp_path / "a"
    workdir.mkdir()
    artifacts.mkdir()
    (workdir / "main.tf").write_text("resource x {}")
    tfvars = tmp_path / "dev.tfvars"
    tfvars.write_text("a = 1")
    (artifacts / "functions.zip").write_bytes(b"one")
    args = [f"-var-file={tfvars}"]
    first = fp.inputs(workdir, args, artifacts, ("functions.zip",))
    assert fp.inputs(workdir, args, artifacts, ("functions.zip",)) == first
    tfvars.write_text("a = 2")
    second = fp.inputs(workdir, args, artifacts, ("functions.zip",))
    assert second["variables"] != first["variables"] and second["infra"] == first["infra"]
    (artifacts / "functions.zip").write_bytes(b"two")
    third = fp.inputs(workdir, args, artifacts, ("functions.zip",))
    assert third["functions.zip"] != second["functions.zip"]
    monkeypatch.setenv("TF_VAR_alert_https_endpoint", "https://x")
    assert fp.inputs(workdir, args, artifacts, ("functions.zip",))["variables"] != third["variables"]
    (workdir / "extra.tf").write_text("")
    assert fp.inputs(workdir, args, artifacts, ("functions.zip",))["infra"] != third["infra"]


def test_hot_reload_targets_the_functions_deployed_from_the_zip():
    from harness.hot_reload import functions_from

    assert functions_from(STATE) == ["fleettap-dev-hos"]
    assert functions_from(STATE, "other.zip") == []
