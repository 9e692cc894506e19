"""CloudWatch alarms are evaluated inside the emulator from the metrics the local runtime emits,
and a state change reaches the alarm's SNS topic in AWS's notification shape.

The alarm clock is compressed 60x (FLEETTAP_ALARM_TIME_COMPRESSION, read by the evaluator at every
pass), so a 60 s period lasts one second here."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from harness.runtime import alarms
from harness.runtime.delivery_policies import allow_topic_to_send
from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, unique, wait_for


@pytest.fixture
def compressed(monkeypatch):
    monkeypatch.setenv(alarms.COMPRESSION_ENV, "60")
    monkeypatch.setenv(alarms.INTERVAL_ENV, "0.5")


def _observed_topic(stack) -> tuple[str, str]:
    """A topic with an SQS queue subscribed to it; returns (topic ARN, queue URL)."""
    sns, sqs = stack.client("sns"), stack.client("sqs")
    topic_arn = sns.create_topic(Name=unique("alarm-topic"))["TopicArn"]
    url, queue_arn = create_queue(sqs)
    allow_topic_to_send(sqs, url, queue_arn, topic_arn)  # the queue policy SNS needs, as on AWS
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, url


def _notifications(stack, url: str) -> list[dict]:
    messages = stack.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def _state(cloudwatch, name: str) -> dict:
    return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def test_a_failing_function_puts_its_errors_alarm_in_alarm_and_notifies_the_topic(runtime_stack, tmp_path, compressed):
    function = f"fn-{uuid.uuid4().hex[:8]}"
    fixture_function.deploy(runtime_stack, function, str(tmp_path / "observed.jsonl"))
    topic_arn, url = _observed_topic(runtime_stack)
    cloudwatch = runtime_stack.client("cloudwatch")
    name = unique("errors")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic_arn],
        OKActions=[topic_arn],
    )
    lambda_client = runtime_stack.client("lambda")
    lambda_client.invoke(FunctionName=function, Payload=b"{}")
    # Successful invokes alone: Errors is 0, the alarm stays OK (first evaluation, no notification).
    wait_for(lambda: _state(cloudwatch, name)["StateReason"].startswith("Threshold Crossed"), timeout_s=20)
    assert _state(cloudwatch, name)["StateValue"] == "OK"

    assert lambda_client.invoke(FunctionName=function, Payload=b'{"fail": "raise"}')["FunctionError"] == "Unhandled"

    wait_for(lambda: _state(cloudwatch, name)["StateValue"] == "ALARM", timeout_s=20)
    alarm = _state(cloudwatch, name)
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
    assert alarm["StateReason"].endswith("was greater than or equal to the threshold (1.0).")
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [1.0]

    received = []
    wait_for(lambda: received.extend(_notifications(runtime_stack, url)) or received, timeout_s=10)
    envelope = received[0]
    assert envelope["Subject"] == f'ALARM: "{name}" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == name
    assert (message["OldStateValue"], message["NewStateValue"]) == ("OK", "ALARM")
    assert message["NewStateReason"] == alarm["StateReason"]
    assert message["AlarmActions"] == [topic_arn]
    assert message["Trigger"]["MetricName"] == "Errors" and message["Trigger"]["Namespace"] == "AWS/Lambda"
    assert message["Trigger"]["Statistic"] == "SUM" and message["Trigger"]["Threshold"] == 1.0
    assert message["Trigger"]["Dimensions"] == [{"value": function, "name": "FunctionName"}]

    # The error leaves the (compressed, one second) period: back to OK, notified on ok_actions.
    wait_for(lambda: _state(cloudwatch, name)["StateValue"] == "OK", timeout_s=20)
    wait_for(lambda: received.extend(_notifications(runtime_stack, url)) or len(received) > 1, timeout_s=10)
    assert json.loads(received[-1]["Message"])["NewStateValue"] == "OK"


def test_lambda_metrics_reach_cloudwatch_with_aws_names_and_dimensions(runtime_stack, tmp_path, compressed):
    function = f"fn-{uuid.uuid4().hex[:8]}"
    fixture_function.deploy(runtime_stack, function, str(tmp_path / "observed.jsonl"))
    lambda_client = runtime_stack.client("lambda")
    for payload in (b"{}", b"{}", b'{"fail": "raise"}'):
        lambda_client.invoke(FunctionName=function, Payload=payload)
    cloudwatch = runtime_stack.client("cloudwatch")
    now = dt.datetime.now(dt.UTC)

    def total(metric: str, stat: str = "Sum") -> float | None:
        return _statistic(cloudwatch, "AWS/Lambda", metric, {"FunctionName": function}, stat, now)

    wait_for(lambda: total("Invocations") == 3.0, timeout_s=20)  # the evaluator flushes every pass
    assert total("Errors") == 1.0
    assert total("Duration", "SampleCount") == 3.0 and total("Duration", "Maximum") > 0


def test_queue_gauges_are_sampled_each_minute(runtime_stack, compressed):
    sqs = runtime_stack.client("sqs")
    url, _ = create_queue(sqs)
    queue_name = url.rsplit("/", 1)[1]
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    cloudwatch = runtime_stack.client("cloudwatch")

    def latest(metric: str) -> float | None:
        return _statistic(cloudwatch, "AWS/SQS", metric, {"QueueName": queue_name}, "Maximum", dt.datetime.now(dt.UTC))

    wait_for(lambda: (latest("ApproximateAgeOfOldestMessage") or 0) >= 1.0, timeout_s=20)
    assert latest("ApproximateNumberOfMessagesVisible") == 1.0


def _statistic(cloudwatch, namespace: str, metric: str, dimensions: dict, stat: str, now: dt.datetime) -> float | None:
    """`stat` of the metric over the ten minutes around `now` (one 600 s period), or None without data."""
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": name, "Value": value} for name, value in dimensions.items()],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=5),
        Period=600,
        Statistics=[stat],
    )["Datapoints"]
    return points[0][stat] if points else None
