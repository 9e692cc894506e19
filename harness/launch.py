"""Launching the stack's server processes: binaries (with install hints), logs, sessions, errors."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

INSTALL_HINTS = {
    "redis-server": "apt-get install -y redis-server (Debian/Ubuntu) or brew install redis (macOS)",
    "initdb": "apt-get install -y postgresql (Debian/Ubuntu) or brew install postgresql@15 (macOS)",
    "postgres": "apt-get install -y postgresql (Debian/Ubuntu) or brew install postgresql@15 (macOS)",
}
# Debian installs the PostgreSQL server binaries outside PATH; look there before declaring them missing.
EXTRA_BINARY_DIRS = ("/usr/lib/postgresql/*/bin",)


class ServiceError(RuntimeError):
    """A service could not be started or stopped; the message says why and what to do."""


class ServiceNotBuilt(ServiceError):
    """The service's code does not exist in this tree yet."""


class PortBusy(ServiceError):
    """Another process listens on the port a service was to use."""


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in EXTRA_BINARY_DIRS:
        for directory in sorted(glob.glob(pattern), key=_version_key, reverse=True):
            candidate = Path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    hint = INSTALL_HINTS.get(name, f"install {name}")
    raise ServiceError(f"{name} not found on PATH: {hint}")


def _version_key(directory: str) -> tuple:
    parts = Path(directory).parent.name.split(".")
    return tuple(int(part) if part.isdigit() else 0 for part in parts)


def log_path(state: Path, name: str) -> Path:
    path = state / "logs" / f"{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def _identity(account: pwd.struct_passwd | None) -> dict:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def launch(
    state: Path,
    name: str,
    argv: list[str],
    *,
    cwd: Path,
    env: dict | None = None,
    run_as: pwd.struct_passwd | None = None,
) -> subprocess.Popen:
    """Start a server as the leader of its own session (so its group can be signalled as a whole),
    detached from our stdin, appending its output to <state>/logs/<name>.log."""
    with open(log_path(state, name), "ab") as log:
        try:
            return subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **_identity(run_as),
            )
        except OSError as error:
            raise ServiceError(f"cannot run {argv[0]} for {name}: {error}") from None


def run_checked(argv: list[str], state: Path, name: str, run_as: pwd.struct_passwd | None = None) -> None:
    with open(log_path(state, name), "ab") as log:
        try:
            result = subprocess.run(
                argv, cwd="/", stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **_identity(run_as)
            )
        except OSError as error:
            raise ServiceError(f"cannot run {argv[0]} for {name}: {error}") from None
    if result.returncode != 0:
        raise ServiceError(
            f"{Path(argv[0]).name} failed with code {result.returncode}; see {log_path(state, name)}:\n"
            f"{tail(log_path(state, name))}"
        )


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
