"""Fixtures for the simulator tests: small fleets and a private moto server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from sim.config import SimConfig
from sim.fleet import Fleet
from tests.sim.sim_records_support import BUSY_START, decoded, run_records  # noqa: F401 (fixtures use them)


@pytest.fixture(scope="module")
def busy_fleet_records() -> list[tuple[str, str, bytes]]:
    """Two simulated hours of 60 vehicles in the working day."""
    fleet = Fleet.build(SimConfig(vehicles=60, duration_s=7200, start=BUSY_START), seed=11)
    return run_records(fleet)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server of our own on a free port (never the stack's 4566).

    Port 0: the server binds a port the system picks, so no other process can take it between
    choosing and binding (moto's start() would otherwise wait forever for a bind that failed)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_test_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint
    return moto_endpoint
