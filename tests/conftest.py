"""Shared service fixtures: a real local stack (Postgres, Redis, moto emulator, mock API).

Nothing starts unless a test asks for `local_stack` (directly or through a fixture built on it);
it is started once per session on free ports in its own state directory, so two test runs on one
machine never collide, and it is stopped at the end even when tests fail.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from harness import processes, services  # noqa: E402
from harness.config import StackInfo  # noqa: E402

# The handler fixtures (make_ctx, resources, ...) serve tests/handlers and tests/bench.
pytest_plugins = ["tests.handlers.handler_stack"]

SKIPPED_SERVICES: dict[str, str] = {}


def _interrupt_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    # A terminated run (CI timeout, `kill`) still tears the session fixtures down, so the servers
    # it started do not outlive it; pytest turns KeyboardInterrupt into an orderly shutdown.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


def distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = processes.free_port()
        if port not in ports:
            ports.append(port)
    return ports


def make_state_dir(prefix: str = "fleettap-test-") -> Path:
    # Under the system temp dir rather than pytest's 0700 tree: as root, PostgreSQL runs as an
    # unprivileged account that must be able to reach its data directory.
    return Path(tempfile.mkdtemp(prefix=prefix))


def _up_on_free_ports(state: Path, attempts: int = 3) -> StackInfo:
    # A free port can be taken by someone else's outgoing connection before our server binds it;
    # on a busy machine that is rare but real, so pick fresh ports and try again.
    def attempt() -> StackInfo:
        ports = dict(zip(("aws", "redis", "postgres", "mock_api"), distinct_free_ports(4)))
        return services.up(state, on_skip=SKIPPED_SERVICES.__setitem__, ports=ports)

    for _ in range(attempts - 1):
        try:
            return attempt()
        except services.PortBusy:
            continue
    return attempt()


@pytest.fixture(scope="session")
def local_stack() -> Iterator[StackInfo]:
    state = make_state_dir()
    try:
        info = _up_on_free_ports(state)
        for name, reason in SKIPPED_SERVICES.items():
            warnings.warn(f"local_stack: {name} not started: {reason}", stacklevel=1)
        yield info
    finally:
        services.down(state)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def aws_env(local_stack: StackInfo, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment pointing boto3 (and any subprocess) at the emulator, undone after the test."""
    environment = local_stack.env()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for leaked in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(leaked, raising=False)
    return environment


@pytest.fixture(scope="session")
def aws_client(local_stack: StackInfo) -> Callable:
    """Factory: aws_client("sqs") -> a boto3 client bound to the emulator (independent of os.environ)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=local_stack.region
    )

    def make(service_name: str, **kwargs):
        return session.client(service_name, endpoint_url=local_stack.aws_endpoint, **kwargs)

    return make


@pytest.fixture
def redis_client(local_stack: StackInfo):
    import redis

    client = redis.Redis(host=local_stack.redis_host, port=local_stack.redis_port, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def pg_connection(local_stack: StackInfo):
    import psycopg

    with psycopg.connect(local_stack.postgres_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def mock_api_url(local_stack: StackInfo) -> str:
    if "mock_api" in SKIPPED_SERVICES:
        pytest.fail(f"the mock API is not running: {SKIPPED_SERVICES['mock_api']}")
    return local_stack.mock_api_url
