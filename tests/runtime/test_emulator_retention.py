"""The emulator's local data retention (harness/emulator/patches/retention.py and the service modules).

Kinesis records and DynamoDB stream records older than FLEETTAP_LOCAL_RETENTION_S disappear, reads
behave as on AWS after a trim (TRIM_HORIZON moves forward, an iterator into the trimmed range returns
the next records still held, sequence numbers never restart), items of TTL tables leave memory, and
nothing per request is hoarded. The clock the trimming reads (`retention.now`) is moved forward instead
of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest
import requests

from harness.emulator import patches
from harness.emulator.patches import retention
from harness.emulator.patches import sns as sns_patches
from tests.support.moto_server import moto_server_in_process

REGION = "us-east-1"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    patches.apply_all()
    monkeypatch.setenv(retention.RETENTION_ENV, "60")
    state = {"offset": 0.0}
    monkeypatch.setattr(retention, "now", lambda: time.time() + state["offset"])

    def advance(seconds: float) -> None:
        state["offset"] += seconds

    return advance


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto server of its own (in this process, so the tests can move the trimming clock)."""
    with moto_server_in_process() as url:
        yield url


@pytest.fixture
def aws(endpoint: str):
    """Clients of the test's server; every test starts from empty backends."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    return lambda service: boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


def _put(kinesis, count: int, tag: str) -> list[str]:
    response = kinesis.put_records(
        StreamName="s", Records=[{"Data": f"{tag}-{i}".encode(), "PartitionKey": "k"} for i in range(count)]
    )
    assert response["FailedRecordCount"] == 0
    return [r["SequenceNumber"] for r in response["Records"]]


def _read(kinesis, iterator: str) -> list[str]:
    return [r["Data"].decode() for r in kinesis.get_records(ShardIterator=iterator, Limit=100)["Records"]]


def _iterator(kinesis, kind: str, **kwargs) -> str:
    return kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType=kind, **kwargs)[
        "ShardIterator"
    ]


def test_retention_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(retention.RETENTION_ENV, raising=False)
    assert retention.local_retention_s() == retention.DEFAULT_LOCAL_RETENTION_S
    monkeypatch.setenv(retention.RETENTION_ENV, "300")
    assert retention.local_retention_s() == 300
    assert retention.effective_retention_s(86400) == 300
    assert retention.effective_retention_s(100) == 100  # never longer than AWS's own retention
    for off in ("0", "off"):
        monkeypatch.setenv(retention.RETENTION_ENV, off)
        assert retention.local_retention_s() is None
        assert retention.effective_retention_s(86400) == 86400
    monkeypatch.setenv(retention.RETENTION_ENV, "soon")
    with pytest.raises(ValueError, match=retention.RETENTION_ENV):
        retention.local_retention_s()


def test_kinesis_records_older_than_the_retention_disappear(clock, aws) -> None:
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    old = _put(kinesis, 5, "old")
    from_start = _iterator(kinesis, "TRIM_HORIZON")
    at_third = _iterator(kinesis, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=old[2])
    assert _read(kinesis, at_third) == ["old-2", "old-3", "old-4"]

    clock(61)
    new = _put(kinesis, 2, "new")

    assert int(new[0]) > int(old[-1])
    assert _read(kinesis, _iterator(kinesis, "TRIM_HORIZON")) == ["new-0", "new-1"]  # the horizon moved
    # Iterators positioned in the trimmed range return the next records still held.
    assert _read(kinesis, from_start) == ["new-0", "new-1"]
    assert _read(kinesis, at_third) == ["new-0", "new-1"]
    shard = kinesis.list_shards(StreamName="s")["Shards"][0]
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"] == new[0]


def test_kinesis_shard_trimmed_empty_keeps_numbering(clock, aws) -> None:
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    old = _put(kinesis, 3, "old")
    latest = _iterator(kinesis, "LATEST")
    clock(61)
    assert _read(kinesis, _iterator(kinesis, "TRIM_HORIZON")) == []  # everything expired
    assert _read(kinesis, latest) == []
    new = _put(kinesis, 1, "new")
    assert int(new[0]) == int(old[-1]) + 1
    assert _read(kinesis, latest) == ["new-0"]
    assert _read(kinesis, _iterator(kinesis, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=old[-1])) == ["new-0"]


def test_kinesis_retention_off_keeps_everything(clock, aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(retention.RETENTION_ENV, "off")
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    _put(kinesis, 2, "old")
    clock(3600)  # within the stream's own 24 h
    _put(kinesis, 1, "new")
    assert _read(kinesis, _iterator(kinesis, "TRIM_HORIZON")) == ["old-0", "old-1", "new-0"]
    clock(86400)  # past AWS's retention period: trimmed even with the local retention off
    _put(kinesis, 1, "later")
    assert _read(kinesis, _iterator(kinesis, "TRIM_HORIZON")) == ["later-0"]


def _table(dynamodb, name: str, ttl: bool) -> str:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "vehicle_id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "vehicle_id", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    return dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def _item(ts: int, expires_at: float | None = None) -> dict:
    item = {"vehicle_id": {"S": "VH-000001"}, "timestamp": {"N": str(ts)}}
    if expires_at is not None:
        item["expires_at"] = {"N": str(int(expires_at))}
    return item


def _stream_reader(streams, stream_arn: str):
    shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def iterator(kind: str = "TRIM_HORIZON") -> str:
        return streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType=kind)[
            "ShardIterator"
        ]

    def read(it: str) -> tuple[list[dict], str]:
        response = streams.get_records(ShardIterator=it, Limit=100)
        return response["Records"], response["NextShardIterator"]

    return iterator, read


def test_dynamodb_stream_records_older_than_the_retention_disappear(clock, aws) -> None:
    dynamodb, streams = aws("dynamodb"), aws("dynamodbstreams")
    stream_arn = _table(dynamodb, "t", ttl=False)
    iterator, read = _stream_reader(streams, stream_arn)
    for ts in (1, 2, 3):
        dynamodb.put_item(TableName="t", Item=_item(ts))
    from_start = iterator()
    records, after_first_read = read(from_start)
    assert [r["dynamodb"]["Keys"]["timestamp"]["N"] for r in records] == ["1", "2", "3"]
    old_sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]

    clock(61)
    dynamodb.put_item(TableName="t", Item=_item(4))

    records, _ = read(iterator())  # TRIM_HORIZON moved past the expired records
    assert [r["dynamodb"]["Keys"]["timestamp"]["N"] for r in records] == ["4"]
    assert int(records[0]["dynamodb"]["SequenceNumber"]) == old_sequences[-1] + 1
    records, _ = read(from_start)  # positioned in the trimmed range: the next records still held
    assert [r["dynamodb"]["Keys"]["timestamp"]["N"] for r in records] == ["4"]
    records, _ = read(after_first_read)
    assert [r["dynamodb"]["Keys"]["timestamp"]["N"] for r in records] == ["4"]
    # The table's items are untouched (no TTL on this table).
    assert dynamodb.scan(TableName="t")["Count"] == 4


def test_dynamodb_stream_writes_trim_in_batches_and_reads_skip_what_is_due(clock, aws) -> None:
    """A write drops the expired head only once 1/64 of the records held are due (dropping the head
    of moto's list moves every other record); a read never returns a due record in between."""
    from moto.dynamodb.models import dynamodb_backends

    dynamodb, streams = aws("dynamodb"), aws("dynamodbstreams")
    iterator, read = _stream_reader(streams, _table(dynamodb, "t", ttl=False))
    dynamodb.put_item(TableName="t", Item=_item(0))
    from_start = iterator()
    clock(30)
    for ts in range(1, 128):
        dynamodb.put_item(TableName="t", Item=_item(ts))
    shard = dynamodb_backends["123456789012"][REGION].tables["t"].stream_shard

    clock(31)  # record 0 is due; 1 due of 128 held is under 128 // 64 = 2
    dynamodb.put_item(TableName="t", Item=_item(128))
    assert len(shard.items) == 129  # still held ...
    records, _ = read(from_start)  # ... but never read
    assert [r["dynamodb"]["Keys"]["timestamp"]["N"] for r in records][:2] == ["1", "2"]

    clock(30)  # records 0-127 are due: the next write drops them
    dynamodb.put_item(TableName="t", Item=_item(129))
    assert [r.record["dynamodb"]["Keys"]["timestamp"]["N"] for r in shard.items] == ["128", "129"]
    records, _ = read(from_start)
    assert [r["dynamodb"]["Keys"]["timestamp"]["N"] for r in records] == ["128", "129"]


def test_dynamodb_stream_iterators_are_not_hoarded(clock, aws) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dynamodb, streams = aws("dynamodb"), aws("dynamodbstreams")
    iterator, read = _stream_reader(streams, _table(dynamodb, "t", ttl=False))
    dynamodb.put_item(TableName="t", Item=_item(1))
    it = iterator()
    for _ in range(20):
        _, it = read(it)
    backend = dynamodbstreams_backends["123456789012"][REGION]
    assert len(backend.shard_iterators) == 0
    with pytest.raises(streams.exceptions.ClientError):
        streams.get_records(ShardIterator=stream_arn_with_bad_iterator(it))


def stream_arn_with_bad_iterator(iterator: str) -> str:
    return iterator.rsplit("|", 1)[0] + "|not-an-iterator"


def test_ttl_table_items_expire_or_leave_memory(clock, aws) -> None:
    dynamodb, streams = aws("dynamodb"), aws("dynamodbstreams")
    stream_arn = _table(dynamodb, "telemetry", ttl=True)
    _table(dynamodb, "reference", ttl=False)
    now = time.time()
    dynamodb.put_item(TableName="telemetry", Item=_item(1, expires_at=now + 30))  # expires within the retention
    dynamodb.put_item(TableName="telemetry", Item=_item(2, expires_at=now + 86400))  # still live on AWS
    dynamodb.put_item(TableName="reference", Item=_item(1))
    iterator, read = _stream_reader(streams, stream_arn)
    _, position = read(iterator())  # past the two INSERTs

    clock(61)
    dynamodb.put_item(TableName="telemetry", Item=_item(3, expires_at=now + 86400))
    dynamodb.put_item(TableName="reference", Item=_item(2))

    key = {"vehicle_id": {"S": "VH-000001"}}
    assert "Item" not in dynamodb.get_item(TableName="telemetry", Key={**key, "timestamp": {"N": "1"}})
    assert "Item" not in dynamodb.get_item(TableName="telemetry", Key={**key, "timestamp": {"N": "2"}})
    assert "Item" in dynamodb.get_item(TableName="telemetry", Key={**key, "timestamp": {"N": "3"}})
    assert dynamodb.scan(TableName="reference")["Count"] == 2  # no TTL: every item kept
    records, _ = read(position)
    # The expired item is deleted by "TTL" (REMOVE by the service); the live one leaves memory silently.
    assert [(r["eventName"], r["dynamodb"]["Keys"]["timestamp"]["N"]) for r in records] == [
        ("REMOVE", "1"),
        ("INSERT", "3"),
    ]
    assert records[0]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def test_overwritten_item_is_kept_for_its_latest_write(clock, aws) -> None:
    dynamodb = aws("dynamodb")
    _table(dynamodb, "telemetry", ttl=True)
    later = time.time() + 86400
    dynamodb.put_item(TableName="telemetry", Item=_item(1, expires_at=later))
    clock(40)
    dynamodb.put_item(TableName="telemetry", Item=_item(1, expires_at=later))  # rewritten (redelivery)
    clock(30)  # first write 70 s ago, latest 30 s ago
    dynamodb.put_item(TableName="telemetry", Item=_item(2, expires_at=later))
    assert dynamodb.scan(TableName="telemetry")["Count"] == 2


def test_history_is_bounded(clock, aws, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.sns.models import sns_backends

    monkeypatch.setattr(sns_patches, "SNS_HISTORY_PER_TOPIC", 5)
    sns, sqs, cloudwatch = aws("sns"), aws("sqs"), aws("cloudwatch")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    for i in range(12):
        sns.publish(TopicArn=topic, Message=str(i))
    assert len(sns_backends["123456789012"][REGION].topics[topic].sent_notifications) == 5

    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)  # a repeated delete is still accepted

    cloudwatch.put_metric_data(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1.0}])
    clock(61)
    cloudwatch.put_metric_data(Namespace="n", MetricData=[{"MetricName": "m", "Value": 2.0}])
    assert [d.value for d in cloudwatch_backends["123456789012"][REGION].metric_data] == [2.0]


def test_trimmed_data_is_freed(clock, aws) -> None:
    """Nothing keeps trimmed records or evicted items alive (moto's instance tracking is off)."""
    import gc
    import weakref

    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    kinesis, dynamodb = aws("kinesis"), aws("dynamodb")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    _table(dynamodb, "telemetry", ttl=True)
    _put(kinesis, 3, "old")
    dynamodb.put_item(TableName="telemetry", Item=_item(1, expires_at=time.time() + 86400))
    shard = next(iter(kinesis_backends["123456789012"][REGION].streams["s"].shards.values()))
    table = dynamodb_backends["123456789012"][REGION].tables["telemetry"]
    records = [weakref.ref(record) for record in shard.records.values()]
    items = [weakref.ref(item) for bucket in table.items.values() for item in bucket.values()]
    stream_records = [weakref.ref(record) for record in table.stream_shard.items]
    assert records and items and stream_records

    clock(61)
    _put(kinesis, 1, "new")
    dynamodb.put_item(TableName="telemetry", Item=_item(2, expires_at=time.time() + 86400))
    gc.collect()
    assert [ref() for ref in records + items + stream_records] == [None] * (
        len(records) + len(items) + len(stream_records)
    )
