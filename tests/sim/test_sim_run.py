"""The scenario runner end to end against a private moto server: streams and topics created here,
a stand-in for the pipeline that reads Kinesis and publishes what the HOS Lambda would, observer
queues, drain, outcome check, summary and HTML report."""

import json

import orjson
import pytest
from rich.console import Console

from handlers.domain.hos import evaluate_log
from scenario_runner.observers import TOPICS
from scenario_runner.run import RunOptions, ending_now, latest_same_time_of_day, prepare, run_scenario
from sim import aws
from sim.config import parse_utc

ENV = "simrun"


@pytest.fixture
def stack(aws_test_env, monkeypatch):
    """Streams and topics named as the deployed stack names them, in this test's env.

    The streams are made afresh for each test: the HOS stand-in reads its stream from the start,
    and records of an earlier test's run (placed before a different `now`, so shifted in time)
    would mix into each driver's log and change the violations it finds."""
    monkeypatch.setenv("FLEETTAP_ENV", ENV)
    kinesis, sns = aws.client("kinesis"), aws.client("sns")
    existing = aws.list_stream_names(kinesis)
    for kind in aws.STREAM_KINDS:
        name = aws.resource_name(kind)
        if name in existing:
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
            kinesis.get_waiter("stream_not_exists").wait(
                StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600}
            )
        kinesis.create_stream(StreamName=name, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600})
    topics = {topic: sns.create_topic(Name=aws.resource_name(topic))["TopicArn"] for topic in TOPICS}
    return {"kinesis": kinesis, "sns": sns, "topics": topics}


def _read_stream(kinesis, name):
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
        records.extend(orjson.loads(r["Data"]) for r in page["Records"])
        if not page["Records"]:
            break
        iterator = page["NextShardIterator"]
    return records


def hos_stand_in(stack, drop_rule=None, extra_alert=False):
    """What the HOS processor would publish: one message per violation found in each driver's log."""

    def publish(_scenario):
        logs = {}
        for record in _read_stream(stack["kinesis"], aws.resource_name("hos")):
            logs.setdefault(record["driver_id"], []).append(record)
        for driver, log in logs.items():
            result = evaluate_log(
                [{"status": r["status"], "at": r["ts"]} for r in log],
                cycle=log[0]["cycle"],
                time_zone=log[0]["time_zone"],
                exceptions=log[0]["exceptions"],
                as_of=max(r["ts"] for r in log),
            )
            for violation in result.violations:
                if violation.rule == drop_rule:
                    continue
                stack["sns"].publish(
                    TopicArn=stack["topics"]["hos-violations"],
                    Message=json.dumps(
                        {
                            "driver_id": driver,
                            "vehicle_id": log[0]["vehicle_id"],
                            "rule": violation.rule,
                            "ts": log[-1]["ts"],
                        }
                    ),
                    MessageAttributes={
                        "severity": {"DataType": "String", "StringValue": "high"},
                        "event_type": {"DataType": "String", "StringValue": "hos_violation"},
                    },
                )
        if extra_alert:
            stack["sns"].publish(
                TopicArn=stack["topics"]["vehicle-alerts"],
                Message=json.dumps({"vehicle_id": "VH-000005", "rule": "zscore"}),
                MessageAttributes={"severity": {"DataType": "String", "StringValue": "warning"}},
            )

    return publish


def _options(tmp_path):
    return RunOptions(
        env=ENV,
        test_size=True,
        manage_stack=False,
        quiet_s=1.0,
        fresh_state=False,
        report_dir=tmp_path,
        show_progress=False,
    )


