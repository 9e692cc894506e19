"""Throwaway Redis/PostgreSQL servers that fault tests may stop and restart mid-run.

The shared local stack stays up for every other test; these run on their own free ports.
Redis uses an append-only file (fsync always) so a restart keeps what was acknowledged, as an
ElastiCache primary with replicas would; Postgres is started through harness.services.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from harness import processes, services
from harness.config import embedded_stack_info


class DedicatedRedis:
    def __init__(self, password: str | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fleettap-redis-"))
        self.port = processes.free_port()
        self.password = password
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [services.find_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, password=self.password, socket_timeout=0.5).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("dedicated redis did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class DedicatedPostgres:
    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="fleettap-pg-"))
        os.chmod(self.state, 0o755)
        ports = {"aws": 1, "redis": 1, "mock_api": 1, "postgres": processes.free_port()}
        self.info = embedded_stack_info(self.state, ports, services.postgres_password(self.state))

    def start(self) -> None:
        services.start_service("postgres", self.state, self.info)

    def stop(self) -> None:
        services.stop_service("postgres", self.state)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.state, ignore_errors=True)
