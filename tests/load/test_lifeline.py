"""A load run's workers stop with it: on SIGTERM to `python -m loadtest.load`, and by themselves when
the run is killed outright (a worker left behind sends for the rest of its --duration)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.config import REPO_ROOT
from harness.processes import start_token
from loadtest.sampling import children_map


def _children(pid: int) -> list[int]:
    return children_map().get(pid, [])


def _alive(pid: int) -> bool:
    return start_token(pid) is not None  # None once it has gone, or is a zombie (it has exited)


def _wait(predicate, timeout_s: float) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _start_load(tmp_path) -> tuple[subprocess.Popen, list[int]]:
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loadtest.load",
            "--target",
            "local",
            "--no-live",
            "--source",
            "fixed",
            "--vehicles",
            "300",
            "--workers",
            "2",
            "--duration",
            "300",
            "--no-e2e",
            "--report",
            str(tmp_path / "report.json"),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # the two workers (plus multiprocessing's resource tracker)
    assert _wait(lambda: len(_children(run.pid)) >= 3, 60), "the load run did not start its workers"
    time.sleep(2)  # past the start handshake: the workers are sending
    return run, _children(run.pid)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_workers_do_not_outlive_their_load_run(aws_at, tmp_path, how):
    run, workers = _start_load(tmp_path)
    try:
        os.kill(run.pid, how)
        code = run.wait(timeout=30)
        assert code == (-signal.SIGKILL if how == signal.SIGKILL else 128 + signal.SIGTERM), code
        assert _wait(lambda: not any(_alive(pid) for pid in workers), 15), (
            f"left behind: {[pid for pid in workers if _alive(pid)]}"
        )
    finally:
        for pid in [run.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
