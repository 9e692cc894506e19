"""DynamoDB Query on a table reads only the queried partition (harness/emulator/patches/dynamodb.py),
with moto's answers unchanged: key conditions, order, paging, indexes, tables without a sort key."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from moto.dynamodb.models.table import Table

from tests.runtime.helpers import unique

DRIVERS = ("d-a", "d-b", "d-c")
EVENTS_PER_DRIVER = 30


@pytest.fixture(scope="module")
def tables(runtime_stack) -> SimpleNamespace:
    """A driver log (with an index) and a table without a sort key, in the runtime's emulator, whose
    installation (harness.runtime.install) applies the patch."""
    client = runtime_stack.client("dynamodb")
    logs, rules = unique("logs"), unique("rules")
    client.create_table(
        TableName=logs,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "driver_id", "AttributeType": "S"},
            {"AttributeName": "event_time", "AttributeType": "N"},
            {"AttributeName": "vehicle_id", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "driver_id", "KeyType": "HASH"},
            {"AttributeName": "event_time", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-vehicle",
                "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [
                    {"AttributeName": "vehicle_id", "KeyType": "HASH"},
                    {"AttributeName": "event_time", "KeyType": "RANGE"},
                ],
            }
        ],
    )
    client.create_table(
        TableName=rules,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "rule_set", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "rule_set", "KeyType": "HASH"}],
    )
    # interleaved and out of order, so neither insertion order nor another partition can pass for the answer
    for step in reversed(range(EVENTS_PER_DRIVER)):
        for index, driver in enumerate(DRIVERS):
            client.put_item(
                TableName=logs,
                Item={
                    "driver_id": {"S": driver},
                    "event_time": {"N": str(1000 + step * 10 + index)},
                    "vehicle_id": {"S": f"v-{step % 2}"},
                    "status": {"S": "D" if step % 3 else "ON"},
                },
            )
    client.put_item(TableName=rules, Item={"rule_set": {"S": "us-property"}, "limit": {"N": "11"}})
    return SimpleNamespace(client=client, logs=logs, rules=rules)


def _pages(client, **kwargs) -> list[dict]:
    items, extra = [], {}
    while True:
        response = client.query(**kwargs, **extra)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            return items
        extra = {"ExclusiveStartKey": response["LastEvaluatedKey"]}


def test_query_reads_only_the_partition(tables, monkeypatch):
    listed: list[int] = []
    patched = Table.all_items

    def spy(self):
        items = patched(self)
        listed.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", spy)
    items = _pages(
        tables.client,
        TableName=tables.logs,
        KeyConditionExpression="driver_id = :d",
        ExpressionAttributeValues={":d": {"S": "d-b"}},
    )
    assert len(items) == EVENTS_PER_DRIVER
    assert listed and max(listed) == EVENTS_PER_DRIVER  # moto alone lists the whole table (90 items)


def test_key_conditions_order_and_paging_are_moto_s(tables):
    times = [1000 + step * 10 + 1 for step in range(EVENTS_PER_DRIVER)]  # d-b's events
    window = [t for t in times if 1050 <= t <= 1200]
    items = _pages(
        tables.client,
        TableName=tables.logs,
        Limit=4,
        ScanIndexForward=False,
        KeyConditionExpression="driver_id = :d AND event_time BETWEEN :a AND :b",
        FilterExpression="#s = :on",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":d": {"S": "d-b"}, ":a": {"N": "1050"}, ":b": {"N": "1200"}, ":on": {"S": "ON"}},
    )
    expected = sorted((t for t in window if ((t - 1001) // 10) % 3 == 0), reverse=True)
    assert [int(i["event_time"]["N"]) for i in items] == expected
    assert {i["driver_id"]["S"] for i in items} == {"d-b"}
    assert (
        _pages(
            tables.client,
            TableName=tables.logs,
            KeyConditionExpression="driver_id = :d",
            ExpressionAttributeValues={":d": {"S": "d-nobody"}},
        )
        == []
    )


def test_index_queries_and_tables_without_sort_key(tables):
    by_vehicle = _pages(
        tables.client,
        TableName=tables.logs,
        IndexName="by-vehicle",
        KeyConditionExpression="vehicle_id = :v",
        ExpressionAttributeValues={":v": {"S": "v-1"}},
    )
    assert len(by_vehicle) == len(DRIVERS) * (EVENTS_PER_DRIVER // 2)
    assert {i["driver_id"]["S"] for i in by_vehicle} == set(DRIVERS)
    rules = tables.client.query(
        TableName=tables.rules,
        KeyConditionExpression="rule_set = :r",
        ExpressionAttributeValues={":r": {"S": "us-property"}},
    )["Items"]
    assert rules == [{"rule_set": {"S": "us-property"}, "limit": {"N": "11"}}]
