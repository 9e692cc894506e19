"""Throwaway Redis/PostgreSQL servers that fault tests may stop and restart mid-run.

The shared local stack stays up for every other test; these run on their own free ports.
Redis uses an append-only file (fsync always) so a restart keeps what was acknowledged, as an
ElastiCache primary with replicas would; Postgres is started through harness.services.

Each owns a state directory under the system temp dir. close() removes it; so does a finalizer
(garbage collection or interpreter exit) when a test never reached close(), e.g. because start()
failed before its try block. A start() that fails stops what it launched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

import redis

from harness import processes, services
from harness.config import embedded_stack_info

START_TIMEOUT_S = 60.0  # a loaded 2-core box can take many seconds to exec and answer


def _remove_at_exit(owner: object, directory: Path) -> weakref.finalize:
    return weakref.finalize(owner, shutil.rmtree, str(directory), ignore_errors=True)


class DedicatedRedis:
    def __init__(self, password: str | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fleettap-redis-"))
        self._remove_dir = _remove_at_exit(self, self.dir)
        self.port = processes.free_port()
        self.password = password
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                services.find_binary("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                *(["--requirepass", self.password] if self.password else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            client = redis.Redis(port=self.port, password=self.password, socket_timeout=2)
            try:
                if client.ping():
                    return
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):  # not up yet
                time.sleep(0.05)
            finally:
                client.close()
        code = self.proc.poll()
        self.stop()
        raise RuntimeError(
            f"dedicated redis on port {self.port} did not start "
            f"({'exited ' + str(code) if code is not None else 'no answer'})"
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
            self.proc = None

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._remove_dir()


class DedicatedPostgres:
    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="fleettap-pg-"))
        self._remove_dir = _remove_at_exit(self, self.state)
        os.chmod(self.state, 0o755)
        ports = {"aws": 1, "redis": 1, "mock_api": 1, "postgres": processes.free_port()}
        self.info = embedded_stack_info(self.state, ports, services.postgres_password(self.state))

    def start(self) -> None:
        try:
            services.start_service("postgres", self.state, self.info)
        except BaseException:
            self.stop()  # whatever was recorded as started
            raise

    def stop(self) -> None:
        services.stop_service("postgres", self.state)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._remove_dir()
