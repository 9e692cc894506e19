"""operations.replay's pure parts: reading the on-failure record, rebuilding the Lambda event (equal
to what the local runtime's pollers send), re-reading a sequence-number range (over in-memory shard
pages), splitting events under the Invoke limit, naming the function."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from harness.runtime.pollers.stream_sources import DynamoDBStreamSource, KinesisSource
from operations.replay import drain, failure_records, lambda_events, stream_range
from operations.replay.cli import function_name

STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/fleettap-dev-gps"
TABLE_STREAM = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/fleettap-dev-vehicle_diagnostics/stream/2026-12-06T00:00:00.000"
)
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fleettap-dev-location"


def invocation_record(key: str, stream: str, start: str, end: str) -> dict:
    return {
        "requestContext": {
            "requestId": "r",
            "functionArn": FUNCTION,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": ""},
        "version": "1.0",
        "timestamp": "2026-12-06T22:00:00.000Z",
        key: {
            "shardId": "shardId-000000000000",
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "approximateArrivalOfFirstRecord": "2026-12-06T21:59:00.000Z",
            "approximateArrivalOfLastRecord": "2026-12-06T21:59:01.000Z",
            "batchSize": 3,
            "streamArn": stream,
        },
    }


def kinesis_batch(start: str = "100", end: str = "102") -> failure_records.FailedBatch:
    return failure_records.parse(json.dumps(invocation_record("KinesisBatchInfo", STREAM, start, end)))


def test_kinesis_and_dynamodb_invocation_records_parse():
    batch = kinesis_batch()
    assert (batch.source_kind, batch.shard_id, batch.start_sequence, batch.end_sequence) == (
        "kinesis",
        "shardId-000000000000",
        "100",
        "102",
    )
    assert batch.function_arn == FUNCTION and batch.condition == "RetryAttemptsExhausted" and batch.batch_size == 3
    ddb = failure_records.parse(json.dumps(invocation_record("DDBStreamBatchInfo", TABLE_STREAM, "5", "9")))
    assert ddb.source_kind == "dynamodb" and ddb.stream_arn == TABLE_STREAM


def test_an_sns_envelope_is_unwrapped():
    envelope = {"Type": "Notification", "Message": json.dumps(invocation_record("KinesisBatchInfo", STREAM, "1", "2"))}
    assert failure_records.parse(json.dumps(envelope)).end_sequence == "2"


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(
            {"reason": "MALFORMED_JSON", "detail": "x", "function": "f", "record": {}}
        ),  # a handler's dead letter
        json.dumps({"requestContext": {"functionArn": FUNCTION}, "requestPayload": {}}),  # an async failure
        json.dumps(invocation_record("KinesisBatchInfo", STREAM, "9", "3")),  # start after end
        "not json",
        "[]",
    ],
)
def test_anything_but_a_stream_batch_record_is_not_parsed(body):
    assert failure_records.parse(body) is None


def test_rebuilt_kinesis_event_equals_what_the_runtime_sends():
    raw = {
        "SequenceNumber": "101",
        "PartitionKey": "VH-000001",
        "Data": b'{"vehicle_id": "VH-000001"}',
        "ApproximateArrivalTimestamp": dt.datetime(2026, 12, 6, 21, 59, tzinfo=dt.UTC),
    }
    runtime = KinesisSource(STREAM, "shardId-000000000000", "http://127.0.0.1:9", "us-east-1")._record(raw)
    assert lambda_events.kinesis_record(raw, kinesis_batch(), "us-east-1") == runtime.event_record
    assert base64.b64decode(runtime.event_record["kinesis"]["data"]) == raw["Data"]


def test_rebuilt_dynamodb_event_equals_what_the_runtime_sends():
    created = dt.datetime(2026, 12, 6, 21, 59, tzinfo=dt.UTC)
    raw = {
        "eventID": "e1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"vehicle_id": {"S": "VH-000001"}, "timestamp": {"N": "1"}},
            "NewImage": {"vehicle_id": {"S": "VH-000001"}, "timestamp": {"N": "1"}},
            "SequenceNumber": "7",
            "SizeBytes": 40,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    source = DynamoDBStreamSource.__new__(DynamoDBStreamSource)  # without the DescribeTable of its constructor
    source.arn, source.region, source._hash_key = TABLE_STREAM, "us-east-1", "vehicle_id"
    batch = failure_records.parse(json.dumps(invocation_record("DDBStreamBatchInfo", TABLE_STREAM, "7", "7")))
    assert (
        lambda_events.dynamodb_record(raw, batch, "us-east-1") == source._record(raw, created.timestamp()).event_record
    )


def test_the_mappings_filter_criteria_apply():
    raws = [
        {"SequenceNumber": str(n), "PartitionKey": "k", "Data": json.dumps({"kind": kind}).encode()}
        for n, kind in ((100, "keep"), (101, "drop"), (102, "keep"))
    ]
    event = lambda_events.build_event(raws, kinesis_batch(), "us-east-1", [{"data": {"kind": ["keep"]}}])
    assert [r["kinesis"]["sequenceNumber"] for r in event["Records"]] == ["100", "102"]


class FakeKinesis:
    """Shard pages in memory: records from the sequence number the iterator names, `page` at a time."""

    def __init__(self, sequences: list[int], page: int = 2, error: str | None = None) -> None:
        self.sequences, self.page, self.error = sequences, page, error
        self.iterator_calls: list[dict] = []

    def get_shard_iterator(self, **kwargs):
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "gone"}}, "GetShardIterator")
        self.iterator_calls.append(kwargs)
        return {"ShardIterator": kwargs["StartingSequenceNumber"]}

    def get_records(self, ShardIterator, Limit, StreamARN):
        rest = [s for s in self.sequences if s >= int(ShardIterator)]
        page = rest[: self.page]
        following = rest[self.page :]
        return {
            "Records": [{"SequenceNumber": str(s), "PartitionKey": "k", "Data": b"{}"} for s in page],
            "NextShardIterator": str(following[0]) if following else str(max(self.sequences) + 1),
            "MillisBehindLatest": 0 if not following else 1000,
        }


def test_the_range_is_read_from_its_start_to_its_end_over_pages():
    kinesis = FakeKinesis([98, 99, 100, 101, 102, 103, 104], page=2)
    records = stream_range.read_range(kinesis_batch("100", "102"), kinesis, None, pause_s=0)
    assert [r["SequenceNumber"] for r in records] == ["100", "101", "102"]
    assert kinesis.iterator_calls[0]["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"


def test_a_trimmed_start_is_refused_not_replayed_partially():
    with pytest.raises(stream_range.RecordsExpired, match="trimmed"):
        stream_range.read_range(kinesis_batch("100", "102"), FakeKinesis([101, 102, 103]), None, pause_s=0)


def test_a_range_the_stream_no_longer_holds_is_expired():
    with pytest.raises(stream_range.RecordsExpired):
        stream_range.read_range(kinesis_batch(), FakeKinesis([], error="TrimmedDataAccessException"), None, pause_s=0)
    with pytest.raises(stream_range.RecordsExpired, match="no record"):
        stream_range.read_range(kinesis_batch(), FakeKinesis([5]), None, pause_s=0)


def test_large_events_are_split_under_the_invoke_limit_in_order(monkeypatch):
    monkeypatch.setattr(drain, "INVOKE_PAYLOAD_LIMIT", 200)
    records = [{"n": n, "pad": "x" * 40} for n in range(10)]
    chunks = drain._chunks(records)
    assert len(chunks) > 1 and [r for c in chunks for r in c] == records
    assert all(len(json.dumps({"Records": c})) <= 200 for c in chunks)


def test_function_keys_become_deployed_names():
    assert function_name("anomaly", "dev", "fleettap") == "fleettap-dev-anomaly"
    assert function_name("driver_notifier", "prod", "fleettap") == "fleettap-prod-driver-notifier"
    assert function_name("fleettap-staging-hos", "dev", "fleettap") == "fleettap-staging-hos"


class FakeSqs:
    def __init__(self, bodies: list[str]) -> None:
        self.messages = {f"m{i}": body for i, body in enumerate(bodies)}
        self.hidden: set[str] = set()
        self.deleted: list[str] = []
        self.released: list[str] = []

    def get_queue_url(self, QueueName, QueueOwnerAWSAccountId):
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def receive_message(self, QueueUrl, MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds):
        visible = [m for m in self.messages if m not in self.hidden][:MaxNumberOfMessages]
        self.hidden |= set(visible)
        return {"Messages": [{"MessageId": m, "ReceiptHandle": m, "Body": self.messages[m]} for m in visible]}

    def delete_message(self, QueueUrl, ReceiptHandle):
        self.deleted.append(ReceiptHandle)
        del self.messages[ReceiptHandle]
        self.hidden.discard(ReceiptHandle)

    def change_message_visibility(self, QueueUrl, ReceiptHandle, VisibilityTimeout):
        self.released.append(ReceiptHandle)
        self.hidden.discard(ReceiptHandle)


class FakePayload:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def read(self) -> bytes:
        return self._body


class FakeLambda:
    """One Kinesis mapping; the invoke fails (batchItemFailures) for events holding sequence `fail_on`."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.invoked: list[list[str]] = []

    def get_function_configuration(self, FunctionName):
        return {"FunctionArn": FUNCTION, "Role": "arn:aws:iam::123456789012:role/location"}

    def get_paginator(self, name):
        mapping = {
            "UUID": "u1",
            "EventSourceArn": STREAM,
            "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:location-dlq"}},
        }
        return type("P", (), {"paginate": lambda self, **kw: [{"EventSourceMappings": [mapping]}]})()

    def invoke(self, FunctionName, InvocationType, Payload):
        sequences = [r["kinesis"]["sequenceNumber"] for r in json.loads(Payload)["Records"]]
        self.invoked.append(sequences)
        failures = [{"itemIdentifier": s} for s in sequences if s == self.fail_on]
        return {"StatusCode": 200, "Payload": FakePayload(json.dumps({"batchItemFailures": failures}).encode())}


