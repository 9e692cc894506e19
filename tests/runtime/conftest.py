"""An in-process moto server with the local runtime installed, on a free port, for the runtime tests.

The runtime's mapping supervisor re-reads mappings every 2 s and Firehose delivery streams every 5 s;
tests call `refresh_mappings()` / `refresh_firehose()` right after creating one so they do not wait."""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

import harness.runtime as runtime_package

logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RuntimeStack:
    def __init__(self, endpoint: str, state_dir: Path, runtime: object) -> None:
        self.endpoint = endpoint
        self.state_dir = state_dir
        self.runtime = runtime

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def refresh_mappings(self) -> None:
        self.runtime.supervisor.refresh()

    def refresh_firehose(self) -> None:
        self.runtime.firehose.refresh()


@pytest.fixture(scope="session")
def runtime_stack() -> Iterator[RuntimeStack]:
    state_dir = Path(tempfile.mkdtemp(prefix="fleettap-runtime-test-"))
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    runtime_package.install(state_dir)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    runtime = runtime_package.start(state_dir, endpoint)
    try:
        yield RuntimeStack(endpoint, state_dir, runtime)
    finally:
        runtime_package.stop()
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
