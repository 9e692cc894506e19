"""The Make front door: `make up && make status && make down` leaves nothing behind; `make help`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import processes, services
from harness.config import REPO_ROOT
from tests.conftest import distinct_free_ports, make_state_dir
from tests.foundation.stack_cli import processes_mentioning, stack_environment

MAKE = shutil.which("make")


def make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # VENV is this interpreter's venv, so make reuses it (its install stamp) instead of another one.
    return subprocess.run(
        [MAKE, "--no-print-directory", target, f"VENV={Path(sys.prefix)}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def state():
    directory = make_state_dir("fleettap-make-")
    yield directory
    services.down(directory)
    shutil.rmtree(directory, ignore_errors=True)


def test_make_up_status_down_leaves_no_process_behind(state):
    assert MAKE, "make is required"
    ports = distinct_free_ports(4)
    env = stack_environment(state, ports)
    for target in ("up", "status"):
        result = make(target, env)
        assert result.returncode == 0, f"make {target}:\n{result.stdout}\n{result.stderr}"
    assert re.search(rf"^aws\s+\d+\s+{ports[0]}\s+running\s+ok", result.stdout, re.MULTILINE), result.stdout
    assert processes_mentioning(str(state))
    result = make("down", env)
    assert result.returncode == 0, result.stderr
    assert processes_mentioning(str(state)) == []
    assert all(processes.port_is_free(port) for port in ports)


def test_make_help_lists_every_documented_target():
    result = subprocess.run([MAKE, "--no-print-directory", "help"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0
    listed = set(re.findall(r"^  (\S+)\s", result.stdout, re.MULTILINE))
    for target in (
        "install",
        "build",
        "up",
        "down",
        "status",
        "logs",
        "init",
        "plan",
        "apply",
        "destroy",
        "migrate",
        "sim",
        "replay",
        "load",
        "soak",
        "capacity",
        "query",
        "test",
        "bench",
        "lint",
        "clean",
    ):
        assert target in listed, f"`make help` does not list {target}"