def run_drain(bodies: list[str], fail_on: str | None = None, dry_run: bool = False):
    sqs, lam = FakeSqs(bodies), FakeLambda(fail_on)
    kinesis = FakeKinesis(list(range(100, 120)), page=100)
    clients = drain.Clients(lam, sqs, kinesis, None, "us-east-1")
    outcomes = drain.Drain(clients, "fleettap-dev-location", dry_run=dry_run, read_pause_s=0).run()
    return outcomes, sqs, lam


def test_the_drain_replays_in_sequence_order_and_deletes_only_what_succeeded():
    later = json.dumps(invocation_record("KinesisBatchInfo", STREAM, "110", "112"))
    earlier = json.dumps(invocation_record("KinesisBatchInfo", STREAM, "100", "102"))
    dead_letter = json.dumps({"reason": "MALFORMED_JSON", "record": {}})
    outcomes, sqs, lam = run_drain([later, dead_letter, earlier], fail_on="111")
    assert lam.invoked == [["100", "101", "102"], ["110", "111", "112"]]  # shard order, not queue order
    assert [o.status for o in outcomes] == ["replayed", "failed"]
    assert sqs.deleted == ["m2"]  # only the replayed batch's message
    assert set(sqs.messages) == {"m0", "m1"} and not sqs.hidden  # the failed one and the dead letter stay, visible


def test_a_dry_run_invokes_and_deletes_nothing():
    outcomes, sqs, lam = run_drain(
        [json.dumps(invocation_record("KinesisBatchInfo", STREAM, "100", "102"))], dry_run=True
    )
    assert [(o.status, o.records) for o in outcomes] == [("would-replay", 3)]
    assert lam.invoked == [] and sqs.deleted == [] and not sqs.hidden


def test_another_functions_or_streams_batches_are_left_alone():
    other = invocation_record("KinesisBatchInfo", STREAM.replace("gps", "hos"), "100", "102")
    outcomes, sqs, lam = run_drain([json.dumps(other)])
    assert outcomes == [] and lam.invoked == [] and sqs.deleted == [] and not sqs.hidden
