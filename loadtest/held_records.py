"""What the local stack holds for a load run's vehicles inside its window (loadtest.accounting).

Contract: `gather(stack, prefix, sent, run_started, tail_s) -> accounting.HeldRecords`.
- `stack`: the running local stack (harness.config.StackInfo); `prefix`: `<project>-<env>-`.
- The run's vehicles are VH-000001..VH-<vehicles> and their drivers DR-000001..DR-<vehicles>
  (sim.identities numbers them so), matched as zero-padded string ranges.
- `run_started` (epoch s): lake objects written before it belong to earlier runs and are not read.
- `tail_s`: how many of the run's last simulated seconds to count in vehicle_locations and
  vehicle_diagnostics; 0 or less skips them (the emulator no longer holds that tail).
Reads only: Queries (a Scan would page through the whole table, and moto re-sorts the whole table
for each page of a Scan): one per driver with HOS records, one per vehicle (Select COUNT) for each
tail; one SQL count, Redis MGETs of 1,000 keys, and the lake's new Parquet objects
through DuckDB.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from handlers.common.keys import geo_state_key
from harness.runtime.query import mirror_table
from loadtest.accounting import HeldRecords, SentRecords

REDIS_CHUNK = 1000
QUERY_THREADS = 8  # overlaps the round trips; the emulator answers one at a time (GIL) anyway


def vehicle_range(vehicles: int) -> tuple[str, str]:
    return "VH-000001", f"VH-{vehicles:06d}"


def _query_pages(ddb: Any, **kwargs: Any):
    start: dict[str, Any] = {}
    while True:
        page = ddb.query(**kwargs, **start)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def driver_log_keys(ddb: Any, table: str, sent: SentRecords) -> set[tuple[str, int]]:
    """The stored (driver, instant) keys of each driver the run sent HOS records for, between its
    first and last instant sent."""
    spans: dict[str, list[int]] = {}
    for driver, ts in sent.hos_keys:
        span = spans.setdefault(driver, [ts, ts])
        span[0], span[1] = min(span[0], ts), max(span[1], ts)

    def keys(driver: str) -> set[tuple[str, int]]:
        first, last = spans[driver]
        return {
            (driver, int(item["event_time"]["N"]))
            for page in _query_pages(
                ddb,
                TableName=table,
                KeyConditionExpression="driver_id = :d AND event_time BETWEEN :a AND :b",
                ProjectionExpression="event_time",
                ExpressionAttributeValues={":d": {"S": driver}, ":a": {"N": str(first)}, ":b": {"N": str(last)}},
            )
            for item in page["Items"]
        }

    with ThreadPoolExecutor(QUERY_THREADS) as pool:
        return set().union(*pool.map(keys, sorted(spans)))


def tail_items(ddb: Any, table: str, from_ms: int, end_ms: int, vehicles: int) -> int:
    """Items of the run's vehicles from `from_ms` to `end_ms`: one Query (Select COUNT) per vehicle.
    A Scan would do in one call what AWS pages through, but moto re-lists and re-sorts the whole
    table for every page of a Scan (quadratic in the items held), which took minutes here."""

    def count(vehicle_id: str) -> int:
        return sum(
            page["Count"]
            for page in _query_pages(
                ddb,
                TableName=table,
                Select="COUNT",
                KeyConditionExpression="vehicle_id = :v AND #t BETWEEN :a AND :b",
                ExpressionAttributeNames={"#t": "timestamp"},
                ExpressionAttributeValues={
                    ":v": {"S": vehicle_id},
                    ":a": {"N": str(from_ms)},
                    ":b": {"N": str(end_ms - 1)},
                },
            )
        )

    with ThreadPoolExecutor(QUERY_THREADS) as pool:
        return sum(pool.map(count, (f"VH-{number:06d}" for number in range(1, vehicles + 1))))


def history_rows(dsn: str, sent: SentRecords) -> int:
    import psycopg

    first, last = vehicle_range(sent.vehicles)
    with psycopg.connect(dsn, connect_timeout=10) as connection:
        row = connection.execute(
            "SELECT count(*) FROM vehicle_history WHERE ts >= %s AND ts < %s AND vehicle_id BETWEEN %s AND %s",
            (_instant(sent.start_ms), _instant(sent.end_ms), first, last),
        ).fetchone()
    return int(row[0])


def location_fixes(redis_url: str, vehicle_ids: list[str]) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(redis_url)
    found: dict[str, int] = {}
    for at in range(0, len(vehicle_ids), REDIS_CHUNK):
        chunk = vehicle_ids[at : at + REDIS_CHUNK]
        for vehicle_id, raw in zip(chunk, client.mget([geo_state_key(v) for v in chunk]), strict=True):
            state = json.loads(raw) if raw else None
            if state and isinstance(state.get("last_ts_ms"), int):
                found[vehicle_id] = state["last_ts_ms"]
    return found


def lake_location(glue: Any, prefix: str) -> str:
    """The S3 location of the diagnostics table in the stack's Glue database (<project>_<env>_telemetry)."""
    database = f"{prefix.replace('-', '_')}telemetry"
    return glue.get_table(DatabaseName=database, Name="diagnostics")["Table"]["StorageDescriptor"]["Location"]


def lake_rows(s3: Any, location: str, sent: SentRecords, run_started: float) -> tuple[int, int]:
    """(rows, distinct record_ids) of the run's vehicles and window in Parquet objects written since
    `run_started`."""
    import duckdb

    since = dt.datetime.fromtimestamp(run_started, dt.UTC)
    first, last = vehicle_range(sent.vehicles)
    with tempfile.TemporaryDirectory(prefix="fleettap-lake-") as directory:
        files = [str(path) for path in mirror_table(s3, location, Path(directory), since=since)]
        if not files:
            return 0, 0
        rows, distinct = (
            duckdb.connect()
            .execute(
                "SELECT count(*), count(DISTINCT record_id) FROM read_parquet(?, union_by_name = true) "
                "WHERE ts_ms >= ? AND ts_ms < ? AND vehicle_id BETWEEN ? AND ?",
                [files, sent.start_ms, sent.end_ms, first, last],
            )
            .fetchone()
        )
    return int(rows), int(distinct)


def gather(stack: Any, prefix: str, sent: SentRecords, run_started: float, tail_s: float) -> HeldRecords:
    """The tail first (it ages while the rest is read), then the stores that keep everything."""
    ddb = stack.admin_client("dynamodb")
    tail_from = sent.tail_start_ms(tail_s) if tail_s > 0 else None
    tail = (
        {}
        if tail_from is None
        else {
            table: tail_items(ddb, f"{prefix}{table}", tail_from, sent.end_ms, sent.vehicles)
            for table in ("vehicle_locations", "vehicle_diagnostics")
        }
    )
    rows, distinct = lake_rows(
        stack.admin_client("s3"), lake_location(stack.admin_client("glue"), prefix), sent, run_started
    )
    return HeldRecords(
        driver_log_keys=driver_log_keys(ddb, f"{prefix}driver_logs", sent),
        history_rows=history_rows(stack.postgres_dsn, sent),
        lake_rows=rows,
        lake_distinct=distinct,
        fix_ms=location_fixes(stack.redis_url, sorted(sent.last_fix_ms)),
        tail_from_ms=tail_from,
        tail_items=tail,
    )


def _instant(epoch_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC)
