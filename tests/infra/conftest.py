"""Fixtures for the Terraform tests: an emulator of their own (moto + its patches, no local
runtime) on a free port, in a temp state dir with a stack.json, so they depend on nothing else.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import embedded_stack_info, write_stack

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
ENVS = ("dev", "staging", "prod")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"emulator did not listen on {port} within {timeout}s")


class Emulator:
    def __init__(self, prefix: str) -> None:
        self.state_dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.port = _free_port()
        self.log = (self.state_dir / "emulator.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harness.emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--state-dir",
                str(self.state_dir),
                "--no-runtime",
            ],
            cwd=REPO_ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process)
        # Only the AWS endpoint matters to Terraform; the other ports are placeholders.
        self.info = embedded_stack_info(
            self.state_dir, {"aws": self.port, "redis": 1, "postgres": 1, "mock_api": 1}, "unused"
        )
        write_stack(self.info, self.state_dir)

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.info.aws_endpoint,
            region_name=self.info.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    instance = Emulator("fleettap-infra-")
    try:
        yield instance
    finally:
        instance.stop()
