"""Pid files that identify exactly the processes `up` started, so `down` stops those and no other.

A pid alone can be reused by the kernel; each pid file therefore also records the process start
time and a token its command line must contain. `down` signals a pid only when both still match.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PidRecord:
    service: str
    pid: int
    start_token: str
    command_token: str
    port: int


def pid_dir(state: Path) -> Path:
    return state / "pids"


def pid_file(state: Path, service: str) -> Path:
    return pid_dir(state) / f"{service}.pid"


def start_token(pid: int) -> str | None:
    """An identifier of this process instance: it differs for any later process reusing the pid."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.exists() and sys.platform.startswith("linux"):
        try:
            # Field 2 (comm) may contain spaces; everything after the last ')' is space-separated.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return None
        if fields[0] == "Z":
            return None
        return fields[19]  # starttime, field 22 of proc(5)
    result = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True)
    return result.stdout.strip() or None


def command_line(pid: int) -> str:
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        pass
    except OSError:
        return ""
    result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True)
    return result.stdout.strip()


def record_process(state: Path, service: str, pid: int, command_token: str, port: int) -> PidRecord:
    token = start_token(pid)
    if token is None:
        raise RuntimeError(f"{service} (pid {pid}) exited right after it was started")
    record = PidRecord(service, pid, token, command_token, port)
    path = pid_file(state, service)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record.__dict__))
    return record


def read_record(state: Path, service: str) -> PidRecord | None:
    path = pid_file(state, service)
    try:
        return PidRecord(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        # A pid file we cannot parse identifies nothing; treat it as stale rather than guess.
        path.unlink(missing_ok=True)
        return None


def forget(state: Path, service: str) -> None:
    pid_file(state, service).unlink(missing_ok=True)


def is_ours(record: PidRecord) -> bool:
    """True when the recorded pid is still the very process we started."""
    return start_token(record.pid) == record.start_token and record.command_token in command_line(record.pid)


def _reap(pid: int) -> None:
    # Processes started by this interpreter (the test fixture) stay zombies until waited for.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def is_alive(pid: int) -> bool:
    _reap(pid)
    return start_token(pid) is not None


def stop_process(record: PidRecord, stop_signal: int = signal.SIGTERM, timeout_s: float = 15.0) -> bool:
    """Stop the recorded process (and its process group) if it is still ours. Returns True if it was."""
    if not is_ours(record):
        return False
    _signal_group(record.pid, stop_signal)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_alive(record.pid):
            _kill_leftover_group(record.pid)
            return True
        time.sleep(0.05)
    _signal_group(record.pid, signal.SIGKILL)
    while is_alive(record.pid):
        time.sleep(0.05)
    return True


def _signal_group(pid: int, sig: int) -> None:
    # Each service was started as the leader of its own session, so its process group id is its
    # pid: signalling the group also reaches workers it spawned, and nothing outside it.
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)


def _kill_leftover_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def port_accepts(port: int, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
