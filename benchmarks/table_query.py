"""Cost of one DynamoDB Query on a table as the table grows, in moto as shipped and with the runtime's
partition-scoped query (harness/emulator/patches/dynamodb.py, `partition_scoped_query`):
`python -m benchmarks.table_query [--drivers 5000] [--events 1,2,4] [--queries 50]`.

A driver_logs-shaped table (partition driver_id, sort event_time) gets `--drivers` drivers with
each of `--events` duty-status changes. For each size, `--queries` Queries of one driver's log (the
Query hos_processor makes per HOS record) are timed through boto3 on moto in process (no HTTP
server): first with moto's own Table.query, then with the patch. Both must return the same items.
Prints one row per size and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import boto3
from moto import mock_aws

from harness.emulator.patches import dynamodb as dynamodb_patches


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.table_query",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--drivers", type=int, default=5000)
    parser.add_argument("--events", default="1,2,4", help="duty-status changes per driver, one size each")
    parser.add_argument("--queries", type=int, default=50)
    return parser


def _fill(client: Any, drivers: int, events: int) -> None:
    client.create_table(
        TableName="driver_logs",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "driver_id", "AttributeType": "S"},
            {"AttributeName": "event_time", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "driver_id", "KeyType": "HASH"},
            {"AttributeName": "event_time", "KeyType": "RANGE"},
        ],
    )
    for event in range(events):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "driver_id": {"S": f"drv-{d:06d}"},
                        "event_time": {"N": str(1_000_000 + event * 60_000)},
                        "status": {"S": "D"},
                    }
                }
            }
            for d in range(drivers)
        ]
        for start in range(0, len(requests), 25):
            client.batch_write_item(RequestItems={"driver_logs": requests[start : start + 25]})


def _time_queries(query: Callable[[str], int], drivers: int, count: int) -> tuple[float, int]:
    """(median ms per Query, items returned by the last one)."""
    timings, returned = [], 0
    for i in range(count):
        started = time.perf_counter()
        returned = query(f"drv-{(i * 7919) % drivers:06d}")
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), returned


def measure(drivers: int, events: int, queries: int) -> tuple[float, int]:
    """(median ms per Query, items in the last answer) with whichever Table.query is installed."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _fill(client, drivers, events)
        return _time_queries(
            lambda driver: len(
                client.query(
                    TableName="driver_logs",
                    KeyConditionExpression="driver_id = :d AND event_time BETWEEN :a AND :b",
                    ExpressionAttributeValues={":d": {"S": driver}, ":a": {"N": "0"}, ":b": {"N": str(10**13)}},
                )["Items"]
            ),
            drivers,
            queries,
        )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = [int(size) for size in args.events.split(",")]
    shipped = [measure(args.drivers, events, args.queries) for events in sizes]
    for patch in (dynamodb_patches.all_items_of_queried_partition.patch, dynamodb_patches.partition_scoped_query.patch):
        patch.apply()  # only these two: the other emulator patches would change what is measured
    patched = [measure(args.drivers, events, args.queries) for events in sizes]
    rows = []
    for events, (moto_ms, moto_items), (patched_ms, patched_items) in zip(sizes, shipped, patched):
        if not moto_items == patched_items == events:
            raise SystemExit(f"answers differ at {events} events per driver: {moto_items} vs {patched_items}")
        rows.append(
            {
                "table_items": args.drivers * events,
                "events_per_driver": events,
                "moto_ms": round(moto_ms, 3),
                "patched_ms": round(patched_ms, 3),
            }
        )
    print(f"{'table items':>12} {'moto ms/query':>14} {'patched ms/query':>17}")
    for row in rows:
        print(f"{row['table_items']:>12,} {row['moto_ms']:>14.2f} {row['patched_ms']:>17.2f}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
