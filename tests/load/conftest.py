"""A moto server on a free loopback port with the three telemetry streams: enough for the load
tools' own tests, in seconds (the full local stack lives in tests/conftest.py)."""

from __future__ import annotations

import boto3
import pytest
from moto.server import ThreadedMotoServer

from harness.processes import free_port

STREAM_SHARDS = {"gps": 2, "diagnostics": 2, "hos": 1}


@pytest.fixture(scope="session")
def moto_endpoint():
    # Session-wide: moto's backends are process globals, so a second server would see the same
    # streams anyway.
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for kind, shards in STREAM_SHARDS.items():
        kinesis.create_stream(StreamName=f"fleettap-dev-{kind}", ShardCount=shards)
    yield endpoint
    server.stop()


@pytest.fixture
def aws_at(moto_endpoint, monkeypatch, tmp_path):
    """Point boto3 (and child processes) at the moto server, with a private state dir."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FLEETTAP_STATE_DIR": str(tmp_path / "state"),
    }.items():
        monkeypatch.setenv(name, value)
    for leaked in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(leaked, raising=False)
    return moto_endpoint


def client(service: str, endpoint: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def count_stream_records(endpoint: str, stream: str) -> int:
    kinesis = client("kinesis", endpoint)
    total = 0
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            total += len(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return total


def make_streams(endpoint: str, project: str, shards: dict[str, int] | None = None) -> None:
    """Streams `<project>-dev-<kind>` so a test counts only its own records."""
    kinesis = client("kinesis", endpoint)
    for kind, count in (shards or STREAM_SHARDS).items():
        kinesis.create_stream(StreamName=f"{project}-dev-{kind}", ShardCount=count)
