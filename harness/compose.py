"""`up --stack compose`: LocalStack, Redis 7 and Postgres 15 from docker-compose.yml instead of the
embedded processes. Writes the same stack.json, so nothing downstream knows which stack answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from harness import services
from harness.config import REPO_ROOT, configured_ports, embedded_stack_info, remove_stack, write_stack

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"


class ComposeUnavailable(services.ServiceError):
    pass


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker is None:
        raise ComposeUnavailable(
            "docker not found on PATH: `--stack compose` needs Docker with the compose plugin "
            "(https://docs.docker.com/compose/install/); the default embedded stack needs no Docker"
        )
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise ComposeUnavailable(
            "`docker compose` is not available (the compose plugin is missing): install "
            "docker-compose-plugin, or use the default embedded stack (`make up`)"
        )
    return [docker, "compose", "-f", str(COMPOSE_FILE), "-p", "fleettap"]


def _compose_env(password: str) -> dict[str, str]:
    ports = configured_ports()
    env = dict(os.environ)
    env.update(
        {
            "FLEETTAP_PG_PASSWORD": password,
            "FLEETTAP_AWS_PORT": str(ports["aws"]),
            "FLEETTAP_REDIS_PORT": str(ports["redis"]),
            "FLEETTAP_PG_PORT": str(ports["postgres"]),
        }
    )
    return env


def up(state: Path, on_skip=None):
    command = _compose_command()
    password = services.postgres_password(state)
    result = subprocess.run([*command, "up", "-d", "--wait"], env=_compose_env(password))
    if result.returncode != 0:
        raise services.ServiceError(
            f"`docker compose up -d --wait` failed with code {result.returncode} (output above): "
            "is the Docker engine running, and are ports free?"
        )
    info = embedded_stack_info(state, configured_ports(), password).replace(stack="compose")
    write_stack(info, state)
    # The mock API is plain Python with no container of its own; it runs embedded beside compose.
    try:
        info.pids["mock_api"] = services.start_service("mock_api", state, info)
    except services.ServiceNotBuilt as missing:
        if on_skip is None:
            raise
        on_skip("mock_api", str(missing))
    write_stack(info, state)
    return info


def down(state: Path) -> dict[str, str]:
    outcomes = {"mock_api": "stopped" if services.stop_service("mock_api", state) else "not running"}
    command = _compose_command()
    result = subprocess.run([*command, "down"], env=_compose_env(services.postgres_password(state)))
    outcomes["compose"] = "down" if result.returncode == 0 else f"docker compose down failed ({result.returncode})"
    remove_stack(state)
    return outcomes
