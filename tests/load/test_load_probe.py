"""Probes of the target stack: runtime status file, SQS depths, canaries in DynamoDB."""

import json
import time

from loadtest.probe import (
    CanaryTracker,
    QueueProbe,
    read_runtime_status,
    split_dlq,
    sqs_messages_done,
    stream_lag_s,
    ts_to_epoch_ms,
)
from tests.load.conftest import client

STATUS = {
    "mappings": [
        {
            "source": "arn:aws:kinesis:us-east-1:123456789012:stream/fleettap-dev-gps",
            "shard": "s-0",
            "function": "arn:aws:lambda:us-east-1:123456789012:function:fleettap-dev-location",
            "millis_behind_latest": 1500,
        },
        {
            "source": "arn:aws:kinesis:us-east-1:123456789012:stream/fleettap-dev-gps",
            "shard": "s-1",
            "millis_behind_latest": 4000,
        },
        {
            "source": "arn:aws:kinesis:us-east-1:123456789012:stream/fleettap-dev-diagnostics",
            "shard": "s-0",
            "millis_behind_latest": 0,
        },
        {"source": "arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/2026", "millis_behind_latest": 9},
        {"source": "arn:aws:sqs:us-east-1:123456789012:fleettap-dev-fleet-manager-queue", "messages_deleted": 7},
        {"source": "arn:aws:sqs:us-east-1:123456789012:fleettap-dev-maintenance_alerts", "messages_deleted": 3},
    ]
}


def test_stream_lag_is_worst_shard_per_kinesis_stream():
    assert stream_lag_s(STATUS) == {"fleettap-dev-gps": 4.0, "fleettap-dev-diagnostics": 0.0}


def test_alert_queue_throughput_matches_either_spelling():
    assert sqs_messages_done(STATUS, "fleet_manager_queue") == 7
    assert sqs_messages_done(STATUS, "training_queue") is None


def test_runtime_status_file_fresh_or_ignored(tmp_path):
    assert read_runtime_status(tmp_path) is None
    path = tmp_path / "runtime" / "status.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"written_at": time.time(), **STATUS}))
    assert read_runtime_status(tmp_path)["mappings"][0]["millis_behind_latest"] == 1500
    path.write_text(json.dumps({"written_at": time.time() - 60, **STATUS}))
    assert read_runtime_status(tmp_path) is None  # a stopped runtime's last words


def test_queue_depths_split_dlqs(moto_endpoint):
    sqs = client("sqs", moto_endpoint)
    work = sqs.create_queue(QueueName="probe-dev-work")["QueueUrl"]
    dead = sqs.create_queue(QueueName="probe-dev-work-dlq")["QueueUrl"]
    sqs.create_queue(QueueName="other-dev-work")
    for _ in range(3):
        sqs.send_message(QueueUrl=work, MessageBody="x")
    sqs.send_message(QueueUrl=dead, MessageBody="y")
    queues, dlqs = split_dlq(QueueProbe(sqs, "probe-dev-").depths())
    assert queues == {"probe-dev-work": 3}
    assert dlqs == {"probe-dev-work-dlq": 1}


def test_canary_latency_when_the_item_arrives_and_missed_after_timeout(moto_endpoint):
    dynamodb = client("dynamodb", moto_endpoint)
    dynamodb.create_table(
        TableName="canary-dev-vehicle_diagnostics",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "vehicle_id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "vehicle_id", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
        ],
    )
    tracker = CanaryTracker(dynamodb, "canary-dev-", timeout_s=5.0)
    ts = "2026-11-23T15:00:01.250Z"
    tracker.add(
        [
            {"kind": "diagnostics", "vehicle_id": "VH-000001", "ts": ts, "sent_at": 100.0},
            {"kind": "diagnostics", "vehicle_id": "VH-000002", "ts": ts, "sent_at": 100.0},
        ]
    )
    tracker.poll_once(now=101.0)
    assert tracker.pending() == 2 and not tracker.latencies
    dynamodb.put_item(
        TableName="canary-dev-vehicle_diagnostics",
        Item={"vehicle_id": {"S": "VH-000001"}, "timestamp": {"N": str(ts_to_epoch_ms(ts))}},
    )
    tracker.poll_once(now=101.5)
    assert tracker.latencies == {"diagnostics": [1.5]}
    tracker.poll_once(now=106.0)
    assert tracker.missed == 1 and tracker.pending() == 0


def test_canaries_unavailable_without_tables(moto_endpoint):
    tracker = CanaryTracker(client("dynamodb", moto_endpoint), "nothing-dev-")
    tracker.add([{"kind": "gps", "vehicle_id": "VH-1", "ts": "2026-11-23T00:00:00.000Z", "sent_at": 1.0}])
    tracker.poll_once(now=2.0)
    assert tracker.unavailable == "table nothing-dev-vehicle_locations not found"
    assert tracker.pending() == 0 and tracker.missed == 0


def test_iso_timestamp_to_epoch_ms():
    assert ts_to_epoch_ms("2026-11-23T00:00:00.001Z") == 1_795_392_000_001
