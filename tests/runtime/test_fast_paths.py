"""The emulator's fast answers (`harness.emulator.fast_responses`) mean exactly what moto's serializer says.

Each test makes real requests through boto3 to the in-process emulator with the fast paths on,
records the result each fast answer encoded, and checks that botocore parses the fast encoding and
moto's own serializer's encoding of that same result to the same value (same status, Content-Type).
Errors (validation, conditions, throttling) and the checks before an action (IAM, limits) must be
the same with the fast paths on and off.
"""

from __future__ import annotations

import copy
import os
import uuid
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model

from harness.emulator import fast_responses
from tests.runtime import caller_function
from tests.runtime.helpers import create_table

BINARY = bytes(range(256)) + b"\x00\xff\xfe"


@pytest.fixture(autouse=True)
def _fast_on(monkeypatch):
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "on")


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[Any, str]]:
    """Every (result, content type) a fast answer encoded, copied before it was encoded."""
    seen: list[tuple[Any, str]] = []
    real = fast_responses.json_answer

    def spy(body: Any, content_type: str):
        seen.append((copy.deepcopy(body), content_type))
        return real(body, content_type)

    monkeypatch.setattr(fast_responses, "json_answer", spy)
    return seen


_SESSION = botocore.session.get_session()
_HANDLERS = {
    "kinesis": "moto.kinesis.responses.KinesisResponse",
    "dynamodb": "moto.dynamodb.responses.DynamoHandler",
    "dynamodbstreams": "moto.dynamodbstreams.responses.DynamoDBStreamsHandler",
}


def _handler_class(service: str) -> type:
    import importlib

    module, name = _HANDLERS[service].rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _parsed_both_ways(service: str, operation: str, result: Any, content_type: str) -> tuple[Any, Any]:
    """(botocore's parse of the fast encoding, botocore's parse of moto's serializer's encoding)."""
    operation_model = get_service_model(service).operation_model(operation)  # moto's model, as its server
    serializer_cls = get_serializer_class(service, "json")
    serializer = serializer_cls(
        operation_model=operation_model,
        pretty_print=False,
        value_picker=XFormedAttributePicker(
            response_transformers=getattr(_handler_class(service), "RESPONSE_KEY_PATH_TO_TRANSFORMER", None)
        ),
    )
    moto_answer = serializer.serialize(copy.deepcopy(result))
    assert moto_answer["status_code"] == 200
    assert moto_answer["headers"]["Content-Type"] == content_type
    fast_body = fast_responses.encode(result)
    parser = create_parser("json")

    def parse(body: str) -> Any:
        parsed = parser.parse(
            {"status_code": 200, "headers": {"content-type": content_type}, "body": body.encode()},
            _SESSION.get_service_model(service).operation_model(operation).output_shape,
        )
        parsed.pop("ResponseMetadata", None)
        return parsed

    return parse(fast_body), parse(moto_answer["body"])


def _assert_same_meaning(service: str, operation: str, recorded: list, at_least: int = 1) -> None:
    assert len(recorded) >= at_least, f"no fast answer was recorded for {operation}"
    for result, content_type in recorded:
        fast, moto = _parsed_both_ways(service, operation, result, content_type)
        assert fast == moto
    recorded.clear()


