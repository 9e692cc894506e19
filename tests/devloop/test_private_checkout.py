"""A checkout in a directory only its owner can enter (a `mktemp -d` folder; for root also /root):
the stack still comes up. As root, PostgreSQL refuses to run as root and runs as `postgres`, which cannot reach
such a state directory, so its cluster lives under a runtime directory it can enter
(harness.postgres.cluster_root), private to it, and paired with the state directory. As any other
user, PostgreSQL runs as that user and its cluster stays in the state directory."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness import postgres, services
from harness.config import REPO_ROOT, embedded_stack_info
from tests.conftest import distinct_free_ports
from tests.foundation.stack_cli import all_gone, recorded_pids, stack_environment


@pytest.fixture
def private_dir():
    directory = Path(tempfile.mkdtemp(prefix="fleettap-private-"))  # mode 0700, owned by root
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    yield directory
    for state in directory.rglob("stack.json"):
        services.down(state.parent)
    roots = [postgres.cluster_root(path.parent) for path in directory.rglob("postgres.cluster")]
    shutil.rmtree(directory, ignore_errors=True)
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_starts_keeps_its_data_and_is_found_again(private_dir):
    state = private_dir / "state"
    state.mkdir()
    ports = dict(zip(("aws", "redis", "postgres", "mock_api"), distinct_free_ports(4)))
    info = embedded_stack_info(state, ports, postgres.password(state))
    root = postgres.cluster_root(state)
    account = postgres.os_account()  # the postgres account when we are root; None: PostgreSQL runs as us
    if account is None:
        assert root == state / "postgres", "run as its own user, the cluster stays in the state dir"
    else:
        assert not root.is_relative_to(private_dir), "the cluster must live where postgres can enter"
    services.start_service("postgres", state, info)
    try:
        owner = root.stat()
        assert stat.S_IMODE(owner.st_mode) == 0o700 or account is None
        assert owner.st_uid == (account.pw_uid if account is not None else os.geteuid())
        import psycopg

        with psycopg.connect(info.postgres_dsn, autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (n int)")
            connection.execute("INSERT INTO kept VALUES (42)")
        assert services.stop_service("postgres", state)
        services.start_service("postgres", state, info)  # `make down && make up`
        with psycopg.connect(info.postgres_dsn) as connection:
            assert connection.execute("SELECT n FROM kept").fetchone() == (42,)
    finally:
        services.stop_service("postgres", state)
    # A new state directory of the same path (`make clean`: a new password) gets a new cluster.
    shutil.rmtree(state)
    state.mkdir()
    info = embedded_stack_info(state, ports, postgres.password(state))
    services.start_service("postgres", state, info)
    try:
        import psycopg

        with psycopg.connect(info.postgres_dsn) as connection:
            assert connection.execute("SELECT to_regclass('kept')").fetchone() == (None,)
    finally:
        services.stop_service("postgres", state)


def test_a_copy_of_the_checkout_in_a_private_dir_comes_up_and_down(private_dir):
    checkout = private_dir / "fleettap"
    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    for name in files.stdout.splitlines():
        source = REPO_ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    env = stack_environment(checkout / ".local", distinct_free_ports(4), PYTHONPATH=str(checkout))
    env.pop("FLEETTAP_STATE_DIR")  # the default: <checkout>/.local, inside the private dir
    up = subprocess.run(
        [sys.executable, "-m", "harness", "up"], cwd=checkout, env=env, capture_output=True, text=True, timeout=240
    )
    assert up.returncode == 0, up.stdout + up.stderr
    assert "chmod" not in up.stdout + up.stderr
    pids = recorded_pids(checkout / ".local")
    assert {"postgres", "redis", "aws"} <= set(pids)
    down = subprocess.run(
        [sys.executable, "-m", "harness", "down"], cwd=checkout, env=env, capture_output=True, text=True, timeout=120
    )
    assert down.returncode == 0, down.stderr
    assert all_gone(pids)
