"""Reference data a scenario needs, written before the run: geofences and alert thresholds."""

from __future__ import annotations

from decimal import Decimal

from sim import aws


def _dynamo_value(value):
    """DynamoDB wants Decimal, not float, at any depth."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_dynamo_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _dynamo_value(item) for key, item in value.items()}
    return value


def seed_items(dynamodb, table: str, items: list[dict]) -> int:
    resource_table = dynamodb.Table(table)
    with resource_table.batch_writer() as writer:
        for item in items:
            writer.put_item(Item=_dynamo_value(item))
    return len(items)


def seed_scenario(loaded, dynamodb=None, project: str | None = None, env: str | None = None) -> dict[str, int]:
    """Write the scenario's geofences and thresholds; returns table -> items written."""
    import boto3

    if dynamodb is None:
        endpoint, region = aws.endpoint_and_region()
        dynamodb = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=region)
    written = {}
    for suffix, items in (("geofences", loaded.geofences), ("alert_thresholds", loaded.thresholds)):
        if items:
            table = aws.resource_name(suffix, project, env)
            written[table] = seed_items(dynamodb, table, items)
    return written
