"""Writes `<state_dir>/runtime/status.json` every few seconds: what the pollers inside the emulator
know (lag per shard, invocations, errors, alarm evaluation) for `python -m harness.runtime.status` in
another process."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from harness.emulator import gc_policy

INTERVAL_S = 2.0


def status_path(state_dir: Path) -> Path:
    return Path(state_dir) / "runtime" / "status.json"


class StatusWriter:
    def __init__(self, state_dir: Path, runtime: Any) -> None:
        self._path = status_path(state_dir)
        self._runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="runtime-status")

    def start(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self.write()

    def write(self) -> None:
        document = {
            "written_at": time.time(),
            "pid": os.getpid(),
            "mappings": self._runtime.supervisor.snapshot() if self._runtime.supervisor else [],
            "alarms": self._runtime.alarms.snapshot() if getattr(self._runtime, "alarms", None) else {},
            # The emulator's collector pauses stop every poller and request (harness/emulator/gc_policy.py).
            "emulator_gc": gc_policy.pause_stats(),
        }
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=1, default=str))
        tmp.replace(self._path)
