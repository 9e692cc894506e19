"""Put the applied local stack back to "just seeded": every run of a scenario starts from the same
state, whatever ran before it.

Why: the handlers are stateful the way production is (rolling windows and de-duplication markers
in Redis, a driver's 8-day log in DynamoDB, vehicle history in Aurora). Two scenarios that reuse
`DR-000003` on overlapping simulated hours would otherwise be read as one driver working both
shifts, and re-running a scenario would be de-duplicated into silence.

What it clears (local stack only; it refuses a non-loopback endpoint):
- every item of the stack's DynamoDB tables (`<project>-<env>-*`), then re-seeds the reference
  data (thresholds, HOS rules, fuel benchmarks) exactly as `harness.seed` does. The embedded
  emulator empties them in one request (`harness.emulator.patches.state_reset`); another emulator
  on loopback (one without that route) has its items deleted through the DynamoDB API;
- the local Redis database (FLUSHDB: the embedded Redis serves only this stack);
- every Aurora/Postgres table except the migrations ledger (TRUNCATE);
- the messages waiting in the stack's SQS queues (PurgeQueue), DLQs included.
Kinesis streams keep their records: the pollers' checkpoints are already past them.
Last, it bumps `generation` in stack.json, which the local runtime passes to every function, so
the warm execution environments (and their caches of fences, thresholds and rules) are replaced.

    python -m harness.reset [--project fleettap --env dev]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

LEDGER_TABLE = "schema_migrations"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


class NotLocal(RuntimeError):
    pass


def _require_loopback(endpoint: str) -> None:
    if urlparse(endpoint).hostname not in LOOPBACK_HOSTS:
        raise NotLocal(f"refusing to reset {endpoint}: only the local stack can be wiped")


def _key_names(ddb, table: str) -> list[str]:
    schema = ddb.describe_table(TableName=table)["Table"]["KeySchema"]
    return [k["AttributeName"] for k in schema]


# Deletes in flight at once: the emulator serves requests on threads, so a run's leftovers (a few
# thousand items) are gone in a fraction of the time one batch after another takes.
DELETE_WORKERS = 8


def clear_table(ddb, table: str) -> int:
    keys = _key_names(ddb, table)
    pages = ddb.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
        ExpressionAttributeNames={f"#k{i}": k for i, k in enumerate(keys)},
    )
    items = [item for page in pages for item in page.get("Items", [])]

    def delete(batch: list[dict]) -> None:
        pending = {table: [{"DeleteRequest": {"Key": item}} for item in batch]}
        while pending:  # BatchWriteItem may hand some back; delete is idempotent
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    batches = [items[start : start + 25] for start in range(0, len(items), 25)]
    with ThreadPoolExecutor(DELETE_WORKERS) as pool:
        list(pool.map(delete, batches))  # list(): an error in any batch is raised here
    return len(items)


def empty_tables_in_emulator(endpoint: str, prefix: str) -> dict[str, int] | None:
    """The emulator's one-request wipe of the tables named `prefix...` (items removed per table), or
    None when the emulator does not serve the route (not the embedded one)."""
    import urllib.error
    import urllib.request

    from harness.emulator.patches.state_reset import RESET_PATH

    request = urllib.request.Request(
        endpoint.rstrip("/") + RESET_PATH,
        data=json.dumps({"prefix": prefix}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except (urllib.error.HTTPError, ValueError):  # another emulator: no such route, or not our answer
        return None
    return answer.get("tables") if isinstance(answer, dict) else None


def stack_tables(ddb, prefix: str) -> list[str]:
    names = []
    for page in ddb.get_paginator("list_tables").paginate():
        names += [n for n in page["TableNames"] if n.startswith(prefix)]
    return names


_DEPTH = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")


def purge_queues(sqs, prefix: str) -> int:
    """Empty every non-empty queue of the stack; returns how many held messages."""
    emptied = 0
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_DEPTH))["Attributes"]
        if not any(int(attributes.get(name, 0)) for name in _DEPTH):
            continue
        emptied += 1
        try:
            sqs.purge_queue(QueueUrl=url)
        except sqs.exceptions.PurgeQueueInProgress:
            _drain(sqs, url)  # SQS allows one purge a minute; receive-and-delete has no such limit
    return emptied


def _drain(sqs, url: str) -> None:
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )


def truncate_postgres(conninfo: str) -> list[str]:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> %s", (LEDGER_TABLE,)
            )
        ]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    return sorted(tables)


def bump_generation(state_dir: str) -> int:
    from harness.config import stack_file, write_stack_data

    directory = Path(state_dir)
    data = json.loads(stack_file(directory).read_text())
    data["generation"] = time.time_ns()
    write_stack_data(data, directory)
    return data["generation"]


def reset(project: str = "fleettap", env: str = "dev", stack=None) -> dict:
    import boto3
    import redis

    from harness import seed
    from harness.config import read_stack

    stack = stack or read_stack()
    _require_loopback(stack.aws_endpoint)
    session = dict(
        endpoint_url=stack.aws_endpoint,
        region_name=stack.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    from botocore.config import Config

    pool = Config(max_pool_connections=DELETE_WORKERS * 2)
    ddb, sqs = boto3.client("dynamodb", config=pool, **session), boto3.client("sqs", **session)
    prefix = f"{project}-{env}-"
    cleared = empty_tables_in_emulator(stack.aws_endpoint, prefix)
    if cleared is None:
        cleared = {table: clear_table(ddb, table) for table in stack_tables(ddb, prefix)}
    redis_client = redis.Redis(host=stack.redis_host, port=stack.redis_port)
    redis_client.flushdb()
    truncated = truncate_postgres(stack.postgres_dsn)
    purged = purge_queues(sqs, prefix)
    seeded = seed.seed(ddb, redis_client, seed.table_names(project, env))
    bump_generation(stack.state_dir)
    return {
        "dynamodb_items_deleted": cleared,
        "postgres_tables_truncated": truncated,
        "sqs_queues_emptied": purged,
        "reseeded": seeded,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    args = parser.parse_args(argv)
    print(json.dumps(reset(args.project, args.env), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
