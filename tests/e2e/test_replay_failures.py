"""A stream batch that exhausts its retries is replayed from its on-failure destination, and its
effects appear exactly once (`make replay-failures`, docs/runbook-replay.md).

The fault is one an operator meets on AWS: a Deny on the anomaly detector's role for sns:Publish
(the local stack evaluates the role's policies on every call). An overheating reading goes
processor -> vehicle_diagnostics -> its DynamoDB stream -> anomaly, whose publish is refused; the
record is reported failed, retried (the test bounds the mapping to 2 retries: the deployed mappings
retry until a record is 6 hours old), and the mapping sends its on-failure destination (the
anomaly DLQ) the batch's shard and sequence numbers only. Then:
1. a replay while the Deny is still in place fails and leaves the message in the destination;
2. the Deny removed, the replay re-reads the range from the stream, invokes the function, and
   deletes the message: the alert, the work order, the dashboard counter and the driver
   notification each appear once;
3. the same destination message sent again (a replay whose delete was lost) and replayed again
   changes none of them.
The Kinesis path the same way: a Deny on the processor's dynamodb:BatchWriteItem fails its diagnostics
batch (KinesisBatchInfo); replayed, the reading is stored once and its alert becomes one work order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

import psycopg
import pytest
import redis

from harness.runtime.telemetry_samples import diagnostics
from operations.replay import failure_records
from tests.e2e.test_pipeline import observe, put  # noqa: F401  (observe is a fixture)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUNCTION = "fleettap-dev-anomaly"
DENY_POLICY = "e2e-deny-publish"
SETTLE_S = 8  # after the replay: long enough for a doubled effect to show, if there were one


def replay_failures(stack, *extra: str, function: str = "anomaly") -> subprocess.CompletedProcess:
    """`make replay-failures FN=<function>` (the command it runs), against the test's stack."""
    env = dict(os.environ, FLEETTAP_STATE_DIR=stack.info.state_dir)
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "operations.replay",
            "--function",
            function,
            "--env",
            "dev",
            "--target",
            "local",
            *extra,
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def destination_batches(stack, queue_url: str) -> list[tuple[failure_records.FailedBatch, str]]:
    """The stream-batch invocation records in the destination, peeked (left visible)."""
    sqs = stack.client("sqs")
    found: dict[str, tuple[failure_records.FailedBatch, str]] = {}
    for _ in range(5):
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        ).get("Messages", []):
            batch = failure_records.parse(message["Body"])
            if batch is not None:
                found[message["MessageId"]] = (batch, message["Body"])
    return list(found.values())


@contextlib.contextmanager
def bounded_retries(lam, mapping: dict, attempts: int = 2):
    """The deployed stream mappings retry until a record is 6 hours old (tap_stack.tf
    local.stream_retry: a dependency outage is ridden out); for the batch to reach its on-failure
    destination within the test, the mapping is bounded to `attempts` retries, as an operator's
    mapping with a retry limit is, and restored afterwards."""
    lam.update_event_source_mapping(UUID=mapping["UUID"], MaximumRetryAttempts=attempts)
    try:
        yield
    finally:
        lam.update_event_source_mapping(UUID=mapping["UUID"], MaximumRetryAttempts=mapping["MaximumRetryAttempts"])


