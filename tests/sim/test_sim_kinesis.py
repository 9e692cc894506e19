"""The Kinesis sink against a moto server: batching, partition keys, retry of failed records."""

import random

import pytest

from sim import aws
from sim.config import SimConfig
from sim.fleet import Fleet, TickBatch
from sim.pacing import pump
from sim.sinks.kinesis import DeliveryFailed, KinesisSink
from tests.sim.sim_records_support import BUSY_START


def _create_streams(kinesis, prefix: str) -> dict:
    streams = {kind: f"{prefix}-{kind}" for kind in aws.STREAM_KINDS}
    for name in streams.values():
        kinesis.create_stream(StreamName=name, ShardCount=2)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return streams


def _read_all(kinesis, stream: str) -> list[tuple[str, bytes]]:
    out = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            out.extend((r["PartitionKey"], r["Data"]) for r in page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return out


class CountingClient:
    """Wraps a real client: records each PutRecords call; fails chosen records on early calls."""

    def __init__(
        self,
        client,
        fail_first_calls: int = 0,
        fail_every: int = 3,
        code: str = "ProvisionedThroughputExceededException",
    ):
        self.client = client
        self.calls: list[list[bytes]] = []
        self.fail_first_calls = fail_first_calls
        self.fail_every = fail_every
        self.code = code

    def put_records(self, StreamName, Records):
        self.calls.append([r["Data"] for r in Records])
        if len(self.calls) > self.fail_first_calls:
            return self.client.put_records(StreamName=StreamName, Records=Records)
        failing = Records[:: self.fail_every]
        passing = [r for i, r in enumerate(Records) if i % self.fail_every]
        results = iter(self.client.put_records(StreamName=StreamName, Records=passing)["Records"] if passing else [])
        out = [
            {"ErrorCode": self.code, "ErrorMessage": "Rate exceeded"} if i % self.fail_every == 0 else next(results)
            for i in range(len(Records))
        ]
        return {"FailedRecordCount": len(failing), "Records": out}


def test_fleet_records_land_in_their_streams_with_vehicle_partition_keys(aws_test_env):
    kinesis = aws.client("kinesis")
    streams = _create_streams(kinesis, "simtest-a")
    fleet = Fleet.build(SimConfig(vehicles=50, duration_s=300, start=BUSY_START), seed=3)
    sink = KinesisSink(CountingClient(kinesis), streams)
    sent = {kind: [] for kind in streams}
    for batch in fleet.batches():
        for kind, items in batch.records.items():
            sent[kind].extend(items)
        sink.send(batch)
    for kind, stream in streams.items():
        assert sorted(_read_all(kinesis, stream)) == sorted(sent[kind])
    assert sink.stats.records == sum(len(items) for items in sent.values())
    assert sink.stats.throttled == sink.stats.failed == 0


def test_large_ticks_are_split_into_500_record_requests(aws_test_env):
    kinesis = aws.client("kinesis")
    streams = _create_streams(kinesis, "simtest-b")
    client = CountingClient(kinesis)
    batch = TickBatch(0, 0)
    batch.records["gps"] = [(f"VH-{i:06d}", b'{"n": %d}' % i) for i in range(1201)]
    KinesisSink(client, streams).send(batch)
    assert [len(call) for call in client.calls] == [500, 500, 201]
    assert len(_read_all(kinesis, streams["gps"])) == 1201


def test_only_failed_records_are_retried_with_backoff(aws_test_env):
    kinesis = aws.client("kinesis")
    streams = _create_streams(kinesis, "simtest-c")
    client = CountingClient(kinesis, fail_first_calls=2)
    sleeps = []
    sink = KinesisSink(client, streams, rng=random.Random(1), sleep=sleeps.append, base_delay_s=0.1)
    batch = TickBatch(0, 0)
    batch.records["diagnostics"] = [(f"VH-{i:06d}", b'{"n": %d}' % i) for i in range(90)]
    sink.send(batch)
    first, second, third = client.calls
    assert len(first) == 90
    assert second == first[::3]  # only the 30 refused records
    assert third == second[::3]  # then only the 10 refused again
    assert sink.stats.throttled == 30 + 10
    assert sink.stats.retries == 2
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.2 and 0 <= sleeps[1] <= 0.4
    delivered = _read_all(kinesis, streams["diagnostics"])
    assert sorted(delivered) == sorted(batch.records["diagnostics"])  # each exactly once
    assert sink.stats.records == 90


def test_gives_up_after_max_attempts_and_reports_failures(aws_test_env):
    kinesis = aws.client("kinesis")
    streams = _create_streams(kinesis, "simtest-d")
    client = CountingClient(kinesis, fail_first_calls=100)
    batch = TickBatch(0, 0)
    batch.records["hos"] = [(f"VH-{i:06d}", b"{}") for i in range(9)]
    sink = KinesisSink(client, streams, max_attempts=3, sleep=lambda s: None)
    with pytest.raises(DeliveryFailed):
        sink.send(batch)
    assert sink.stats.failed == 1 and sink.stats.records == 8
    lenient = KinesisSink(
        CountingClient(kinesis, fail_first_calls=100),
        streams,
        max_attempts=2,
        sleep=lambda s: None,
        raise_on_failure=False,
    )
    lenient.send(batch)
    assert lenient.stats.failed == 1 and lenient.stats.records == 8  # 9 -> 3 refused -> 1


def test_streams_resolved_by_project_env_or_suffix(aws_test_env, monkeypatch):
    kinesis = aws.client("kinesis")
    _create_streams(kinesis, "fleettap-simtest")
    assert aws.resolve_streams(kinesis, "fleettap", "simtest") == {
        kind: f"fleettap-simtest-{kind}" for kind in aws.STREAM_KINDS
    }
    with pytest.raises(LookupError):  # several stacks' streams: the suffix is ambiguous
        aws.resolve_streams(kinesis, "nope", "none")
    monkeypatch.setenv("FLEETTAP_ENV", "simtest")
    sink = KinesisSink.from_environment()
    assert sink.streams["gps"] == "fleettap-simtest-gps"
    fleet = Fleet.build(SimConfig(vehicles=5, duration_s=60, start=BUSY_START), seed=1)
    pump(fleet.batches(), sink)
    assert sink.stats.records == sum(sink.stats.by_kind.values()) > 10
