"""SNS delivery, Step Functions Task states, SageMaker runtime and the EventBridge schedule."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from harness.runtime.delivery_policies import allow_topic_to_send
from harness.runtime.rule_targets import fire_rule
from harness.runtime.scheduler import RuleScheduler
from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, drain, observed, unique, wait_for


def test_sns_filter_policy_on_message_attributes_selects_the_sqs_subscribers(runtime_stack):
    sns, sqs = runtime_stack.client("sns"), runtime_stack.client("sqs")
    topic_arn = sns.create_topic(Name=unique("alerts"))["TopicArn"]
    severe_url, severe_arn = create_queue(sqs)
    all_url, all_arn = create_queue(sqs)
    allow_topic_to_send(sqs, severe_url, severe_arn, topic_arn)
    allow_topic_to_send(sqs, all_url, all_arn, topic_arn)
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=severe_arn,
        Attributes={"FilterPolicy": json.dumps({"severity": ["high", "critical"]})},
    )
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=all_arn)
    for severity in ("info", "critical"):
        sns.publish(
            TopicArn=topic_arn,
            Message=severity,
            MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
        )
    severe = [json.loads(m["Body"])["Message"] for m in drain(sqs, severe_url, 1)]
    everything = sorted(json.loads(m["Body"])["Message"] for m in drain(sqs, all_url, 2))
    assert severe == ["critical"] and everything == ["critical", "info"]
    assert drain(sqs, severe_url, 1, timeout_s=1.5) == []


def test_sns_lambda_subscription_gets_a_real_sns_event(runtime_stack, tmp_path):
    sns = runtime_stack.client("sns")
    observe = tmp_path / "observed.jsonl"
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(observe))
    topic_arn = sns.create_topic(Name=unique("violations"))["TopicArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="lambda",
        Endpoint=function_arn,
        Attributes={"FilterPolicy": json.dumps({"severity": ["high"]})},
    )
    sns.publish(
        TopicArn=topic_arn,
        Message="dropped",
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "info"}},
    )
    sns.publish(
        TopicArn=topic_arn,
        Message="kept",
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "high"}},
    )
    [batch] = wait_for(lambda: observed(observe))
    time.sleep(0.5)
    assert len(observed(observe)) == 1
    assert batch["ids"] == ["kept"]
    assert batch["attributes"][0]["severity"] == {"Type": "String", "Value": "high"}


def _state_machine(stack, function_arn: str) -> str:
    definition = {
        "StartAt": "Echo",
        "States": {
            "Echo": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload": {"step": "echo", "input.$": "$"}},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    role = fixture_function.role_arn(stack.client("iam"))
    return stack.client("stepfunctions").create_state_machine(
        name=unique("sm"), definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]


def _finished(sfn, execution_arn):
    description = sfn.describe_execution(executionArn=execution_arn)
    return description if description["status"] != "RUNNING" else None


def test_step_functions_task_invokes_the_local_function(runtime_stack, tmp_path):
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    sfn = runtime_stack.client("stepfunctions")
    machine_arn = _state_machine(runtime_stack, function_arn)
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps({"day": "2026-11-24"}))[
        "executionArn"
    ]
    description = wait_for(lambda: _finished(sfn, execution_arn), timeout_s=30)
    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    assert output["echo"] == {"step": "echo", "input": {"day": "2026-11-24"}}


def test_schedule_rule_starts_its_state_machine(runtime_stack, tmp_path):
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    events, sfn = runtime_stack.client("events"), runtime_stack.client("stepfunctions")
    machine_arn = _state_machine(runtime_stack, function_arn)
    rule = unique("daily")
    events.put_rule(Name=rule, ScheduleExpression="cron(0 6 * * ? *)", State="ENABLED")
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "sfn", "Arn": machine_arn, "RoleArn": fixture_function.role_arn(runtime_stack.client("iam"))}],
    )
    scheduler = RuleScheduler(runtime_stack.state_dir, runtime_stack.endpoint, "us-east-1")
    assert scheduler.tick(dt.datetime(2026, 11, 25, 5, 58, tzinfo=dt.UTC)) == []  # first sight
    assert scheduler.tick(dt.datetime(2026, 11, 25, 5, 59, 30, tzinfo=dt.UTC)) == []
    assert rule in scheduler.tick(dt.datetime(2026, 11, 25, 6, 0, 5, tzinfo=dt.UTC))
    [execution] = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
    description = wait_for(lambda: _finished(sfn, execution["executionArn"]), timeout_s=30)
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["echo"]["input"]["detail-type"] == "Scheduled Event"
    [fired] = fire_rule(rule, runtime_stack.endpoint, "us-east-1")  # the trigger-now path
    assert fired["execution"].startswith("arn:aws:states:")


def test_sagemaker_runtime_answers_from_the_local_model(runtime_stack):
    """InvokeEndpoint through the emulator reaches the local model, with the handler's own payload:
    windows cut from the simulator (one healthy, one with a cooling failure well under way)."""
    from handlers.domain.predictive import build_features, parse_prediction, to_csv
    from harness.model import degradation_data
    from sim.injections import Injection

    plan = [["ON", "pretrip", "15m"], ["D", "drive", "5h"]]
    injections = [
        Injection.from_mapping({"type": "duty_plan", "vehicles": [0, 1], "plan": plan}),
        Injection.from_mapping({"type": "cooling_failure", "vehicles": [0], "ramp": "2h", "peak": 1.0}),
    ]
    samples = degradation_data.fleet_samples(
        2, 5 * 3600, seed=303, injections=injections, stride_min=30, start="2026-11-23T13:00:00Z"
    )
    healthy = next(s for s in samples if s.failing_component is None and s.vehicle_id == "VH-000002")
    failing = next(s for s in reversed(samples) if s.failing_component == "cooling_system")
    runtime = runtime_stack.client("sagemaker-runtime")

    def ask(sample):
        body = to_csv(build_features(sample.records, sample.history))
        response = runtime.invoke_endpoint(
            EndpointName="fleettap-dev-predictive", ContentType="text/csv", Accept="application/json", Body=body
        )
        return parse_prediction(response["Body"].read())

    assert ask(healthy).confidence <= 0.8
    answer = ask(failing)
    assert answer.component == "cooling_system" and answer.confidence > 0.8


def test_unreachable_https_subscriber_does_not_fail_publish(runtime_stack):
    sns, sqs = runtime_stack.client("sns"), runtime_stack.client("sqs")
    topic_arn = sns.create_topic(Name=unique("ops"))["TopicArn"]
    queue_url, queue_arn = create_queue(sqs)
    sns.subscribe(TopicArn=topic_arn, Protocol="https", Endpoint="https://hooks.invalid/fleettap")
    allow_topic_to_send(sqs, queue_url, queue_arn, topic_arn)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic_arn, Message="still delivered")
    assert [json.loads(m["Body"])["Message"] for m in drain(sqs, queue_url, 1)] == ["still delivered"]


def test_tls_only_bucket_policy_allows_requests_to_the_emulator_endpoint(runtime_stack):
    s3 = runtime_stack.client("s3")
    bucket = unique("tls-only")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "DenyAll",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/secret/*",
                    },
                ],
            }
        ),
    )
    s3.put_object(Bucket=bucket, Key="open/a", Body=b"1")
    assert s3.get_object(Bucket=bucket, Key="open/a")["Body"].read() == b"1"
    s3.put_object(Bucket=bucket, Key="secret/b", Body=b"2")
    with pytest.raises(Exception):
        s3.get_object(Bucket=bucket, Key="secret/b")


def test_sns_envelopes_are_signed_with_one_reusable_certificate(runtime_stack):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from moto.sns.models import sns_backends

    sns, sqs = runtime_stack.client("sns"), runtime_stack.client("sqs")
    topic_arn = sns.create_topic(Name=unique("signed"))["TopicArn"]
    queue_url, queue_arn = create_queue(sqs)
    allow_topic_to_send(sqs, queue_url, queue_arn, topic_arn)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    started = time.monotonic()
    for i in range(20):
        sns.publish(TopicArn=topic_arn, Message=f"m{i}")
    envelopes = [json.loads(m["Body"]) for m in drain(sqs, queue_url, 20)]
    assert time.monotonic() - started < 10
    assert len({e["SigningCertURL"] for e in envelopes}) == 1
    pem = sns_backends["123456789012"]["us-east-1"]._message_public_keys[
        envelopes[0]["SigningCertURL"].rsplit("/", 1)[1]
    ]
    public_key = x509.load_pem_x509_certificate(pem).public_key()
    for e in envelopes:
        signed = (
            f"Message\n{e['Message']}\nMessageId\n{e['MessageId']}\nTimestamp\n{e['Timestamp']}\n"
            f"TopicArn\n{e['TopicArn']}\nType\nNotification\n"
        )
        import base64

        public_key.verify(base64.b64decode(e["Signature"]), signed.encode(), padding.PKCS1v15(), hashes.SHA256())
