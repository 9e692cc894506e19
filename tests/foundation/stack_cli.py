"""Helpers to drive `python -m harness` in a throwaway state directory on free ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness import processes
from harness.config import REPO_ROOT

PORT_VARIABLES = ("FLEETTAP_AWS_PORT", "FLEETTAP_REDIS_PORT", "FLEETTAP_PG_PORT", "FLEETTAP_MOCK_API_PORT")


def stack_environment(state: Path, ports: list[int], **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env["FLEETTAP_STATE_DIR"] = str(state)
    env.update(dict(zip(PORT_VARIABLES, map(str, ports))))
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(overrides)
    return env


def run_harness(command: str, env: dict[str, str], timeout_s: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", command],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def recorded_pids(state: Path) -> dict[str, int]:
    pids = {}
    for path in (state / "pids").glob("*.pid"):
        pids[path.stem] = json.loads(path.read_text())["pid"]
    return pids


def all_gone(pids: dict[str, int]) -> bool:
    return all(not processes.is_alive(pid) for pid in pids.values())


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line contains `text` (e.g. a state dir): what `down` must end."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        if not processes.is_alive(int(entry.name)):
            continue
        command = processes.command_line(int(entry.name))
        if text in command:
            found.append(f"{entry.name}: {command}")
    return found
