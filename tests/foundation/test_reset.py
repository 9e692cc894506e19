"""harness.reset against the real local servers: run data gone, reference data back, the runtime
told to replace its warm environments, and nothing outside the stack's prefix touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import reset
from harness.config import read_stack_data
from harness.runtime.local_endpoints import local_overrides

PROJECT, ENV = "resettest", "dev"
PREFIX = f"{PROJECT}-{ENV}-"


def _table(ddb, name: str, hash_key: str, range_key: str | None = None, index_key: str | None = None) -> None:
    """A string-keyed table; with `index_key`, a GSI "by_<index_key>" on it and a stream."""
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    attrs = [{"AttributeName": hash_key, "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
        attrs.append({"AttributeName": range_key, "AttributeType": "S"})
    extra: dict = {}
    if index_key:
        attrs.append({"AttributeName": index_key, "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": f"by_{index_key}",
                "KeySchema": [{"AttributeName": index_key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST", **extra)


def _drop_tables(ddb) -> None:
    for name in [n for n in ddb.list_tables()["TableNames"] if n.startswith((PREFIX, "other-stack"))]:
        ddb.delete_table(TableName=name)


@pytest.fixture
def stack_with_run_data(local_stack, aws_client, redis_client, pg_connection):
    ddb, sqs = aws_client("dynamodb"), aws_client("sqs")
    _drop_tables(ddb)
    for suffix, hash_key, range_key in (
        ("driver_logs", "driver_id", "event_time"),
        ("alert_thresholds", "scope", "metric"),
        ("compliance_rules", "rule_set", "rule_code"),
        ("geofences", "geofence_id", None),
    ):
        _table(ddb, PREFIX + suffix, hash_key, range_key)
    _table(ddb, "other-stack-driver_logs", "driver_id", "event_time")
    for i in range(60):  # more than one BatchWriteItem of 25
        item = {"driver_id": {"S": "DR-000003"}, "event_time": {"S": f"{i:04d}"}}
        ddb.put_item(TableName=PREFIX + "driver_logs", Item=item)
    ddb.put_item(TableName="other-stack-driver_logs", Item={"driver_id": {"S": "DR-1"}, "event_time": {"S": "1"}})
    ddb.put_item(
        TableName=PREFIX + "alert_thresholds",
        Item={"scope": {"S": "vehicle#VH-000001"}, "metric": {"S": "coolant_temp_c"}},
    )
    queue = sqs.create_queue(QueueName=PREFIX + "maintenance-alerts")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="left over")
    redis_client.set("geo:state:VH-000001", "{}")
    pg_connection.execute("CREATE TABLE IF NOT EXISTS reset_probe (id int)")
    pg_connection.execute("INSERT INTO reset_probe VALUES (1)")
    pg_connection.execute(  # the ledger's shape from harness.migrate (other tests may have made it)
        "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, name text NOT NULL,"
        " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    pg_connection.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ('999', 'probe', 'x') ON CONFLICT DO NOTHING"
    )
    yield ddb, sqs, queue
    _drop_tables(ddb)
    sqs.delete_queue(QueueUrl=queue)
    pg_connection.execute("DROP TABLE IF EXISTS reset_probe")
    pg_connection.execute("DELETE FROM schema_migrations WHERE version = '999'")


def test_reset_leaves_only_reference_data(local_stack, stack_with_run_data, redis_client, pg_connection):
    ddb, sqs, queue = stack_with_run_data
    before = read_stack_data(local_stack.state_dir).get("generation")

    summary = reset.reset(PROJECT, ENV, stack=local_stack)

    assert summary["dynamodb_items_deleted"][PREFIX + "driver_logs"] == 60
    assert ddb.scan(TableName=PREFIX + "driver_logs")["Count"] == 0
    assert ddb.scan(TableName="other-stack-driver_logs")["Count"] == 1, "another stack's table was wiped"
    thresholds = ddb.scan(TableName=PREFIX + "alert_thresholds")["Items"]
    assert thresholds and all(item["scope"]["S"] != "vehicle#VH-000001" for item in thresholds)
    assert ddb.scan(TableName=PREFIX + "compliance_rules")["Count"] == summary["reseeded"]["compliance_rules"] > 0
    assert redis_client.get("geo:state:VH-000001") is None
    assert summary["reseeded"]["fuel_benchmarks"] > 0 and redis_client.keys("*")
    assert pg_connection.execute("SELECT count(*) FROM reset_probe").fetchone()[0] == 0
    assert pg_connection.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
    assert summary["sqs_queues_emptied"] == 1
    assert not sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages")

    after = read_stack_data(local_stack.state_dir)["generation"]
    assert after != before
    env = local_overrides({}, read_stack_data(local_stack.state_dir), "http://127.0.0.1:1", "us-east-1")
    assert env["FLEETTAP_STACK_GENERATION"] == str(after)
    assert oct(Path(local_stack.state_dir, "stack.json").stat().st_mode & 0o777) == "0o600"


def test_a_second_reset_within_a_minute_still_empties_queues(local_stack, stack_with_run_data):
    _, sqs, queue = stack_with_run_data
    reset.reset(PROJECT, ENV, stack=local_stack)
    sqs.send_message(QueueUrl=queue, MessageBody="from the next run")
    assert reset.reset(PROJECT, ENV, stack=local_stack)["sqs_queues_emptied"] == 1
    assert not sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages")


def test_reset_refuses_a_remote_endpoint(local_stack):
    remote = local_stack.replace(aws_endpoint="https://dynamodb.us-east-1.amazonaws.com")
    with pytest.raises(reset.NotLocal):
        reset.reset(PROJECT, ENV, stack=remote)


def test_the_emulator_empties_tables_in_one_request_without_stream_records(local_stack, aws_client):
    ddb, streams = aws_client("dynamodb"), aws_client("dynamodbstreams")
    _drop_tables(ddb)
    name = PREFIX + "vehicle_locations"
    _table(ddb, name, "vehicle_id", "ts", index_key="fleet_id")
    _table(ddb, "other-stack-vehicle_locations", "vehicle_id")
    try:
        for i in range(40):
            item = {"vehicle_id": {"S": f"VH-{i % 4}"}, "ts": {"S": f"{i:04d}"}, "fleet_id": {"S": "FL-1"}}
            ddb.put_item(TableName=name, Item=item)
        ddb.put_item(TableName="other-stack-vehicle_locations", Item={"vehicle_id": {"S": "VH-9"}})
        stream_arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]

        assert reset.empty_tables_in_emulator(local_stack.aws_endpoint, PREFIX) == {name: 40}

        assert ddb.scan(TableName=name)["Count"] == 0
        assert (
            ddb.query(
                TableName=name,
                IndexName="by_fleet_id",
                KeyConditionExpression="fleet_id = :f",
                ExpressionAttributeValues={":f": {"S": "FL-1"}},
            )["Count"]
            == 0
        )
        assert ddb.scan(TableName="other-stack-vehicle_locations")["Count"] == 1, "another stack's table was emptied"
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert [r["eventName"] for r in records] == ["INSERT"] * 40, "the wipe wrote stream records"
        ddb.put_item(TableName=name, Item={"vehicle_id": {"S": "VH-0"}, "ts": {"S": "x"}, "fleet_id": {"S": "FL-1"}})
        assert ddb.get_item(TableName=name, Key={"vehicle_id": {"S": "VH-0"}, "ts": {"S": "x"}}).get("Item")
    finally:
        _drop_tables(ddb)


def test_an_empty_prefix_is_refused_by_the_emulator(local_stack):
    import urllib.error
    import urllib.request

    from harness.emulator.patches.state_reset import RESET_PATH

    request = urllib.request.Request(local_stack.aws_endpoint + RESET_PATH, data=b'{"prefix": ""}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400 and b"prefix" in refused.value.read()


def test_another_emulator_gets_its_items_deleted_through_the_api(local_stack, aws_client):
    """Without the route (any other emulator on loopback) the reset deletes item by item."""
    import http.server
    import threading

    class NoSuchRoute(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoSuchRoute)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert reset.empty_tables_in_emulator(f"http://127.0.0.1:{server.server_port}", PREFIX) is None
    finally:
        server.shutdown()
    ddb = aws_client("dynamodb")
    _drop_tables(ddb)
    _table(ddb, PREFIX + "driver_logs", "driver_id", "event_time")
    try:
        for i in range(30):
            ddb.put_item(TableName=PREFIX + "driver_logs", Item={"driver_id": {"S": "D"}, "event_time": {"S": str(i)}})
        assert reset.clear_table(ddb, PREFIX + "driver_logs") == 30
        assert ddb.scan(TableName=PREFIX + "driver_logs")["Count"] == 0
    finally:
        _drop_tables(ddb)
