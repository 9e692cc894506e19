"""The deployed stack's CloudWatch alarms evaluate locally: a failed DOT reporting execution puts
the stack's `dot-reporting-failed` alarm (AWS/States executions failed, timed out or aborted, a metric
math sum with FILL, >= 1 in 300 s) in ALARM, and
CloudWatch's notification reaches a subscriber of the stack's ops-alarms topic.

Real time (no compression): the alarm's single 300 s period ends at each evaluation, so the failure
shows at the next pass of the evaluator (every 10 s). The alarm returns to OK on its own 300 s later;
the scenario runner treats that recovery as a reported change, not an unexpected alert."""

from __future__ import annotations

import json
import time
import uuid

from harness.runtime.delivery_policies import allow_topic_to_send
from tests.support.waiting import wait_for

ALARM = "fleettap-dev-dot-reporting-failed"


def _alarm(cloudwatch) -> dict:
    alarms = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    assert alarms, f"the stack deploys {ALARM}"
    return alarms[0]


def _subscribe_queue(stack, topic_arn: str) -> tuple[str, str]:
    sqs, sns = stack.client("sqs"), stack.client("sns")
    url = sqs.create_queue(QueueName=f"alarm-observer-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_topic_to_send(sqs, url, queue_arn, topic_arn)
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)
    return url, subscription["SubscriptionArn"]


def test_a_failed_dot_execution_fires_the_stack_alarm_and_notifies_the_ops_topic(deployed_stack):
    cloudwatch, sfn = deployed_stack.client("cloudwatch"), deployed_stack.client("stepfunctions")
    machine_arn = deployed_stack.outputs["step_function_arn"]
    topic_arn = deployed_stack.topic_arn("ops-alarms")
    before = _alarm(cloudwatch)
    assert before["StateValue"] != "ALARM", f"{ALARM} is already in ALARM: {before['StateReason']}"
    assert topic_arn in before["AlarmActions"]
    url, subscription = _subscribe_queue(deployed_stack, topic_arn)
    try:
        # An invalid report date fails the Gather step (ValueError, not retried): the workflow's
        # Catch goes to ReportFailed, a Fail state, so the execution ends FAILED.
        execution = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps({"report_date": "not-a-date"}))
        status = wait_for(
            lambda: (s := sfn.describe_execution(executionArn=execution["executionArn"])["status"]) != "RUNNING" and s,
            timeout_s=60,
            what="the DOT execution to end",
        )
        assert status == "FAILED"

        alarm = wait_for(
            lambda: (a := _alarm(cloudwatch))["StateValue"] == "ALARM" and a,
            timeout_s=45,
            what=f"{ALARM} to go to ALARM",
        )
        assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
        assert alarm["StateReason"].endswith("was greater than or equal to the threshold (1.0).")

        notifications: list[dict] = []

        def received() -> list[dict]:
            response = deployed_stack.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=1)
            for item in response.get("Messages", []):
                message = json.loads(json.loads(item["Body"])["Message"])
                if message.get("AlarmName") == ALARM:
                    notifications.append(message)
            return notifications

        wait_for(received, timeout_s=20, what="the alarm notification on the ops-alarms topic")
        message = notifications[0]
        assert (message["OldStateValue"], message["NewStateValue"]) == (before["StateValue"], "ALARM")
        assert message["NewStateReason"] == alarm["StateReason"]
        assert message["AlarmArn"] == alarm["AlarmArn"]
        queries = {query["Id"]: query for query in message["Trigger"]["Metrics"]}
        failed = queries["failed"]["MetricStat"]
        assert (failed["Metric"]["Namespace"], failed["Metric"]["MetricName"]) == ("AWS/States", "ExecutionsFailed")
        assert failed["Metric"]["Dimensions"] == [{"value": machine_arn, "name": "StateMachineArn"}]
        assert queries["unsuccessful"]["ReturnData"] and "FILL(failed, 0)" in queries["unsuccessful"]["Expression"]
        assert message["Trigger"]["Period"] == 300 and message["Trigger"]["EvaluationPeriods"] == 1
        assert message["Trigger"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert message["Trigger"]["TreatMissingData"] == "notBreaching"
        assert time.strptime(message["StateChangeTime"][:19], "%Y-%m-%dT%H:%M:%S")
    finally:
        deployed_stack.client("sns").unsubscribe(SubscriptionArn=subscription)
        deployed_stack.client("sqs").delete_queue(QueueUrl=url)
