"""Measure how long `python -m harness up` takes: `python -m benchmarks.bringup [--runs 3]`.

Cold: a fresh state directory (initdb of a new cluster included). Warm: the same state directory
brought up again after `down` (cluster exists). Each run uses free ports and is torn down after.
The indented rows split a cold `up` into the time each service took to become healthy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import processes
from harness.config import PORT_ENV_VARS, REPO_ROOT


def _environment(state: Path) -> dict[str, str]:
    env = dict(os.environ, FLEETTAP_STATE_DIR=str(state), PYTHONPATH=str(REPO_ROOT))
    used: set[int] = set()
    for variable in PORT_ENV_VARS.values():
        port = processes.free_port()
        while port in used:
            port = processes.free_port()
        used.add(port)
        env[variable] = str(port)
    return env


STARTED = re.compile(r"started (?P<name>\w+)\s+healthy after\s+(?P<seconds>[\d.]+) s")


def _timed(command: str, env: dict[str, str], per_service: dict[str, list[float]] | None = None) -> float:
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "harness", command], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"`harness {command}` failed:\n{result.stderr}")
    if per_service is not None:
        for match in STARTED.finditer(result.stdout):
            per_service.setdefault(f"  {match['name']}", []).append(float(match["seconds"]))
    return elapsed


def measure(runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    timings: dict[str, list[float]] = {"cold up": [], "warm up": [], "down": []}
    cold_services: dict[str, list[float]] = {}
    for _ in range(runs):
        state = Path(tempfile.mkdtemp(prefix="fleettap-bench-"))
        env = _environment(state)
        try:
            timings["cold up"].append(_timed("up", env, cold_services))
            _timed("down", env)
            timings["warm up"].append(_timed("up", env))
            timings["down"].append(_timed("down", env))
        finally:
            subprocess.run([sys.executable, "-m", "harness", "down"], env=env, cwd=REPO_ROOT, capture_output=True)
            shutil.rmtree(state, ignore_errors=True)
    return timings, cold_services


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bringup", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    timings, cold_services = measure(args.runs)
    print(f"embedded stack (postgres, redis, mock_api, aws emulator), {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'step':<10}{'median s':>10}{'min s':>8}{'max s':>8}")
    for step, values in [*timings.items(), *cold_services.items()]:
        print(f"{step:<10}{statistics.median(values):>10.2f}{min(values):>8.2f}{max(values):>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
