"""harness.config: state dir, ports, stack.json round trip and client environment."""

from __future__ import annotations

import os
import stat

import pytest

from harness import config


def test_state_dir_defaults_to_repo_local(monkeypatch):
    monkeypatch.delenv("FLEETTAP_STATE_DIR", raising=False)
    assert config.state_dir() == config.REPO_ROOT / ".local"


def test_state_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLEETTAP_STATE_DIR", str(tmp_path / "s"))
    assert config.state_dir() == tmp_path / "s"


def test_ports_default_to_the_contract(monkeypatch):
    for variable in config.PORT_ENV_VARS.values():
        monkeypatch.delenv(variable, raising=False)
    assert config.configured_ports() == {"aws": 4566, "redis": 6389, "postgres": 5439, "mock_api": 4580}


def test_port_override(monkeypatch):
    monkeypatch.setenv("FLEETTAP_REDIS_PORT", "16379")
    assert config.configured_ports()["redis"] == 16379


@pytest.mark.parametrize(
    "raw, message", [("abc", "is not a port number"), ("70000", "outside 1..65535"), ("0", "outside 1..65535")]
)
def test_bad_port_is_a_clear_error(monkeypatch, raw, message):
    monkeypatch.setenv("FLEETTAP_PG_PORT", raw)
    with pytest.raises(config.ConfigError, match=f"FLEETTAP_PG_PORT.*{message}"):
        config.configured_ports()


def sample(tmp_path) -> config.StackInfo:
    ports = {"aws": 1111, "redis": 2222, "postgres": 3333, "mock_api": 4444}
    return config.embedded_stack_info(tmp_path, ports, "s3cret")


def test_stack_json_round_trip_is_private(tmp_path):
    info = sample(tmp_path)
    info.pids["redis"] = 42
    path = config.write_stack(info, tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.read_stack(tmp_path) == info


def test_stack_json_has_the_contract_shape(tmp_path):
    data = sample(tmp_path).to_json()
    assert data["aws"] == {"endpoint": "http://127.0.0.1:1111", "region": "us-east-1"}
    assert data["redis"] == {"host": "127.0.0.1", "port": 2222}
    assert data["postgres"] == {
        "host": "127.0.0.1",
        "port": 3333,
        "user": "fleettap",
        "password": "s3cret",
        "dbname": "fleettap",
    }
    assert data["mock_api"] == {"url": "http://127.0.0.1:4444"}


def test_missing_stack_json_says_how_to_start(tmp_path):
    with pytest.raises(config.StackNotRunning, match="make up"):
        config.read_stack(tmp_path)


def test_malformed_stack_json_is_a_clear_error(tmp_path):
    (tmp_path / "stack.json").write_text('{"aws": {}}')
    with pytest.raises(config.ConfigError, match="stack.json is malformed"):
        config.read_stack(tmp_path)


def test_client_environment(tmp_path):
    env = sample(tmp_path).env()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1111"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["FLEETTAP_STATE_DIR"] == str(tmp_path)
    assert (env["FLEETTAP_REDIS_PORT"], env["FLEETTAP_PG_PORT"], env["FLEETTAP_MOCK_API_PORT"]) == (
        "2222",
        "3333",
        "4444",
    )


def test_postgres_dsn(tmp_path):
    assert sample(tmp_path).postgres_dsn == ("host=127.0.0.1 port=3333 user=fleettap password=s3cret dbname=fleettap")
