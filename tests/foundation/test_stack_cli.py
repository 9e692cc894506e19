"""`python -m harness up|status|down` against real processes: nothing may be left behind."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat

import pytest

from harness import processes, services
from tests.conftest import distinct_free_ports, make_state_dir
from tests.foundation.stack_cli import (
    all_gone,
    processes_mentioning,
    recorded_pids,
    run_harness,
    stack_environment,
)


@pytest.fixture
def state():
    directory = make_state_dir("fleettap-cli-")
    yield directory
    services.down(directory)  # safety net if an assertion failed half-way
    shutil.rmtree(directory, ignore_errors=True)


def test_up_status_down_leaves_no_process_behind(state):
    ports = distinct_free_ports(4)
    env = stack_environment(state, ports)

    first = run_harness("up", env)
    assert first.returncode == 0, first.stderr
    pids = recorded_pids(state)
    assert {"postgres", "redis", "aws"} <= set(pids)
    stack = json.loads((state / "stack.json").read_text())
    assert stack["aws"]["endpoint"] == f"http://127.0.0.1:{ports[0]}"
    assert stack["redis"]["port"] == ports[1] and stack["postgres"]["port"] == ports[2]
    assert stack["pids"] == pids
    assert stat.S_IMODE(os.stat(state / "stack.json").st_mode) == 0o600

    assert processes_mentioning(str(state)), "the probe must see the running stack by its state dir"

    shown = run_harness("status", env)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    for name, pid in pids.items():
        row = next(line for line in shown.stdout.splitlines() if line.startswith(name))
        assert str(pid) in row and "running" in row and row.split()[4] == "ok"

    second = run_harness("up", env)
    assert second.returncode == 0, second.stderr
    assert recorded_pids(state) == pids, "a second `up` must keep the running processes"

    stopped = run_harness("down", env)
    assert stopped.returncode == 0, stopped.stderr
    assert all_gone(pids)
    assert processes_mentioning(str(state)) == []
    assert all(processes.port_is_free(port) for port in ports)
    assert not (state / "stack.json").exists()
    assert recorded_pids(state) == {}


def test_busy_port_is_named_and_nothing_is_left_running(state):
    ports = distinct_free_ports(4)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports[1]))
        squatter.listen()
        result = run_harness("up", stack_environment(state, ports))
    assert result.returncode != 0
    assert f"port {ports[1]} for redis is busy" in result.stderr
    assert recorded_pids(state) == {}
    assert processes.port_is_free(ports[2]), "postgres, started before redis, must have been stopped"


def test_missing_binary_is_named_with_install_hint(state):
    # A PATH holding the PostgreSQL binaries but no redis-server (inside the state dir, which the
    # unprivileged PostgreSQL account can reach when the tests run as root).
    bin_dir = state / "bin"
    bin_dir.mkdir(mode=0o755)
    for name in ("initdb", "postgres"):
        (bin_dir / name).symlink_to(services.find_binary(name))
    ports = distinct_free_ports(4)
    result = run_harness("up", stack_environment(state, ports, PATH=str(bin_dir)))
    assert result.returncode != 0
    assert "redis-server not found on PATH: apt-get install -y redis-server" in result.stderr
    assert recorded_pids(state) == {}
    assert processes.port_is_free(ports[2])
