"""Kinesis shard write throughput in the emulator (harness/emulator/patches/kinesis.py):
1,000 records and 1 MiB per second per shard, refused as AWS refuses them.

A moto server in this process, with the patches applied, so the budgets' clock can be held still.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests
from botocore.config import Config

from harness.emulator import patches
from harness.emulator.patches import kinesis as kinesis_patches
from tests.support.moto_server import moto_server_in_process

REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    patches.apply_all()
    with moto_server_in_process() as url:
        yield url


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """The budgets' clock, held still until the test moves it."""
    state = {"now": 1000.0}
    monkeypatch.setattr(kinesis_patches, "write_clock", lambda: state["now"])
    monkeypatch.delenv(kinesis_patches.SHARD_LIMITS_ENV, raising=False)

    def advance(seconds: float) -> None:
        state["now"] += seconds

    return advance


@pytest.fixture
def kinesis(endpoint: str):
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    client = boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),  # an SDK retry would hide the refusal
    )
    client.create_stream(StreamName="s", ShardCount=1)
    return client


def _put(kinesis, count: int, size: int = 10) -> dict:
    return kinesis.put_records(
        StreamName="s", Records=[{"Data": b"x" * size, "PartitionKey": f"k{i}"} for i in range(count)]
    )


def _held(kinesis) -> int:
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return len(kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"])


def test_a_shard_takes_1000_records_a_second_and_refuses_the_rest_per_entry(clock, kinesis) -> None:
    assert _put(kinesis, 500)["FailedRecordCount"] == 0
    assert _put(kinesis, 500)["FailedRecordCount"] == 0
    refused = _put(kinesis, 10)
    assert refused["FailedRecordCount"] == 10
    assert {entry["ErrorCode"] for entry in refused["Records"]} == {"ProvisionedThroughputExceededException"}
    assert "Rate exceeded for shard shardId-000000000000 in stream s" in refused["Records"][0]["ErrorMessage"]
    assert _held(kinesis) == 1000  # refused entries are not stored

    clock(0.25)  # a quarter of a second refills 250 records
    partly = _put(kinesis, 300)
    assert partly["FailedRecordCount"] == 50
    assert [("SequenceNumber" in entry) for entry in partly["Records"]] == [True] * 250 + [False] * 50
    assert _held(kinesis) == 1250


def test_a_shard_takes_1_mib_a_second_and_put_record_is_refused_whole(clock, kinesis) -> None:
    kinesis.put_record(StreamName="s", Data=b"x" * 700_000, PartitionKey="a")
    with pytest.raises(kinesis.exceptions.ProvisionedThroughputExceededException, match="Rate exceeded"):
        kinesis.put_record(StreamName="s", Data=b"x" * 700_000, PartitionKey="a")
    clock(1.0)
    kinesis.put_record(StreamName="s", Data=b"x" * 700_000, PartitionKey="a")
    assert _held(kinesis) == 2


def test_each_shard_has_its_own_budget(clock, kinesis) -> None:
    kinesis.create_stream(StreamName="two", ShardCount=2)
    shards = kinesis.describe_stream(StreamName="two")["StreamDescription"]["Shards"]
    keys = [shard["HashKeyRange"]["StartingHashKey"] for shard in shards]
    for key in keys:
        for _ in range(2):
            response = kinesis.put_records(
                StreamName="two",
                Records=[{"Data": b"x", "PartitionKey": "k", "ExplicitHashKey": key} for _ in range(500)],
            )
            assert response["FailedRecordCount"] == 0


def test_the_limit_can_be_switched_off(clock, kinesis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kinesis_patches.SHARD_LIMITS_ENV, "off")
    for _ in range(4):
        assert _put(kinesis, 500)["FailedRecordCount"] == 0
