"""The stack reset's table wipe, both ways, on the same items: the emulator's one-request route
(`harness.emulator.patches.state_reset`) against the item-by-item delete through the DynamoDB API
(`harness.reset.clear_table`, what the reset did before and still does for another emulator).

    python -m benchmarks.reset_ab [--project fleettap --env dev] [--rounds 3]

Run it on an applied local stack after a scenario (`make sim ...`) has left its items: it copies the
stack's items, then per round deletes them through the API, writes them back, and empties the tables
through the route, and writes them back again, so the stack ends as it started. Prints the seconds of
each way per round, the items, the ratio, and the machine's load before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor


def _copy(ddb, tables: list[str]) -> dict[str, list[dict]]:
    return {
        table: [item for page in ddb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
        for table in tables
    }


def _restore(ddb, items: dict[str, list[dict]]) -> None:
    def write(table: str, batch: list[dict]) -> None:
        pending = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(8) as pool:
        jobs = [
            pool.submit(write, table, rows[start : start + 25])
            for table, rows in items.items()
            for start in range(0, len(rows), 25)
        ]
        for job in jobs:
            job.result()


def main(argv: list[str] | None = None) -> int:
    import boto3
    from botocore.config import Config

    from harness import reset
    from harness.config import read_stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    stack = read_stack()
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_endpoint,
        region_name=stack.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(max_pool_connections=reset.DELETE_WORKERS * 2),
    )
    prefix = f"{args.project}-{args.env}-"
    tables = reset.stack_tables(ddb, prefix)
    items = _copy(ddb, tables)
    total = sum(len(rows) for rows in items.values())
    if not total:
        raise SystemExit("the stack's tables are empty: run a scenario first (make sim SCENARIO=hos-violation)")
    print(f"load before: {os.getloadavg()[0]:.2f}; {total} items in {len(tables)} tables")
    api, route = [], []
    for round_ in range(args.rounds):
        began = time.perf_counter()
        for table in tables:
            reset.clear_table(ddb, table)
        api.append(time.perf_counter() - began)
        _restore(ddb, items)
        began = time.perf_counter()
        emptied = reset.empty_tables_in_emulator(stack.aws_endpoint, prefix)
        route.append(time.perf_counter() - began)
        _restore(ddb, items)
        if emptied is None:
            raise SystemExit("this emulator does not serve the reset route")
        print(f"round {round_ + 1}: API deletes {api[-1]:.2f} s, emulator route {route[-1]:.3f} s")
    print(
        f"median: API deletes {sorted(api)[len(api) // 2]:.2f} s, route {sorted(route)[len(route) // 2]:.3f} s, "
        f"ratio {sorted(api)[len(api) // 2] / sorted(route)[len(route) // 2]:.0f}x; "
        f"load after: {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