def empty(sqs, queue_url: str) -> None:
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_failed_stream_batch_is_replayed_once(deployed_stack, observe):  # noqa: F811
    lam, iam, sqs = deployed_stack.client("lambda"), deployed_stack.client("iam"), deployed_stack.client("sqs")
    configuration = lam.get_function_configuration(FunctionName=FUNCTION)
    role_name = configuration["Role"].rsplit("/", 1)[1]
    mapping = next(
        m
        for m in lam.list_event_source_mappings(FunctionName=configuration["FunctionArn"])["EventSourceMappings"]
        if ":dynamodb:" in m["EventSourceArn"]
    )
    destination_arn = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    queue_url = sqs.get_queue_url(QueueName=destination_arn.rsplit(":", 1)[1])["QueueUrl"]
    empty(sqs, queue_url)  # what earlier runs left (PurgeQueue is allowed once a minute)
    alerts = observe("vehicle-alerts")
    index = 100_000 + uuid.uuid4().int % 800_000
    vehicle_id = f"VH-{index:06d}"
    info = deployed_stack.info

    iam.put_role_policy(
        RoleName=role_name,
        PolicyName=DENY_POLICY,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sns:Publish", "Resource": "*"}]}
        ),
    )
    try:
        with bounded_retries(lam, mapping):
            put(deployed_stack, "diagnostics", [diagnostics(index, dt.datetime.now(dt.UTC), coolant_temp_c=121.0)])
            failed = wait_for(lambda: destination_batches(deployed_stack, queue_url), 90, 0.5, "on-failure record")
        assert all(batch.source_kind == "dynamodb" and batch.condition for batch, _ in failed)
        assert not [a for a in alerts() if a["vehicle_id"] == vehicle_id]

        refused = replay_failures(deployed_stack)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        # Every record of the batch failed: Powertools raises (a function error) rather than listing them all.
        assert "failed" in refused.stdout and (
            "function error" in refused.stdout or "batchItemFailures" in refused.stdout
        )
        assert len(destination_batches(deployed_stack, queue_url)) == len(failed)  # nothing deleted
    finally:
        iam.delete_role_policy(RoleName=role_name, PolicyName=DENY_POLICY)

    listed = replay_failures(deployed_stack, "--dry-run")
    assert listed.returncode == 0 and "would-replay" in listed.stdout, listed.stdout + listed.stderr
    assert len(destination_batches(deployed_stack, queue_url)) == len(failed)  # a listing deletes nothing

    replayed = replay_failures(deployed_stack)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"{len(failed)} replayed" in replayed.stdout
    assert destination_batches(deployed_stack, queue_url) == []

    r = redis.Redis(host=info.redis_host, port=info.redis_port, decode_responses=True)

    def effects() -> tuple[int, int, str | None, int]:
        with psycopg.connect(info.postgres_dsn, autocommit=True) as pg:
            orders = pg.execute("SELECT count(*) FROM maintenance_schedule WHERE vehicle_id = %s", (vehicle_id,))
            order_count = orders.fetchone()[0]
        with urllib.request.urlopen(f"{info.mock_api_url}/admin/notifications") as response:
            received = json.loads(response.read())
        calls = received if isinstance(received, list) else received.get("notifications", [])
        return (
            len([a for a in alerts() if a["vehicle_id"] == vehicle_id]),
            order_count,
            r.hget(f"dash:vehicle:{vehicle_id}", "severity:critical"),
            len([c for c in calls if vehicle_id in json.dumps(c)]),
        )

    once = (1, 1, "1", 1)
    wait_for(lambda: effects() == once, 90, 0.5, f"alert, work order, counter, notification once: {effects()}")
    time.sleep(SETTLE_S)
    assert effects() == once

    # The same failure record again, as if the first replay's delete had been lost: replayed, no new effect.
    for _, body in failed:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    again = replay_failures(deployed_stack)
    assert again.returncode == 0 and f"{len(failed)} replayed" in again.stdout, again.stdout + again.stderr
    time.sleep(SETTLE_S)
    assert effects() == once


def test_failed_kinesis_batch_is_replayed_once(deployed_stack):
    lam, iam, sqs = deployed_stack.client("lambda"), deployed_stack.client("iam"), deployed_stack.client("sqs")
    configuration = lam.get_function_configuration(FunctionName="fleettap-dev-processor")
    role_name = configuration["Role"].rsplit("/", 1)[1]
    mapping = next(
        m
        for m in lam.list_event_source_mappings(FunctionName=configuration["FunctionArn"])["EventSourceMappings"]
        if ":kinesis:" in m["EventSourceArn"]
    )
    destination_arn = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    queue_url = sqs.get_queue_url(QueueName=destination_arn.rsplit(":", 1)[1])["QueueUrl"]
    empty(sqs, queue_url)
    index = 100_000 + uuid.uuid4().int % 800_000
    vehicle_id = f"VH-{index:06d}"
    table = deployed_stack.client("dynamodb")
    diagnostics_table = next(t for t in table.list_tables()["TableNames"] if t == "fleettap-dev-vehicle_diagnostics")

    def stored() -> int:
        return table.query(
            TableName=diagnostics_table,
            KeyConditionExpression="vehicle_id = :v",
            ExpressionAttributeValues={":v": {"S": vehicle_id}},
            Select="COUNT",
        )["Count"]

    def work_orders() -> int:
        with psycopg.connect(deployed_stack.info.postgres_dsn, autocommit=True) as pg:
            return pg.execute(
                "SELECT count(*) FROM maintenance_schedule WHERE vehicle_id = %s", (vehicle_id,)
            ).fetchone()[0]

    iam.put_role_policy(
        RoleName=role_name,
        PolicyName=DENY_POLICY,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "dynamodb:BatchWriteItem", "Resource": "*"}],
            }
        ),
    )
    try:
        with bounded_retries(lam, mapping):
            put(deployed_stack, "diagnostics", [diagnostics(index, dt.datetime.now(dt.UTC), coolant_temp_c=121.0)])
            failed = wait_for(lambda: destination_batches(deployed_stack, queue_url), 90, 0.5, "on-failure record")
        assert all(batch.source_kind == "kinesis" for batch, _ in failed)
        assert stored() == 0
    finally:
        iam.delete_role_policy(RoleName=role_name, PolicyName=DENY_POLICY)

    replayed = replay_failures(deployed_stack, function="processor")
    assert replayed.returncode == 0 and f"{len(failed)} replayed" in replayed.stdout, replayed.stdout + replayed.stderr
    assert destination_batches(deployed_stack, queue_url) == []
    wait_for(lambda: stored() == 1 and work_orders() == 1, 90, 0.5, "reading stored, one work order")

    for _, body in failed:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    again = replay_failures(deployed_stack, function="processor")
    assert again.returncode == 0 and f"{len(failed)} replayed" in again.stdout, again.stdout + again.stderr
    time.sleep(SETTLE_S)
    assert (stored(), work_orders()) == (1, 1)
