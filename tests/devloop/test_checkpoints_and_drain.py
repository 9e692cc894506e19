"""Small pure pieces of the loop: stream checkpoints carried over an emulator restart, and the line
the drain prints about what it waits for."""

from __future__ import annotations

from types import SimpleNamespace

from harness.runtime import checkpoints
from scenario_runner.drain import DrainReport


class FakeShardClient:
    def __init__(self, fail: bool = False):
        self.fail, self.calls = fail, []

    def get_shard_iterator(self, **kwargs):
        self.calls.append(kwargs)
        if self.fail:
            raise RuntimeError("TrimmedDataAccessException")
        return {"ShardIterator": "after-49"}


def poller(kind="kinesis", last=None, fail=False):
    source = SimpleNamespace(kind=kind, arn=f"arn:{kind}", shard_id="shardId-0", _client=FakeShardClient(fail))
    return SimpleNamespace(mapping=SimpleNamespace(uuid="m-1"), source=source, last_sequence=last)


def test_a_restored_checkpoint_resumes_after_its_sequence_once():
    checkpoints.restore({("m-1", "shardId-0"): "49"})
    first = poller()
    assert checkpoints.resume_iterator(first) == "after-49"
    assert first.source._client.calls == [
        {
            "ShardId": "shardId-0",
            "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
            "StartingSequenceNumber": "49",
            "StreamARN": "arn:kinesis",
        }
    ]
    assert first.last_sequence == "49", "a poller that reads nothing more keeps the checkpoint for the next save"
    assert checkpoints.resume_iterator(poller()) is None, "used once: a re-created poller starts as configured"


def test_dynamodb_streams_use_their_own_parameter_and_trimmed_records_fall_back():
    checkpoints.restore({("m-1", "shardId-0"): "7"})
    streams = poller("dynamodb")
    assert checkpoints.resume_iterator(streams) == "after-49"
    assert streams.source._client.calls[0]["StreamArn"] == "arn:dynamodb"
    checkpoints.restore({("m-1", "shardId-0"): "7"})
    assert checkpoints.resume_iterator(poller(fail=True)) is None


def test_collect_keeps_restored_checkpoints_of_pollers_that_have_not_read():
    checkpoints.restore({("m-2", "shardId-0"): "5", ("m-1", "shardId-0"): "1"})
    supervisor = SimpleNamespace(
        _pollers={("m-1", "shardId-0"): SimpleNamespace(last_sequence="9"), ("m-3", "q"): SimpleNamespace()}
    )
    assert checkpoints.collect(supervisor) == {("m-2", "shardId-0"): "5", ("m-1", "shardId-0"): "9"}
    checkpoints.restore({})


class Queues:
    def list_queues(self, QueueNamePrefix):
        return {
            "QueueUrls": [f"http://x/1/{QueueNamePrefix}{name}" for name in ("maintenance_alerts", "simobs-a", "fleet")]
        }

    def get_queue_attributes(self, QueueUrl, AttributeNames):
        depth = {"maintenance_alerts": "3", "simobs-a": "9", "fleet": "0"}[QueueUrl.rsplit("fleettap-dev-", 1)[-1]]
        return {"Attributes": {"ApproximateNumberOfMessages": depth, "ApproximateNumberOfMessagesNotVisible": "0"}}


def test_the_drain_names_the_busy_queues_and_the_quiet_time_left():
    printed = []
    report = DrainReport(SimpleNamespace(print=printed.append), quiet_s=20, timeout_s=300, sqs=Queues(), env="dev")
    report(0.0, 3)
    report(2.0, 3)  # within 5 s: nothing new printed
    report(6.0, 3)
    report(12.0, 0)
    assert printed == [
        "draining 0/300 s: 3 messages in queues (maintenance_alerts 3); settled after 20 s unchanged",
        "draining 6/300 s: 3 messages in queues (maintenance_alerts 3); settled after 14 s unchanged",
        "draining 12/300 s: queues empty, waiting 20 s more for late alerts",
    ]
