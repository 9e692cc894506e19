"""loadtest.held_records against the real local stack (emulator, PostgreSQL, Redis): what a soak's
accounting finds in each store for the run's vehicles and window, and nothing outside them."""

import datetime as dt
import io
import json
import random
import uuid

import boto3
import duckdb
import psycopg
import redis

from loadtest import held_records
from loadtest.accounting import SentRecords

# A window of its own (a random day in 2020), so rows other tests write never fall inside it.
START = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp() * 1000) + random.randrange(300) * 86_400_000


def _sent(vehicles=2) -> SentRecords:
    sent = SentRecords(start_ms=START, duration_s=600, vehicles=vehicles)
    sent.hos_keys = {("DR-000001", START + 1_000), ("DR-000002", START + 2_000)}
    return sent


def _prefix(resources) -> str:
    return f"{resources.project}-test-"


def test_driver_logs_and_telemetry_tails_are_read_for_the_run_only(resources):
    ddb, prefix = boto3.client("dynamodb"), _prefix(resources)
    for driver, at in (("DR-000001", START + 1_000), ("DR-000002", START + 2_000), ("DR-000003", START + 1_500)):
        ddb.put_item(TableName=f"{prefix}driver_logs", Item={"driver_id": {"S": driver}, "event_time": {"N": str(at)}})
    assert held_records.driver_log_keys(ddb, f"{prefix}driver_logs", _sent()) == {
        ("DR-000001", START + 1_000),
        ("DR-000002", START + 2_000),
    }  # DR-000003 is not one of the run's two drivers
    for vehicle, at in (("VH-000001", 500_000), ("VH-000002", 599_500), ("VH-000001", 100_000), ("VH-000003", 550_000)):
        ddb.put_item(
            TableName=f"{prefix}vehicle_locations",
            Item={"vehicle_id": {"S": vehicle}, "timestamp": {"N": str(START + at)}, "geohash": {"S": "dp3"}},
        )
    sent = _sent()
    assert held_records.tail_items(ddb, f"{prefix}vehicle_locations", START + 300_000, sent.end_ms, 2) == 2


def test_history_rows_count_the_run_window_and_vehicles(resources, stack):
    rows = [
        ("VH-000001", START + 1_000),
        ("VH-000002", START + 600_500),  # inside: the window ends a second after the last tick
        ("VH-000002", START + 601_000),  # after the window
        ("VH-000003", START + 2_000),  # not the run's vehicle
        ("VH-000001", START - 1),  # before
    ]
    with psycopg.connect(stack.postgres_dsn) as connection:
        for vehicle, at in rows:
            connection.execute(
                "INSERT INTO vehicle_history (record_id, vehicle_id, ts) VALUES (%s, %s, %s)",
                (f"{vehicle}-d-{at}-{uuid.uuid4().hex[:6]}", vehicle, dt.datetime.fromtimestamp(at / 1000, dt.UTC)),
            )
    assert held_records.history_rows(stack.postgres_dsn, _sent()) == 2


def test_location_fixes_are_the_stored_last_fix_of_each_vehicle(stack):
    client = redis.Redis.from_url(stack.redis_url)
    client.set("geo:state:VH-000001", json.dumps({"last_ts_ms": START + 590_000, "inside": []}))
    client.delete("geo:state:VH-000002")
    client.set("geo:state:VH-000003", json.dumps({"inside": []}))  # no fix recorded yet
    found = held_records.location_fixes(stack.redis_url, ["VH-000001", "VH-000002", "VH-000003"])
    assert found == {"VH-000001": START + 590_000}


def test_lake_rows_read_new_parquet_objects_and_count_doubles(resources, tmp_path):
    s3, glue, prefix = boto3.client("s3"), boto3.client("glue"), _prefix(resources)
    bucket = resources.env["DEAD_LETTER_BUCKET"]
    database = f"{prefix.replace('-', '_')}telemetry"
    glue.create_database(DatabaseInput={"Name": database})
    location = f"s3://{bucket}/lake-{uuid.uuid4().hex[:6]}/diagnostics/"
    glue.create_table(
        DatabaseName=database,
        TableInput={"Name": "diagnostics", "StorageDescriptor": {"Location": location, "Columns": []}},
    )
    assert held_records.lake_location(glue, prefix) == location
    run_started = dt.datetime.now(dt.UTC).timestamp() - 1
    rows = [
        ("VH-000001-d-1", "VH-000001", START + 1_000),
        ("VH-000001-d-1", "VH-000001", START + 1_000),  # delivered twice
        ("VH-000002-d-2", "VH-000002", START + 60_000),
        ("VH-000003-d-3", "VH-000003", START + 60_000),  # not the run's vehicle
        ("VH-000002-d-9", "VH-000002", START + 700_000),  # after the window
    ]
    values = ", ".join(f"('{r}', '{v}', {t})" for r, v, t in rows)
    path = tmp_path / "part-0.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM (VALUES {values}) t(record_id, vehicle_id, ts_ms)) TO '{path}' (FORMAT parquet)"
    )
    key_prefix = location.removeprefix(f"s3://{bucket}/")
    with open(path, "rb") as parquet:
        s3.put_object(Bucket=bucket, Key=f"{key_prefix}date=2020-01-01/part-0.parquet", Body=io.BytesIO(parquet.read()))
    assert held_records.lake_rows(s3, location, _sent(), run_started) == (3, 2)
    assert held_records.lake_rows(s3, location, _sent(), run_started + 3600) == (0, 0)  # older objects: not read
