"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked statically."""

from __future__ import annotations

import re

import pytest
import yaml

from harness import compose
from harness.config import DEFAULT_PORTS, REPO_ROOT

SPEC = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
EXPECTED = {
    "localstack": ("localstack/localstack:community-archive", DEFAULT_PORTS["aws"], 4566),
    "redis": ("redis:7", DEFAULT_PORTS["redis"], 6379),
    "postgres": ("postgres:15", DEFAULT_PORTS["postgres"], 5432),
}
PORT = re.compile(r"^(?P<host>[\d.]+):\$\{FLEETTAP_\w+_PORT:-(?P<published>\d+)\}:(?P<target>\d+)$")


def test_exactly_the_three_services():
    assert set(SPEC["services"]) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_image_healthcheck_and_loopback_port(name):
    service = SPEC["services"][name]
    image, published, target = EXPECTED[name]
    assert service["image"].startswith(image)
    check = service["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
    assert check["retries"] > 0
    [mapping] = service["ports"]
    match = PORT.match(mapping)
    assert match, f"{name}: port mapping {mapping!r} is not host-ip:${{VAR:-default}}:target"
    assert match["host"] == "127.0.0.1"
    assert (int(match["published"]), int(match["target"])) == (published, target)


def test_no_secret_is_committed():
    localstack = SPEC["services"]["localstack"]["environment"]
    assert localstack["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"
    assert SPEC["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${FLEETTAP_PG_PASSWORD")


def test_compose_stack_fails_clearly_without_docker(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(compose.ComposeUnavailable, match="docker not found on PATH"):
        compose.up(tmp_path)


def test_compose_stack_fails_clearly_without_the_compose_plugin(monkeypatch, tmp_path):
    fake_docker = tmp_path / "docker"
    fake_docker.write_text('#!/bin/sh\necho "docker: unknown command: docker $1" >&2\nexit 1\n')
    fake_docker.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(compose.ComposeUnavailable, match="compose plugin is missing"):
        compose.up(tmp_path)