def _stream(kinesis) -> str:
    name = f"fast-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def _sized_item(index: int, size: int) -> dict[str, Any]:
    """_item(index) with a string attribute padding it to `size` bytes as DynamoDB (and moto) count
    them: attribute names plus values."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    item = _item(index)
    used = sum(bytesize(k) + DynamoType(v).size() for k, v in item.items()) + bytesize("pad")
    item["pad"] = {"S": "x" * (size - used)}
    return item


def test_an_item_at_the_size_limit_is_stored_and_one_byte_more_refused_both_ways(runtime_stack, monkeypatch):
    """moto's limit (405,000 bytes) holds on the fast item construction as on moto's own."""
    dynamodb = runtime_stack.client("dynamodb")
    table = create_table(dynamodb)
    for index, mode in ((20, "on"), (21, "off")):
        monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, mode)
        dynamodb.put_item(TableName=table, Item=_sized_item(index, 405_000))
        stored = dynamodb.get_item(TableName=table, Key={k: _item(index)[k] for k in ("pk", "sk")})["Item"]
        assert stored == _sized_item(index, 405_000), mode
        with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
            dynamodb.put_item(TableName=table, Item=_sized_item(index + 100, 405_001))


def _item(index: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"veh-{index % 7}"},
        "sk": {"N": str(1_700_000_000_000 + index)},
        "signals": {"M": {"rpm": {"N": "1830.5"}, "coolant_c": {"N": "-4"}, "dtc": {"L": [{"S": "P0301"}]}}},
        "ok": {"BOOL": index % 2 == 0},
        "none": {"NULL": True},
        "raw": {"B": BINARY[: 16 + index]},
        "tags": {"SS": ["a", "b"]},
        "blobs": {"BS": [b"\x00\x01", b"\xff"]},
        "counts": {"NS": ["1", "2.5"]},
        "text": {"S": "ünïcødé ✓"},
    }


def test_kinesis_put_and_get_records_answers_mean_what_moto_says(runtime_stack, recorded):
    kinesis = runtime_stack.client("kinesis")
    arn = _stream(kinesis)
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    latest = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    empty = kinesis.get_records(StreamARN=arn, ShardIterator=latest)
    assert empty["Records"] == []
    _assert_same_meaning("kinesis", "GetRecords", recorded)

    records = [{"Data": BINARY[: i % 200] + f"#{i}".encode(), "PartitionKey": f"veh-{i}"} for i in range(500)]
    put = kinesis.put_records(StreamARN=arn, Records=records)
    assert put["FailedRecordCount"] == 0 and len(put["Records"]) == 500
    _assert_same_meaning("kinesis", "PutRecords", recorded)

    iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    got = kinesis.get_records(StreamARN=arn, ShardIterator=iterator, Limit=100)
    assert [r["Data"] for r in got["Records"]] == [r["Data"] for r in records[:100]]
    assert [r["SequenceNumber"] for r in got["Records"]] == [r["SequenceNumber"] for r in put["Records"][:100]]
    assert got["Records"][0]["ApproximateArrivalTimestamp"].tzinfo is not None
    _assert_same_meaning("kinesis", "GetRecords", recorded)


def test_dynamodb_writes_and_stream_reads_answers_mean_what_moto_says(runtime_stack, recorded):
    dynamodb = runtime_stack.client("dynamodb")
    table = create_table(dynamodb, stream=True)
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = runtime_stack.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    empty = streams.get_records(ShardIterator=iterator)
    assert empty["Records"] == []
    _assert_same_meaning("dynamodbstreams", "GetRecords", recorded)

    for start in (0, 25):
        answer = dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": _item(i)}} for i in range(start, start + 25)]},
            ReturnConsumedCapacity="TOTAL",
        )
        assert answer["UnprocessedItems"] == {}
    _assert_same_meaning("dynamodb", "BatchWriteItem", recorded, at_least=2)

    dynamodb.put_item(TableName=table, Item=_item(3), ReturnValues="ALL_OLD", ReturnConsumedCapacity="INDEXES")
    dynamodb.put_item(TableName=table, Item=_item(99))
    dynamodb.put_item(
        TableName=table, Item=_item(99), ConditionExpression="attribute_exists(pk)", ReturnConsumedCapacity="TOTAL"
    )
    _assert_same_meaning("dynamodb", "PutItem", recorded, at_least=3)

    got = streams.get_records(ShardIterator=iterator, Limit=100)
    assert len(got["Records"]) == 50 + 3
    first = got["Records"][0]["dynamodb"]
    assert first["NewImage"]["raw"]["B"] == BINARY[:16]
    assert first["NewImage"]["blobs"]["BS"] == [b"\x00\x01", b"\xff"]
    assert got["Records"][50]["dynamodb"]["OldImage"]["pk"] == {"S": "veh-3"}
    _assert_same_meaning("dynamodbstreams", "GetRecords", recorded)


def test_dynamodb_query_answers_mean_what_moto_says(runtime_stack, recorded):
    dynamodb = runtime_stack.client("dynamodb")
    table = create_table(dynamodb)
    dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _item(i)}} for i in range(21)]})
    recorded.clear()
    everything = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "veh-0"}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert [item["sk"]["N"] for item in everything["Items"]] == [str(1_700_000_000_000 + i) for i in (0, 7, 14)]
    assert everything["Items"][0]["raw"]["B"] == BINARY[:16]
    assert everything["Items"][0]["blobs"]["BS"] == [b"\x00\x01", b"\xff"]
    assert everything["Items"][0]["signals"]["M"]["dtc"] == {"L": [{"S": "P0301"}]}
    page = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND sk > :after",
        ExpressionAttributeValues={":pk": {"S": "veh-1"}, ":after": {"N": "0"}},
        ProjectionExpression="pk, sk, #t",
        ExpressionAttributeNames={"#t": "text"},
        ScanIndexForward=False,
        Limit=2,
    )
    assert len(page["Items"]) == 2 and page["LastEvaluatedKey"]["pk"] == {"S": "veh-1"}
    assert page["Items"][0] == {"pk": {"S": "veh-1"}, "sk": {"N": "1700000000015"}, "text": {"S": "ünïcødé ✓"}}
    counted = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "veh-2"}},
        Select="COUNT",
    )
    assert counted["Count"] == 3 and "Items" not in counted
    _assert_same_meaning("dynamodb", "Query", recorded, at_least=3)


def _error(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def _both_ways(monkeypatch, call) -> list[tuple[str, int, str]]:
    answers = []
    for mode in ("on", "off"):
        monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, mode)
        answers.append(_error(call))
    return answers


def test_errors_and_limits_are_answered_the_same_with_fast_paths_on_and_off(runtime_stack, monkeypatch, recorded):
    kinesis = runtime_stack.client("kinesis")
    dynamodb = runtime_stack.client("dynamodb")
    arn = _stream(kinesis)
    table = create_table(dynamodb)
    cases = {
        "bad iterator": lambda: kinesis.get_records(StreamARN=arn, ShardIterator="bm90LWFuLWl0ZXJhdG9y" * 4),
        "501 records": lambda: kinesis.put_records(StreamARN=arn, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501),
        "record over 1 MiB": lambda: kinesis.put_records(
            StreamARN=arn, Records=[{"Data": b"x" * (1024 * 1024 + 1), "PartitionKey": "k"}]
        ),
        "duplicate keys": lambda: dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": _item(1)}}, {"PutRequest": {"Item": _item(1)}}]}
        ),
        "failed condition": lambda: dynamodb.put_item(
            TableName=table, Item=_item(5), ConditionExpression="attribute_exists(pk)"
        ),
        "missing table": lambda: dynamodb.batch_write_item(
            RequestItems={"no-such-table": [{"PutRequest": {"Item": _item(1)}}]}
        ),
        "item over 400 KB": lambda: dynamodb.put_item(TableName=table, Item=_sized_item(9, 405_001)),
        "item over 400 KB in a batch": lambda: dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": _sized_item(10, 405_001)}}]}
        ),
    }
    for name, call in cases.items():
        fast, moto = _both_ways(monkeypatch, call)
        assert fast == moto, name
    assert recorded == []  # no error went through the fast encoder


def test_a_throttling_error_raised_by_the_backend_is_moto_serialized(runtime_stack, monkeypatch):
    from moto.core.exceptions import JsonRESTError
    from moto.kinesis.models import KinesisBackend

    kinesis = runtime_stack.client("kinesis")
    arn = _stream(kinesis)

    def throttled(*args, **kwargs):
        raise JsonRESTError("ProvisionedThroughputExceededException", "Rate exceeded for shard shardId-000000000000")

    monkeypatch.setattr(KinesisBackend, "put_records", throttled)
    kinesis_no_retry = runtime_stack.client("kinesis")
    kinesis_no_retry.meta.events.register("needs-retry.*", lambda **_: None, unique_id="no-retry")
    fast, moto = _both_ways(
        monkeypatch, lambda: kinesis_no_retry.put_records(StreamARN=arn, Records=[{"Data": b"x", "PartitionKey": "k"}])
    )
    assert fast == moto
    assert fast[0] == "ProvisionedThroughputExceededException"


def test_a_role_without_the_grant_is_still_refused_on_the_fast_paths(runtime_stack):
    assert fast_responses.enabled()
    kinesis = runtime_stack.client("kinesis")
    arn = _stream(kinesis)
    table = create_table(runtime_stack.client("dynamodb"))
    _, role_arn = caller_function.create_role(runtime_stack.client("iam"), [])
    name = caller_function.deploy(runtime_stack, role_arn)
    calls = [
        {
            "service": "kinesis",
            "method": "put_records",
            "args": {"StreamARN": arn, "Records": [{"Data": "x", "PartitionKey": "k"}]},
        },
        {
            "service": "dynamodb",
            "method": "batch_write_item",
            "args": {"RequestItems": {table: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}}}]}},
        },
    ]
    failed, answers = caller_function.invoke(runtime_stack, name, calls)
    assert not failed
    assert [a.get("code") for a in answers] == ["AccessDeniedException", "AccessDeniedException"], answers
    assert "kinesis:PutRecords" in answers[0]["message"]
    assert "dynamodb:BatchWriteItem" in answers[1]["message"]
    assert kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["OpenShardCount"] == 1


def test_the_switch_reads_the_environment_at_each_call(monkeypatch):
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "off")
    assert not fast_responses.enabled()
    monkeypatch.delenv(fast_responses.FAST_PATHS_ENV)
    assert fast_responses.enabled()
    assert os.environ.get(fast_responses.FAST_PATHS_ENV) is None


# ------------------------------------------------------------------ the runtime's direct reads


def _http_kinesis_page(kinesis, arn: str, iterator: str) -> dict:
    page = kinesis.get_records(StreamARN=arn, ShardIterator=iterator, Limit=1000)
    page.pop("ResponseMetadata")
    for record in page["Records"]:
        record["ApproximateArrivalTimestamp"] = record["ApproximateArrivalTimestamp"].timestamp()
    return page


def test_a_direct_kinesis_read_gives_what_the_api_gives(runtime_stack):
    from harness.runtime.pollers import direct_reads

    kinesis = runtime_stack.client("kinesis")
    arn = _stream(kinesis)
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    assert direct_reads.kinesis_get_records(arn, iterator, 1000) == _http_kinesis_page(kinesis, arn, iterator)
    kinesis.put_records(
        StreamARN=arn, Records=[{"Data": BINARY[i:] + b"\n", "PartitionKey": f"k{i}"} for i in range(300)]
    )
    direct = direct_reads.kinesis_get_records(arn, iterator, 1000)
    assert len(direct["Records"]) == 300 and direct["Records"][5]["Data"] == BINARY[5:] + b"\n"
    assert direct == _http_kinesis_page(kinesis, arn, iterator)
    page = direct_reads.kinesis_get_records(arn, iterator, 100)
    assert len(page["Records"]) == 100
    assert page["Records"] == direct["Records"][:100]
    nxt = direct_reads.kinesis_get_records(arn, page["NextShardIterator"], 1000)
    assert [r["SequenceNumber"] for r in nxt["Records"]] == [r["SequenceNumber"] for r in direct["Records"][100:]]


def test_a_direct_stream_read_gives_what_the_api_gives(runtime_stack):
    from harness.runtime.pollers import direct_reads

    dynamodb = runtime_stack.client("dynamodb")
    table = create_table(dynamodb, stream=True)
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = runtime_stack.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    assert direct_reads.dynamodb_stream_get_records(arn, iterator, 1000)["Records"] == []
    dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _item(i)}} for i in range(20)]})
    dynamodb.put_item(TableName=table, Item=_item(4))  # a MODIFY with an old image
    direct = direct_reads.dynamodb_stream_get_records(arn, iterator, 1000)
    http = streams.get_records(ShardIterator=iterator, Limit=1000)

    def as_event(value):  # botocore's datetimes as the epoch seconds the pollers use
        if isinstance(value, dict):
            return {k: as_event(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_event(v) for v in value]
        if hasattr(value, "timestamp"):
            return value.timestamp()
        return value

    assert len(direct["Records"]) == 21
    expected = as_event(http["Records"])
    for mine, theirs in zip(direct["Records"], expected):
        for key in set(mine) | set(theirs):
            if key != "dynamodb":
                assert mine.get(key) == theirs.get(key), key
        for key in set(mine["dynamodb"]) | set(theirs["dynamodb"]):
            assert mine["dynamodb"].get(key) == theirs["dynamodb"].get(key), key
    assert direct["Records"] == expected
    assert direct["Records"][0]["dynamodb"]["NewImage"]["raw"]["B"] == BINARY[:16]
    # The backend's own records are untouched (copies down to the `dynamodb` map).
    again = direct_reads.dynamodb_stream_get_records(arn, iterator, 1000)
    assert again["Records"] == direct["Records"]


def test_direct_reads_step_aside_when_off_or_for_a_stream_this_process_does_not_hold(runtime_stack, monkeypatch):
    from harness.runtime.pollers import direct_reads

    kinesis = runtime_stack.client("kinesis")
    arn = _stream(kinesis)
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    assert direct_reads.kinesis_get_records(arn, iterator, 10) is not None
    other = arn.replace(":stream/", ":stream/not-held-")
    assert direct_reads.kinesis_get_records(other, iterator, 10) is None
    missing = "arn:aws:dynamodb:us-east-1:123456789012:table/not-held/stream/2026-01-01T00:00:00.000"
    assert direct_reads.dynamodb_stream_get_records(missing, "x", 10) is None
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "off")
    assert direct_reads.kinesis_get_records(arn, iterator, 10) is None
