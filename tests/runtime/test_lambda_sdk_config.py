"""The local Lambda environments' SDK configuration file turns botocore's parameter validation off."""

from __future__ import annotations

import subprocess
import sys

from harness.emulator import fast_responses
from harness.runtime.lambda_sdk_config import CONFIG_NAME, CONFIG_TEXT, sdk_config_overrides

PROBE = """
import boto3
from botocore.config import Config
plain = boto3.client("dynamodb", region_name="us-east-1")
handler_like = boto3.client("dynamodb", region_name="us-east-1", config=Config(retries={"max_attempts": 3}))
explicit = boto3.client("dynamodb", region_name="us-east-1", config=Config(parameter_validation=True))
print(type(plain._serializer).__name__, type(handler_like._serializer).__name__, type(explicit._serializer).__name__)
"""


def _serializers(env: dict[str, str]) -> list[str]:
    base = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.split()


def test_the_file_turns_validation_off_for_clients_made_like_the_handlers(tmp_path, monkeypatch):
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "on")
    overrides = sdk_config_overrides(tmp_path)
    assert (tmp_path / "lambda-aws-config").read_text() == CONFIG_TEXT
    assert overrides == {"AWS_CONFIG_FILE": str((tmp_path / "lambda-aws-config").resolve())}
    plain, handler_like, explicit = _serializers(overrides)
    # Without validation botocore uses the protocol serializer itself; with it, the validating decorator.
    assert plain == handler_like == "JSONSerializer"
    assert explicit == "JSONSerializer"  # Config(parameter_validation=True) is the default: the file decides
    assert _serializers({}) == ["ParamValidationDecorator"] * 3


def test_no_file_when_the_fast_paths_are_off(tmp_path, monkeypatch):
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "off")
    assert sdk_config_overrides(tmp_path) == {}
    assert not (tmp_path / "lambda-aws-config").exists()


def test_many_first_invocations_at_once_all_get_the_file(tmp_path, monkeypatch):
    """Concurrent first invocations write the file at once; each must get it (a shared temporary name
    made one writer's rename fail, and its Invoke answered 500)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "on")
    for attempt in range(20):
        state = tmp_path / str(attempt)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(sdk_config_overrides, [state] * 16))
        assert all(a == {"AWS_CONFIG_FILE": str((state / CONFIG_NAME).resolve())} for a in answers)
        assert (state / CONFIG_NAME).read_text() == CONFIG_TEXT
        assert [p.name for p in state.iterdir()] == [CONFIG_NAME]
