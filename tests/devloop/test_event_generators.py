"""`make event` covers every function of the stack, and each generated event passes the handler's own
parsing: the SNS envelope through handlers.common.events.sns_message into the writer's/dispatcher's
first step, the Firehose batch through the whole (pure) transformer, the DOT Task payloads through
dot_reporting's dispatcher into each step's input checks, the deploy steps' input as Terraform passes it.
`generate` itself runs against moto in-process (functions, the SNS subscriptions) for each source."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from harness import event_catalog, event_content, event_envelopes, events

TAP_STACK = Path(__file__).resolve().parents[2] / "infra" / "tap_stack.tf"


def _block(text: str, opening: str) -> str:
    start = text.index(opening)
    depth = 0
    for index in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    raise AssertionError(f"unclosed {opening}")


def test_the_catalog_holds_every_lambda_function_of_the_stack():
    text = TAP_STACK.read_text()
    declared = {}
    for opening in ("  functions = {", "  deploy_steps = {"):
        for key, module in re.findall(r"^\s+(\w+)\s*=\s*\{\s*module\s*=\s*\"(\w+)\"", _block(text, opening), re.M):
            declared[key] = module
    assert len(declared) == 15
    assert {k: e.module for k, e in event_catalog.FUNCTIONS.items()} == declared
    # every handler module is a function, or named as running inside one
    modules = {p.stem for p in (TAP_STACK.parents[1] / "handlers").glob("*.py") if p.stem != "__init__"}
    assert modules == set(declared.values()) | set(event_catalog.NOT_FUNCTIONS)


def test_the_deploy_step_input_is_what_terraform_passes():
    block = _block(TAP_STACK.read_text(), 'resource "aws_lambda_invocation" "deploy_step"')
    assert re.search(r"input\s*=\s*jsonencode\(\{ step = each\.key \}\)", block)
    for key in ("schema_migrator", "redis_auth"):
        assert event_envelopes.deploy_step_input(key) == {"step": key}


def test_an_unknown_function_is_refused_with_the_known_names_before_the_stack_is_read(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLEETTAP_STATE_DIR", str(tmp_path))  # no stack there: a lookup of it would exit 3
    assert events.main(["hos_reprot"]) == 2
    err = capsys.readouterr().err
    assert "no function 'hos_reprot'" in err
    for key in event_catalog.FUNCTIONS:
        assert key in err
    assert events.main(["unassigned_driving"]) == 2
    assert "make event FN=location" in capsys.readouterr().err
    assert events.main(["coaching_dispatcher"]) == 3  # known by its module name: then the stack is needed


@pytest.mark.parametrize(
    "name,key",
    [("hos_report", "hos_report"), ("hos_report_writer", "hos_report"), ("fleettap-dev-hos-report", "hos_report"),
     ("fleettap-dev-hos", "hos"), ("firehose_transformer", "firehose_transform"), ("redis-auth", "redis_auth")],
)  # fmt: skip
def test_names_resolve_to_their_function(name, key):
    assert event_catalog.lookup(name).key == key


HOS_TOPIC = "arn:aws:sns:us-east-1:123456789012:fleettap-dev-hos-violations"
COACHING_TOPIC = "arn:aws:sns:us-east-1:123456789012:fleettap-dev-driver-coaching"


def test_hos_report_events_are_violation_notifications_the_writer_turns_into_reports():
    from handlers import hos_report_writer
    from handlers.common.events import sns_message

    body, attributes = event_content.hos_violation_messages(1)[0]
    event = event_envelopes.sns_event(HOS_TOPIC, body, attributes)
    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["Sns"]["TopicArn"] == HOS_TOPIC
    message, attrs = sns_message(record)
    assert attrs == {"severity": "high", "event_type": "hos_violation", "rule": "DRIVING_11"}
    assert attrs["event_type"] not in hos_report_writer.NOT_REPORTED
    key = hos_report_writer.report_key(message)
    assert key == f"fleet_id={message['fleet_id']}/date={message['report_date']}/{message['violation_id']}.json"
    report = hos_report_writer.report(message, attrs, dt.datetime.now(dt.UTC))
    assert report["rule"]["cfr"] and report["rule"]["limit_s"] == 11 * 3600
    assert message["over_s"] > 0 and message["time_zone"] and message["driver_id"].startswith("DR-")


def test_coaching_events_are_notifications_the_dispatcher_turns_into_training():
    from handlers.coaching_dispatcher import training_message
    from handlers.common.events import sns_message

    body, attributes = event_content.coaching_messages(1)[0]
    [record] = event_envelopes.sns_event(COACHING_TOPIC, body, attributes)["Records"]
    message, attrs = sns_message(record)
    assert attrs["event_type"] == "fuel_coaching" and attrs["severity"] in ("info", "warning")
    training = training_message(message)
    assert training["assignment_id"] == message["coaching_id"] and training["materials"]
    assert training["materials"][0]["module_id"] == "ECO-101"  # idle reduction: the engine idled the hour


def test_firehose_events_are_transformed_into_partitioned_rows():
    import base64

    from handlers import firehose_transformer

    records = events.simulated_records("diagnostics", 4)
    event = event_envelopes.firehose_event(
        "arn:aws:firehose:us-east-1:123456789012:deliverystream/fleettap-dev-diagnostics-archive",
        "arn:aws:kinesis:us-east-1:123456789012:stream/fleettap-dev-diagnostics",
        records,
        "us-east-1",
    )
    assert [set(r) >= {"recordId", "approximateArrivalTimestamp", "data"} for r in event["records"]] == [True] * 4
    out = firehose_transformer.handler(event, None)["records"]
    assert [r["result"] for r in out] == ["Ok"] * 4
    assert [r["recordId"] for r in out] == [r["recordId"] for r in event["records"]]
    row = json.loads(base64.b64decode(out[0]["data"]))
    assert row["vehicle_id"] == records[0][0] and out[0]["metadata"]["partitionKeys"]["vehicle_type"]


MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:fleettap-dev-dot-reporting"


@pytest.fixture
def dot_steps(monkeypatch):
    """dot_reporting's dispatcher with each step replaced by a recorder of the payload it was given."""
    from handlers import dot_reporting

    seen = {}
    for name in dot_reporting.STEPS:
        monkeypatch.setitem(dot_reporting.STEPS, name, lambda payload, _ctx, name=name: seen.setdefault(name, payload))
    return dot_reporting, seen


