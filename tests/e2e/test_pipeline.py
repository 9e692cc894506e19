"""End to end on the stack `terraform apply` deployed: every test starts from records put into a
Kinesis stream (or the deployed schedule) and checks the outcome issue 6 lists."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import psycopg
import pytest
import redis

from handlers.domain.hos.report_day import report_day
from harness.runtime.delivery_policies import allow_topic_to_send
from harness.runtime.rule_targets import fire_rule
from harness.runtime.telemetry_samples import diagnostics, gps, hos
from scenario_runner.run import deployed_report_zones
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

UTC = dt.UTC


def put(stack, kind: str, records: list[dict]) -> None:
    stack.client("kinesis").put_records(
        StreamARN=stack.stream_arn(kind),
        Records=[{"Data": json.dumps(r).encode(), "PartitionKey": r["vehicle_id"]} for r in records],
    )


def vehicle_index() -> int:
    return 100_000 + uuid.uuid4().int % 800_000


@pytest.fixture
def observe(deployed_stack):
    """observe("maintenance-required") -> function returning the messages published there since."""
    sqs, sns = deployed_stack.client("sqs"), deployed_stack.client("sns")
    created = []

    def subscribe(topic_suffix: str):
        url = sqs.create_queue(QueueName=f"e2e-observer-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        allow_topic_to_send(sqs, url, arn, deployed_stack.topic_arn(topic_suffix))
        subscription = sns.subscribe(
            TopicArn=deployed_stack.topic_arn(topic_suffix), Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        created.append((url, subscription))
        seen: list[dict] = []

        def messages() -> list[dict]:
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            ):
                seen.append(json.loads(json.loads(message["Body"])["Message"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return seen

        return messages

    yield subscribe
    for url, subscription in created:
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=url)


def test_overheating_alert_becomes_work_order_dashboard_counters_and_driver_notification(deployed_stack, observe):
    alerts = observe("vehicle-alerts")
    index = vehicle_index()
    put(deployed_stack, "diagnostics", [diagnostics(index, dt.datetime.now(UTC), coolant_temp_c=121.0)])
    vehicle_id = f"VH-{index:06d}"
    alert = wait_for(lambda: next((a for a in alerts() if a["vehicle_id"] == vehicle_id), None), 60, what="alert")
    assert alert["severity"] == "critical" and alert["metric"] == "coolant_temp_c"

    info = deployed_stack.info
    with psycopg.connect(info.postgres_dsn, autocommit=True) as pg:
        order = wait_for(
            lambda: pg.execute(
                "SELECT severity, priority FROM maintenance_schedule WHERE alert_id = %s", (alert["alert_id"],)
            ).fetchone(),
            60,
            what="work order",
        )
    assert order == ("critical", 1)
    r = redis.Redis(host=info.redis_host, port=info.redis_port, decode_responses=True)
    wait_for(lambda: r.hget(f"dash:vehicle:{vehicle_id}", "severity:critical") == "1", 60, what="redis counter")
    import urllib.request

    def notified():
        with urllib.request.urlopen(f"{info.mock_api_url}/admin/notifications") as response:
            received = json.loads(response.read())
        calls = received if isinstance(received, list) else received.get("notifications", [])
        return [c for c in calls if vehicle_id in json.dumps(c)]

    assert wait_for(notified, 60, what="driver notification call")


def test_eleven_hours_of_driving_is_reported_to_s3(deployed_stack, observe):
    violations = observe("hos-violations")
    index = vehicle_index()
    driver_id = f"DR-{index:06d}"
    start = (dt.datetime.now(UTC) - dt.timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    records = [
        hos(index, start - dt.timedelta(hours=11), "OFF"),
        hos(index, start, "ON"),
        hos(index, start + dt.timedelta(minutes=30), "D"),
        hos(index, start + dt.timedelta(hours=4), "ON"),
        hos(index, start + dt.timedelta(hours=4, minutes=45), "D"),
        hos(index, start + dt.timedelta(hours=12, minutes=30), "OFF"),
    ]
    put(deployed_stack, "hos", records)
    violation = wait_for(
        lambda: next((v for v in violations() if v.get("driver_id") == driver_id), None), 90, what="hos violation"
    )
    assert violation["rule"] == "DRIVING_11"
    s3 = deployed_stack.client("s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if "compliance" in b["Name"] or "report" in b["Name"]]

    def report_keys():
        return [
            o["Key"]
            for b in buckets
            for o in s3.list_objects_v2(Bucket=b).get("Contents", [])
            if violation["violation_id"] in o["Key"]
        ]

    [key] = wait_for(report_keys, 60, what="report object")
    assert key.startswith("fleet_id=FL-001/date=")


def test_leaving_a_geofence_publishes_an_exit(deployed_stack, observe):
    events = observe("geofence-alerts")
    index = vehicle_index()
    fence_id = f"gf-{uuid.uuid4().hex[:8]}"
    deployed_stack.client("dynamodb").put_item(
        TableName="fleettap-dev-geofences",
        Item={
            "geofence_id": {"S": fence_id},
            "fleet_id": {"S": "FL-001"},
            "name": {"S": "Chicago yard"},
            "shape": {"S": "circle"},
            "center_lat": {"N": "41.8800"},
            "center_lon": {"N": "-87.6300"},
            "radius_m": {"N": "1000"},
        },
    )
    now = dt.datetime.now(UTC) - dt.timedelta(minutes=10)
    fixes = [gps(index, now + dt.timedelta(seconds=30 * i), 41.8800, -87.6300) for i in range(3)]
    fixes += [gps(index, now + dt.timedelta(seconds=30 * (3 + i)), 41.95, -87.50) for i in range(3)]
    put(deployed_stack, "gps", fixes)
    exit_event = wait_for(
        lambda: next((e for e in events() if e.get("geofence_id") == fence_id and e.get("event_type") == "exit"), None),
        90,
        what="geofence exit",
    )
    assert exit_event["vehicle_id"] == f"VH-{index:06d}"


def test_poor_mpg_sends_coaching_to_the_training_queue(deployed_stack):
    index = vehicle_index()
    start = dt.datetime.now(UTC) - dt.timedelta(minutes=40)
    records = [
        diagnostics(
            index,
            start + dt.timedelta(minutes=2 * i),
            odometer_km=400_000 + 2.5 * i,
            fuel_used_l=120_000 + 1.25 * i,
            vehicle_speed_kph=75.0,
        )
        for i in range(15)
    ]
    put(deployed_stack, "diagnostics", records)
    sqs = deployed_stack.client("sqs")
    url = deployed_stack.queue_url("driver_training_queue")
    driver_id = f"DR-{index:06d}"

    def training_message():
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            if driver_id in message["Body"]:
                return json.loads(message["Body"])
        return None

    assert wait_for(training_message, 90, what="training message")


def test_degradation_is_predicted_and_published_to_maintenance_required(deployed_stack, observe):
    published = observe("maintenance-required")
    index = vehicle_index()
    start = dt.datetime.now(UTC) - dt.timedelta(minutes=30)
    records = [
        diagnostics(
            index,
            start + dt.timedelta(minutes=i),
            coolant_temp_c=108.0 + 0.25 * i,
            dtcs=[{"spn": 110, "fmi": 0, "oc": 3}],
        )
        for i in range(30)
    ]
    put(deployed_stack, "diagnostics", records)
    vehicle_id = f"VH-{index:06d}"
    prediction = wait_for(
        lambda: next((p for p in published() if p.get("vehicle_id") == vehicle_id), None), 90, what="prediction"
    )
    assert prediction["component"] == "cooling_system" and prediction["confidence"] > 0.8


def test_daily_schedule_writes_pdfs_updates_status_and_publishes_summary(deployed_stack, observe):
    summaries = observe("compliance-summary")
    index = vehicle_index()
    # The run reports the day over in every fleet zone when it starts (handlers.domain.hos.report_day);
    # the log goes on that day and, when it is already past, on the next one, which the run reports if
    # a midnight passes before it starts: so the test holds at any hour.
    zones = deployed_report_zones("dev", deployed_stack.client("lambda"))
    now = dt.datetime.now(UTC)
    day = report_day(now, zones)
    shifts = [dt.datetime.combine(d, dt.time(14), UTC) for d in (day, day + dt.timedelta(days=1))]
    put(
        deployed_stack,
        "hos",
        [
            hos(index, on + dt.timedelta(hours=h), status)
            for on in shifts
            if on + dt.timedelta(hours=5) < now
            for h, status in ((0, "ON"), (1, "D"), (5, "OFF"))
        ],
    )
    driver_id = f"DR-{index:06d}"
    dynamodb = deployed_stack.client("dynamodb")
    wait_for(
        lambda: (
            dynamodb.query(
                TableName="fleettap-dev-driver_logs",
                KeyConditionExpression="driver_id = :d",
                ExpressionAttributeValues={":d": {"S": driver_id}},
            )["Count"]
            >= 3
        ),
        60,
        what="driver log stored",
    )
    [fired] = fire_rule(
        "fleettap-dev-dot-reporting-daily", deployed_stack.info.aws_endpoint, deployed_stack.info.region
    )
    sfn = deployed_stack.client("stepfunctions")
    done = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=fired["execution"]))["status"] != "RUNNING" and d,
        180,
        what="state machine execution",
    )
    failures = (
        []
        if done["status"] == "SUCCEEDED"
        else [
            {k: v for k, v in e.items() if k.endswith("FailedEventDetails") or k == "type"}
            for e in sfn.get_execution_history(executionArn=fired["execution"])["events"]
            if "Failed" in e["type"]
        ]
    )
    assert done["status"] == "SUCCEEDED", json.dumps([done.get("error"), done.get("cause"), failures], default=str)
    # the drivers went through a DISTRIBUTED Map (ItemReader over the S3 manifest, results to S3 via the
    # ResultWriter), never through the state: the parent history has a map run, no per-driver task
    history = sfn.get_execution_history(executionArn=fired["execution"], maxResults=1000)["events"]
    assert any(e["type"] == "MapRunStarted" for e in history)
    scheduled = [
        (e.get("taskScheduledEventDetails") or {}).get("parameters", "")
        for e in history
        if e["type"] == "TaskScheduled"
    ]
    assert scheduled and not any('"render_pdf"' in p or '"update_status"' in p for p in scheduled)
    status = wait_for(
        lambda: dynamodb.query(
            TableName="fleettap-dev-compliance_status",
            KeyConditionExpression="driver_id = :d",
            ExpressionAttributeValues={":d": {"S": driver_id}},
        )["Items"],
        30,
    )
    report_key = status[0]["report_key"]["S"]
    assert report_key.endswith(f"{driver_id}.pdf")
    s3 = deployed_stack.client("s3")
    bucket = next(
        b["Name"]
        for b in s3.list_buckets()["Buckets"]
        if any(
            o["Key"] == report_key for o in s3.list_objects_v2(Bucket=b["Name"], Prefix=report_key).get("Contents", [])
        )
    )
    assert s3.get_object(Bucket=bucket, Key=report_key)["Body"].read().startswith(b"%PDF")
    assert wait_for(summaries, 60, what="compliance summary")


def test_diagnostics_land_in_the_data_lake_as_parquet(deployed_stack):
    from harness.runtime import query

    index = vehicle_index()
    put(deployed_stack, "diagnostics", [diagnostics(index, dt.datetime.now(UTC))])
    info = deployed_stack.info
    mirror = __import__("pathlib").Path(info.state_dir) / "lake-mirror"

    def queried():
        try:
            table = f"{deployed_stack.outputs['glue_database_name']}.{deployed_stack.outputs['glue_table_name']}"
            result = query.run_query(
                f"SELECT vehicle_id, vehicle_type FROM {table} WHERE vehicle_id = 'VH-{index:06d}'",
                info.aws_endpoint,
                info.region,
                mirror,
            )
        except Exception:  # the view does not exist until the first Parquet object is written
            return None
        return result.rows

    rows = wait_for(queried, 150, interval_s=3, what="parquet row")
    assert rows == [(f"VH-{index:06d}", "tractor")]
