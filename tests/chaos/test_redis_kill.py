"""The redis-kill fault on a real redis-server: the node comes back empty, never with the data set of
the stack's last clean stop (the snapshot harness persistence keeps for `make down`/`make up`)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import redis

from chaos.config import ChaosConfig
from chaos.faults import build
from chaos.faults.base import FaultContext
from harness import processes, services
from harness.config import StackInfo
from tests.conftest import make_state_dir


@pytest.fixture
def redis_only(monkeypatch):
    monkeypatch.setenv("FLEETTAP_PERSISTENCE", "1")
    state = make_state_dir("fleettap-redis-kill-")
    info = StackInfo(
        aws_endpoint="http://127.0.0.1:1",
        region="us-east-1",
        redis_host="127.0.0.1",
        redis_port=processes.free_port(),
        postgres_host="127.0.0.1",
        postgres_port=1,
        postgres_user="x",
        postgres_password="x",
        postgres_dbname="x",
        mock_api_url="http://127.0.0.1:1",
        state_dir=str(state),
    )
    services.start_service("redis", state, info)
    try:
        yield state, info
    finally:
        services.stop_service("redis", state)
        shutil.rmtree(state, ignore_errors=True)


def test_a_killed_redis_comes_back_empty_not_from_the_last_clean_stop(redis_only):
    state, info = redis_only
    client = redis.Redis(host=info.redis_host, port=info.redis_port)
    client.set("dedupe:VH-1:COOLANT", "from an earlier run")
    client.save()  # what SIGTERM at `make down` writes: the snapshot a restart would read
    assert services.redis_snapshot(Path(state)).exists()
    client.set("dash:vehicle:VH-1", "this run")

    fault = build("redis-kill")
    ctx = FaultContext(ChaosConfig(faults=("redis-kill",)), random.Random(1), info, Path(state))
    fault.inject(ctx)
    fault.heal(ctx)

    client = redis.Redis(host=info.redis_host, port=info.redis_port)
    assert client.dbsize() == 0, client.keys("*")
    assert any("restarted" in note for note in ctx.notes), ctx.notes