def test_dot_report_task_payloads_reach_each_step_with_what_it_needs(dot_steps):
    dot_reporting, seen = dot_steps
    now = dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)
    zones = ["America/New_York", "America/Los_Angeles"]
    for step in event_content.DOT_STEPS:
        payload = event_content.dot_task_payload(step, zones, "fleettap-dev-dot-work", MACHINE, 3, now)
        assert payload["step"] == step and isinstance(payload["input"], dict)
        dot_reporting.handler(json.loads(json.dumps(payload)))
    gather = seen["gather"]
    assert gather["report_date"] == "yesterday" and gather["trigger"] == "schedule"
    assert dot_reporting._instant(gather["execution_started_at"]) == now
    # 06:30 UTC: Dec 6 has ended in New York but not yet in Los Angeles
    assert dot_reporting.report_day(now, zones).isoformat() == "2026-12-05"
    report_date, driver_id = dot_reporting._require(seen["report_driver"], "report_date", "driver_id")
    assert report_date == "2026-12-05" and driver_id in event_content.dot_driver_ids(3)
    summary = seen["publish_summary"]
    assert dot_reporting._require(summary, "report_date") == ["2026-12-05"]
    details = summary["map_run"]["ResultWriterDetails"]
    assert details["Bucket"] == summary["bucket"] == "fleettap-dev-dot-work"
    assert details["Key"].startswith("dot-reports/work/map-runs/") and details["Key"].endswith("/manifest.json")
    assert summary["key"] == "dot-reports/work/date=2026-12-05/manifest.json" and summary["count"] == 3
    assert summary["map_run"]["MapRunArn"].startswith(MACHINE.replace(":stateMachine:", ":mapRun:") + "/DotDrivers:")


@pytest.mark.parametrize("hour", range(24))
def test_simulated_drivers_are_as_many_as_asked_at_any_hour(hour, monkeypatch):
    """The first drivers' shifts fill the first records of a simulated hour at some hours (at 06:00
    UTC the first driver had logged 11 statuses since the last rest): the count must not depend on it."""
    from sim import clock

    at = dt.datetime(2026, 12, 7, hour, 30, tzinfo=dt.UTC).timestamp()
    monkeypatch.setattr(clock, "_process_clock", clock.ShiftedClock(at))
    assert event_content.dot_driver_ids(3) == ["DR-000001", "DR-000002", "DR-000003"]
    assert len(event_content.hos_violation_messages(2, now=dt.datetime.fromtimestamp(at, dt.UTC))) >= 2


def test_an_unknown_dot_step_is_refused():
    with pytest.raises(LookupError, match="report_driver"):
        event_content.dot_task_payload("render_pdf", ["UTC"], "b", MACHINE, 1)


@pytest.fixture
def moto_stack(monkeypatch):
    """The stack's functions and SNS subscriptions in moto (in-process; no Invoke, so no runtime)."""
    import io
    import zipfile

    import boto3
    from moto import mock_aws

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # handler_stack.py may have leaked it
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        iam, lam, sns = (boto3.client(s, region_name="us-east-1") for s in ("iam", "lambda", "sns"))
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", "def handler(e, c): return e\n")
        arns = {}
        for key in ("hos_report", "coaching", "dot_report", "firehose_transform", "schema_migrator"):
            arns[key] = lam.create_function(
                FunctionName=f"fleettap-dev-{key.replace('_', '-')}",
                Runtime="python3.12",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": buffer.getvalue()},
                Environment={
                    "Variables": {"REPORT_TIME_ZONES": "America/Chicago", "DOT_WORK_BUCKET": "fleettap-dev-dot-work"}
                },
            )["FunctionArn"]
        for key, topic in (("hos_report", "hos-violations"), ("coaching", "driver-coaching")):
            topic_arn = sns.create_topic(Name=f"fleettap-dev-{topic}")["TopicArn"]
            sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=arns[key])
        yield lam, sns


