"""Reading a driver's duty-status log from the driver_logs table (DRIVER_LOGS_TABLE)."""

from __future__ import annotations

from handlers.common.aws import client, from_item
from handlers.common.config import get_config


def read_log(driver_id: str, start_ms: int, end_ms: int) -> list[dict]:
    """The driver's items with start_ms <= event_time < end_ms, oldest first (the table's sort key
    order), every page of the Query."""
    items: list[dict] = []
    kwargs: dict = {}
    while True:
        resp = client("dynamodb").query(
            TableName=get_config().driver_logs_table,
            KeyConditionExpression="driver_id = :d AND event_time BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":d": {"S": driver_id},
                ":a": {"N": str(start_ms)},
                ":b": {"N": str(end_ms - 1)},
            },
            **kwargs,
        )
        items += [from_item(i) for i in resp["Items"]]
        if "LastEvaluatedKey" not in resp:
            return items
        kwargs = {"ExclusiveStartKey": resp["LastEvaluatedKey"]}
