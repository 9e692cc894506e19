"""Lambda memory: an execution environment's peak memory is held against the function's MemorySize."""

from __future__ import annotations

import json
import re

from tests.runtime import fixture_function
from tests.runtime.helpers import unique


def _log(stack, name: str) -> str:
    return (stack.state_dir / "logs" / f"{name}.log").read_text()


def test_memory_overrun_fails_the_invoke_kills_the_environment_and_is_logged(runtime_stack, tmp_path):
    name = unique("fn")
    fixture_function.deploy(runtime_stack, name, str(tmp_path / "o.jsonl"), memory=128)
    lambda_client = runtime_stack.client("lambda")

    hog = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"allocate_mb": 200}).encode())
    error = json.loads(hog["Payload"].read())
    assert hog["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in error["errorMessage"]

    log_text = _log(runtime_stack, name)
    used = re.search(r"Max Memory Used: (\d+) MB > Memory Size: 128 MB", log_text)
    assert used and int(used.group(1)) > 128
    assert "environment of" in log_text and "stopped (out of memory" in log_text

    after = lambda_client.invoke(FunctionName=name, Payload=b'{"x": 1}')
    assert "FunctionError" not in after
    assert _log(runtime_stack, name).count("cold start") == 2  # the killed environment was replaced


def test_invoke_within_memory_reports_its_max_memory_used(runtime_stack, tmp_path):
    name = unique("fn")
    fixture_function.deploy(runtime_stack, name, str(tmp_path / "o.jsonl"), memory=128)
    payload = json.dumps({"allocate_mb": 20}).encode()
    response = runtime_stack.client("lambda").invoke(FunctionName=name, Payload=payload)
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read())["held"] == 20 * 1024 * 1024
    # The worker's own figure: not inherited from the (much larger) process it was started from.
    report = re.search(r"REPORT RequestId: .*Memory Size: 128 MB Max Memory Used: (\d+) MB", _log(runtime_stack, name))
    assert report and 20 < int(report.group(1)) <= 128
