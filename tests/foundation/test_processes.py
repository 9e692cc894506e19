"""Pid files identify one process instance: a reused or foreign pid is never signalled."""

from __future__ import annotations

import os
import subprocess
import sys

from harness import launch, processes, services


def start_sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)


def test_down_stops_its_recorded_process(tmp_path):
    sleeper = start_sleeper()
    try:
        processes.record_process(tmp_path, "redis", sleeper.pid, "time.sleep", 1)
        outcomes = services.down(tmp_path)
        assert outcomes["redis"] == f"stopped (pid {sleeper.pid})"
        assert sleeper.poll() is not None
        assert not processes.pid_file(tmp_path, "redis").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_pid_that_is_not_ours_is_left_alone(tmp_path):
    sleeper = start_sleeper()
    try:
        record = processes.record_process(tmp_path, "redis", sleeper.pid, "time.sleep", 1)
        # Same pid, different start time: what a reused pid looks like.
        forged = processes.PidRecord(**{**record.__dict__, "start_token": "1"})
        processes.pid_file(tmp_path, "redis").write_text(__import__("json").dumps(forged.__dict__))
        outcomes = services.down(tmp_path)
        assert "no longer ours" in outcomes["redis"]
        assert sleeper.poll() is None, "a process we did not start must not be killed"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_command_token_must_match(tmp_path):
    record = processes.record_process(tmp_path, "aws", os.getpid(), "pytest", 1)
    assert processes.is_ours(record)
    other = processes.PidRecord(**{**record.__dict__, "command_token": "redis-server 127.0.0.1:1"})
    assert not processes.is_ours(other)


def test_exited_process_is_not_alive():
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert not processes.is_alive(finished.pid)


def test_port_helpers():
    port = processes.free_port()
    assert processes.port_is_free(port)
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert not processes.port_is_free(port)
        assert processes.port_accepts(port)


def test_missing_postgres_binary_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(launch, "EXTRA_BINARY_DIRS", ())
    import pytest

    with pytest.raises(services.ServiceError, match=r"initdb not found on PATH: apt-get install -y postgresql"):
        services.find_binary("initdb")


def test_debian_postgres_bin_dir_is_searched(monkeypatch, tmp_path):
    for version in ("13", "15"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "initdb").write_text("#!/bin/sh\n")
        (bin_dir / "initdb").chmod(0o755)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(launch, "EXTRA_BINARY_DIRS", (str(tmp_path / "*" / "bin"),))
    assert services.find_binary("initdb") == str(tmp_path / "15" / "bin" / "initdb")