def test_hos_violation_run_passes_and_writes_a_report(stack, tmp_path):
    options = _options(tmp_path)
    loaded = prepare("hos-violation", options)
    console = Console(file=open(tmp_path / "console.txt", "w"), width=150)
    result = run_scenario(loaded, options, after_send=hos_stand_in(stack), console=console)
    assert result.passed, [o for o in result.outcomes if not o.ok]
    assert result.sink_stats["records"] == sum(result.sink_stats["by_kind"].values()) > 1000
    assert len(result.observed.topics["hos-violations"]) == 4
    assert "hos-violations" in result.latencies
    page = result.report_path.read_text()
    assert "<svg" in page and "PASSED" in page and "http" not in page.replace("http-equiv", "")
    printed = (tmp_path / "console.txt").read_text()
    assert "records sent" in printed and "PASSED" in printed
    # observer queues are removed after the run
    sqs = aws.client("sqs")
    assert not [u for u in sqs.list_queues().get("QueueUrls", []) if "simobs" in u]


def test_a_missed_rule_and_an_unexpected_alert_fail_the_run(stack, tmp_path):
    options = _options(tmp_path)
    console = Console(file=open(tmp_path / "console.txt", "w"), width=150)
    result = run_scenario(
        prepare("hos-violation", options),
        options,
        console=console,
        after_send=hos_stand_in(stack, drop_rule="BREAK_30", extra_alert=True),
    )
    assert not result.passed
    failed = {o.name for o in result.outcomes if not o.ok}
    assert failed == {
        "hos-violations: count",
        "hos-violations: rules",
        "hos-violations: vehicles",
        "vehicle-alerts: silent",
    }
    assert "FAILED" in result.report_path.read_text()


def test_geofences_are_seeded_before_the_run(stack, tmp_path):
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName=aws.resource_name("geofences"),
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "geofence_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "geofence_id", "KeyType": "HASH"}],
    )
    options = _options(tmp_path)
    options.duration_s = 120
    console = Console(file=open(tmp_path / "console.txt", "w"), width=150)
    result = run_scenario(prepare("geofence-breach", options), options, console=console)
    items = dynamodb.scan(TableName=aws.resource_name("geofences"))["Items"]
    assert {item["geofence_id"]["S"] for item in items} == {"GF-DAL-YARD", "GF-HOU-DC", "GF-SAT-CUST"}
    # nothing published: the geofence expectation fails, naming the topic
    assert not result.passed
    assert "geofence-alerts: count" in {o.name for o in result.outcomes if not o.ok}


def test_simulated_period_is_placed_before_now():
    now = parse_utc("2026-11-25T18:30:00Z")
    assert ending_now(3600, now) == "2026-11-25T17:29:00Z"
    assert latest_same_time_of_day("2026-11-23T13:00:00Z", 3 * 3600, now) == "2026-11-25T13:00:00Z"
    assert latest_same_time_of_day("2026-11-23T17:00:00Z", 3 * 3600, now) == "2026-11-24T17:00:00Z"
    assert latest_same_time_of_day("2025-01-01T17:00:00Z", 3600, now) == "2026-11-25T17:00:00Z"
    # The kind of day stays: a Monday start run on a Sunday lands on Friday, a Sunday one on a
    # Sunday (not on the Saturday a working start run on a Sunday would otherwise find).
    sunday_evening = parse_utc("2026-12-06T22:00:00Z")
    assert latest_same_time_of_day("2026-11-23T14:00:00Z", 8 * 3600, sunday_evening) == "2026-12-04T14:00:00Z"
    assert latest_same_time_of_day("2026-11-22T14:00:00Z", 3600, sunday_evening) == "2026-12-06T14:00:00Z"
    monday_morning = parse_utc("2026-12-07T01:00:00Z")
    assert latest_same_time_of_day("2026-11-23T14:00:00Z", 3600, monday_morning) == "2026-12-04T14:00:00Z"


def test_drain_waits_for_arrivals_and_a_steady_backlog():
    from scenario_runner.drain import wait_until_settled

    now = [0.0]
    arrivals = iter([3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    backlog = iter([5, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2])  # a DLQ keeps 2 messages for good
    settled = wait_until_settled(
        lambda: next(arrivals),
        lambda: next(backlog),
        quiet_s=3,
        timeout_s=30,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert settled and now[0] == 5.0  # quiet from t=2 (backlog steady at 2) until t=5
    never = wait_until_settled(
        lambda: 1,
        lambda: 0,
        quiet_s=3,
        timeout_s=10,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert not never
