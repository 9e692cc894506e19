"""The emulator's DynamoDB data-plane requests read with json.loads (harness/emulator/patches/dynamodb.py
`data_plane_requests_read_as_json`): the same parameters as moto's shape-driven parser for every
body without a blob, moto's parser for the rest, and items with blobs still stored byte for byte."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

from harness.emulator.patches.dynamodb import BLOB_MEMBER, JSON_PARSED_ACTIONS, data_plane_requests_read_as_json
from tests.runtime.helpers import create_table

MODEL = get_service_model("dynamodb")
SERIALIZER = create_serializer("json")

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=20)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**12), 10**12) | st.decimals(allow_nan=False, places=3)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda ss: {"SS": sorted(set(ss))}, st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3)),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3))
        | st.builds(
            lambda m: {"M": m}, st.dictionaries(names.filter(lambda k: k not in ("B", "BS")), inner, max_size=3)
        )
    ),
    max_leaves=8,
)
items = st.dictionaries(names.filter(lambda k: k not in ("B", "BS")), values, min_size=1, max_size=6)


def _body(action: str, params: dict) -> bytes:
    request = SERIALIZER.serialize_to_request(params, MODEL.operation_model(action))
    return request["body"] if isinstance(request["body"], bytes) else request["body"].encode()


def _moto_parse(action: str, body: bytes) -> dict:
    parser = PROTOCOL_PARSERS["json"](MODEL.operation_model(action), map_type=DynamoHandler.PROTOCOL_PARSER_MAP_TYPE)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{action}"}
    return parser.parse(
        {"method": "POST", "values": {}, "headers": headers, "body": body, "url_path": "/", "url_params": {}}
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items, limit=st.integers(1, 1000), consistent=st.booleans())
def test_data_plane_bodies_parse_to_what_moto_parses(item, limit, consistent):
    key = {"pk": {"S": "VH-000001"}, "sk": {"N": "1"}}
    requests = {
        "PutItem": {"TableName": "t", "Item": {**item, **key}, "ConditionExpression": "attribute_not_exists(pk)"},
        "BatchWriteItem": {"RequestItems": {"t": [{"PutRequest": {"Item": {**item, **key}}}]}},
        "GetItem": {"TableName": "t", "Key": key, "ConsistentRead": consistent},
        "Query": {
            "TableName": "t",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "VH-000001"}, ":x": next(iter(item.values()))},
            "Limit": limit,
            "ExclusiveStartKey": key,
            "ScanIndexForward": consistent,
        },
        "UpdateItem": {
            "TableName": "t",
            "Key": key,
            "UpdateExpression": "SET #a = :x",
            "ExpressionAttributeNames": {"#a": next(iter(item))},
            "ExpressionAttributeValues": {":x": next(iter(item.values()))},
            "ReturnValues": "ALL_NEW",
        },
        "Scan": {"TableName": "t", "Select": "COUNT", "Limit": limit},
    }
    for action, params in requests.items():
        body = _body(action, params)
        assert not BLOB_MEMBER.search(body)
        assert json.loads(body) == _moto_parse(action, body), action


def _call(action: str, body: bytes, monkeypatch, fast: str = "on") -> tuple[dict | None, list]:
    monkeypatch.setenv("FLEETTAP_FAST_PATHS", fast)
    parsed_by_moto: list = []
    handler = SimpleNamespace(_get_action=lambda: action, params=None)
    data_plane_requests_read_as_json(
        lambda self, request: parsed_by_moto.append(request.data), handler, SimpleNamespace(data=body)
    )
    return handler.params, parsed_by_moto


def test_blobs_other_actions_bad_bodies_and_the_switch_go_to_moto(monkeypatch):
    plain = _body("GetItem", {"TableName": "t", "Key": {"pk": {"S": "a"}}})
    assert _call("GetItem", plain, monkeypatch) == (json.loads(plain), [])
    blob = _body("GetItem", {"TableName": "t", "Key": {"pk": {"B": b"\x00\x01"}}})
    blob_set = _body("PutItem", {"TableName": "t", "Item": {"pk": {"S": "a"}, "v": {"BS": [b"x"]}}})
    spaced = b'{"TableName": "t", "Key": {"pk": {"B" : "AAE="}}}'
    for action, body in (("GetItem", blob), ("PutItem", blob_set), ("GetItem", spaced), ("GetItem", b"not json")):
        assert _call(action, body, monkeypatch) == (None, [body]), body
    assert _call("CreateTable", plain, monkeypatch) == (None, [plain])
    assert _call("GetItem", b"[1, 2]", monkeypatch) == (None, [b"[1, 2]"])
    assert _call("GetItem", plain, monkeypatch, fast="off") == (None, [plain])
    assert "CreateTable" not in JSON_PARSED_ACTIONS and {"BatchWriteItem", "Query", "PutItem"} <= JSON_PARSED_ACTIONS


@pytest.mark.parametrize("fast", ["on", "off"])
def test_items_with_blobs_and_without_are_stored_and_read_back_alike(runtime_stack, monkeypatch, fast):
    monkeypatch.setenv("FLEETTAP_FAST_PATHS", fast)
    ddb = runtime_stack.client("dynamodb")
    table = create_table(ddb)
    plain = {"pk": {"S": "VH-1"}, "sk": {"N": "1"}, "m": {"M": {"x": {"L": [{"N": "1.5"}, {"NULL": True}]}}}}
    blobs = {"pk": {"S": "VH-1"}, "sk": {"N": "2"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a", b"b"]}}
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": plain}}, {"PutRequest": {"Item": blobs}}]})
    found = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "VH-1"}}
    )["Items"]
    assert found == [plain, blobs]
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "VH-1"}, "sk": {"N": "2"}})["Item"] == blobs