def test_generate_builds_each_source_from_the_deployed_stack(moto_stack):
    lam, sns = moto_stack
    hos = events.generate(lam, "hos_report", 3, sns=sns)
    assert len(hos["Records"]) == 1  # SNS delivers one notification per invocation
    assert hos["Records"][0]["Sns"]["TopicArn"].endswith(":fleettap-dev-hos-violations")
    coaching = events.generate(lam, "coaching_dispatcher", 1, sns=sns)
    assert json.loads(coaching["Records"][0]["Sns"]["Message"])["coaching_id"].startswith("fc-")
    driver = events.generate(lam, "dot_report", 1, sns=sns, step="report_driver")
    assert driver["step"] == "report_driver" and set(driver["input"]) == {"driver_id", "report_date"}
    assert events.generate(lam, "fleettap-dev-dot-report", 1, sns=sns)["step"] == "gather"
    firehose = events.generate(lam, "firehose_transform", 2, sns=sns)
    assert firehose["deliveryStreamArn"].endswith(":deliverystream/fleettap-dev-diagnostics-archive")
    assert events.describe(firehose) == "2 records" and events.describe(driver) == "a payload"
    assert events.generate(lam, "schema_migrator", 1, sns=sns) == {"step": "schema_migrator"}
    with pytest.raises(LookupError, match="dot_report only"):
        events.generate(lam, "hos_report", 1, sns=sns, step="gather")
    with pytest.raises(LookupError, match="fleettap-dev-schema-migrator"):  # known, but not deployed
        events.generate(lam, "redis_auth", 1, sns=sns)


def test_publish_summary_names_the_latest_finished_map_run_when_there_is_one(moto_stack, capsys):
    import boto3

    lam, sns = moto_stack
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = "fleettap-dev-dot-work"
    s3.create_bucket(Bucket=bucket)
    synthetic = events.generate(lam, "dot_report", 2, sns=sns, step="publish_summary", s3=s3)["input"]
    assert "no finished DOT map run" in capsys.readouterr().err and synthetic["count"] == 2
    drivers = [
        {"driver_id": "DR-000001", "report_date": "2026-12-05"},
        {"driver_id": "DR-000002", "report_date": "2026-12-05"},
    ]
    s3.put_object(Bucket=bucket, Key="dot-reports/work/date=2026-12-05/manifest.json", Body=json.dumps(drivers))
    run = "dot-reports/work/map-runs/0b5c"
    outputs = [{"Output": json.dumps([{**d, "status": "compliant"} for d in drivers]), "Status": "SUCCEEDED"}]
    s3.put_object(Bucket=bucket, Key=f"{run}/SUCCEEDED_0.json", Body=json.dumps(outputs))
    manifest = {
        "DestinationBucket": bucket,
        "MapRunArn": "arn:run",
        "ResultFiles": {"SUCCEEDED": [{"Key": f"{run}/SUCCEEDED_0.json"}]},
    }
    s3.put_object(Bucket=bucket, Key=f"{run}/manifest.json", Body=json.dumps(manifest))
    state = events.generate(lam, "dot_report", 1, sns=sns, step="publish_summary", s3=s3)["input"]
    assert state == {
        "report_date": "2026-12-05",
        "bucket": bucket,
        "key": "dot-reports/work/date=2026-12-05/manifest.json",
        "count": 2,
        "map_run": {"MapRunArn": "arn:run", "ResultWriterDetails": {"Bucket": bucket, "Key": f"{run}/manifest.json"}},
    }


def test_a_work_queue_gets_the_notifications_of_the_topic_subscribed_to_it(moto_stack):
    """The mapping path: a queue fed by vehicle-alerts (an SNS -> SQS subscription) gets SQS messages
    carrying that topic's notifications."""
    import boto3

    lam, sns = moto_stack
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="fleettap-dev-maintenance_alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="fleettap-dev-vehicle-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    # The poller's grants, as the stack gives them: with the emulator's patches applied (another test
    # in this process may have applied them), CreateEventSourceMapping checks the role as Lambda does.
    iam = boto3.client("iam", region_name="us-east-1")
    poller = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    statement = {"Effect": "Allow", "Action": poller, "Resource": queue_arn}
    iam.put_role_policy(
        RoleName="r", PolicyName="poll", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    function = lam.get_function(FunctionName="fleettap-dev-schema-migrator")["Configuration"]["FunctionArn"]
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=function, BatchSize=10)
    event = events._from_mapping(lam, "fleettap-dev-schema-migrator", function, "us-east-1", 2, sns)
    assert len(event["Records"]) == 2
    assert {record["eventSourceARN"] for record in event["Records"]} == {queue_arn}
    assert {json.loads(record["body"])["TopicArn"] for record in event["Records"]} == {topic}
