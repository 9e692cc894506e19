"""The command-line front doors a newcomer meets: Terraform missing is one line naming the version
(exit 3), `fleettap --help` lists every entry point and each dispatches to its module, and `make
invoke`/`make event` refuse what they cannot do with exit 2."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib

import pytest

from harness import console
from harness.config import REPO_ROOT
from harness.terraform import required_version


def test_terraform_missing_is_one_line_naming_the_version(tmp_path):
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "FLEETTAP_STATE_DIR": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, "-m", "harness.terraform", "plan", "--env", "dev", "--target", "aws"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"Terraform {required_version()}" in lines[0] and "not on PATH" in lines[0]
    assert required_version() == ">= 1.11"


def test_the_console_command_is_declared_and_lists_every_entry_point(capsys):
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"fleettap": "harness.console:main"}
    with pytest.raises(SystemExit) as exited:
        console.main(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for name in console.COMMANDS:
        assert f"  {name} " in shown


@pytest.mark.parametrize("name", sorted(console.COMMANDS))
def test_each_command_reaches_its_module(name, capsys):
    module_name, prefix, _ = console.COMMANDS[name]
    assert callable(importlib.import_module(module_name).main)
    with pytest.raises(SystemExit) as exited:
        console.main([name, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip(), f"{name} --help printed nothing"


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        console.main(["simm"])
    assert exited.value.code == 2
    assert "invalid choice: 'simm'" in capsys.readouterr().err


def test_state_dir_option_reaches_the_command(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("FLEETTAP_STATE_DIR", raising=False)
    code = console.main(["--state-dir", str(tmp_path), "env"])  # nothing up there: exit 3, named
    assert code == 3
    assert str(tmp_path / "stack.json") in capsys.readouterr().err


def test_invoke_and_event_without_a_stack_exit_3_and_a_bad_event_file_2(tmp_path, monkeypatch, capsys):
    from harness import events, invoke

    monkeypatch.setenv("FLEETTAP_STATE_DIR", str(tmp_path))
    assert invoke.main(["hos", str(tmp_path / "missing.json")]) == 2
    (tmp_path / "event.json").write_text("{}")
    assert invoke.main(["hos", str(tmp_path / "event.json")]) == 3
    assert events.main(["hos"]) == 3
    assert "make up" in capsys.readouterr().err


def test_simulated_events_are_kinesis_records_of_the_streams_kind():
    import base64
    import json

    from harness.events import kinesis_event, simulated_records

    event = kinesis_event(
        "arn:aws:kinesis:us-east-1:123456789012:stream/fleettap-dev-hos", simulated_records("hos", 3), "us-east-1"
    )
    assert len(event["Records"]) == 3
    for record in event["Records"]:
        body = json.loads(base64.b64decode(record["kinesis"]["data"]))
        assert body["kind"] == "hos" and record["kinesis"]["partitionKey"] == body["vehicle_id"]
        assert record["eventSource"] == "aws:kinesis" and record["eventSourceARN"].endswith("/fleettap-dev-hos")


def test_work_queue_events_carry_sns_notifications_of_critical_alerts():
    import json

    from harness.events import overheat_alerts, sqs_event_from_topic

    alerts = overheat_alerts(2)
    assert len(alerts) == 2 and {a["severity"] for a in alerts} == {"critical"}
    assert alerts[0]["rule"] == "threshold:coolant_temp_c"
    attributes = {"severity": ("severity", ""), "event_type": ("", "anomaly"), "rule": ("rule", "")}
    queue = "arn:aws:sqs:us-east-1:123456789012:fleettap-dev-maintenance_alerts"
    topic = "arn:aws:sns:us-east-1:123456789012:fleettap-dev-vehicle-alerts"
    event = sqs_event_from_topic(queue, topic, alerts, attributes, "us-east-1")
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queue
    envelope = json.loads(record["body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert json.loads(envelope["Message"]) == alerts[0]
    assert envelope["MessageAttributes"]["severity"] == {"Type": "String", "Value": "critical"}
    assert envelope["MessageAttributes"]["event_type"]["Value"] == "anomaly"
