"""Service roles and resource policies the local runtime checks where AWS's services act: each test
shows a call AWS would refuse being refused locally (and the same call going through once granted)."""

from __future__ import annotations

import json
import time

from harness.runtime.delivery_policies import allow_topic_to_send, topic_may_send_policy
from harness.runtime.rule_targets import fire_rule
from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, drain, observed, unique, wait_for

ACCOUNT = "123456789012"
LAMBDA = "lambda.amazonaws.com"


def assume(service: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def make_role(stack, *statements: dict, service: str = "states.amazonaws.com") -> str:
    """A role `service` may assume (a state machine's by default; a function's needs lambda.amazonaws.com)."""
    iam, name = stack.client("iam"), unique("role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(assume(service)))["Role"]["Arn"]
    grant(stack, arn, *statements)
    return arn


def grant(stack, role_arn: str, *statements: dict) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": list(statements) or [{"Effect": "Deny", "Action": "none:None", "Resource": "*"}],
    }
    stack.client("iam").put_role_policy(
        RoleName=role_arn.split("/")[-1], PolicyName="least-privilege", PolicyDocument=json.dumps(document)
    )


def allow(action, resource, condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def state_machine(stack, function_arn: str, role_arn: str, encryption: dict | None = None) -> str:
    definition = {
        "StartAt": "Echo",
        "States": {
            "Echo": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload": {"step": "echo"}},
                "End": True,
            }
        },
    }
    extra = {"encryptionConfiguration": encryption} if encryption else {}
    return stack.client("stepfunctions").create_state_machine(
        name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn, **extra
    )["stateMachineArn"]


def run(stack, machine_arn: str) -> tuple[dict, list[dict]]:
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]

    def finished():
        description = sfn.describe_execution(executionArn=execution)
        return description if description["status"] != "RUNNING" else None

    description = wait_for(finished, timeout_s=30)
    return description, sfn.get_execution_history(executionArn=execution)["events"]


def test_state_machine_role_without_invoke_fails_the_task_naming_role_action_function(runtime_stack, tmp_path):
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    role_arn = make_role(runtime_stack)  # nothing granted
    description, events = run(runtime_stack, state_machine(runtime_stack, function_arn, role_arn))
    assert description["status"] == "FAILED"
    [failed] = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert failed["error"] == "Lambda.AccessDeniedException"
    role_name = role_arn.split("/")[-1]
    assert f"assumed-role/{role_name}/" in failed["cause"]
    assert f"lambda:InvokeFunction on resource: {function_arn}" in failed["cause"]
    grant(runtime_stack, role_arn, allow("lambda:InvokeFunction", function_arn))
    description, _ = run(runtime_stack, state_machine(runtime_stack, function_arn, role_arn))
    assert description["status"] == "SUCCEEDED"


def test_a_grant_taken_away_is_refused_at_the_next_execution_though_the_client_is_reused(runtime_stack, tmp_path):
    """The interpreter's clients are cached per role (harness.runtime.sfn_role); the role is still
    evaluated at every call, so a policy change counts from the next call on."""
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    role_arn = make_role(runtime_stack, allow("lambda:InvokeFunction", function_arn))
    machine = state_machine(runtime_stack, function_arn, role_arn)
    assert run(runtime_stack, machine)[0]["status"] == "SUCCEEDED"
    grant(runtime_stack, role_arn)  # nothing granted any more
    description, events = run(runtime_stack, machine)
    assert description["status"] == "FAILED"
    [failed] = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert failed["error"] == "Lambda.AccessDeniedException"
    grant(runtime_stack, role_arn, allow("lambda:InvokeFunction", function_arn))
    assert run(runtime_stack, machine)[0]["status"] == "SUCCEEDED"


def test_encrypted_state_machine_needs_its_role_to_use_the_key(runtime_stack, tmp_path):
    kms = runtime_stack.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]  # default key policy: the account root (IAM decides)
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    role_arn = make_role(runtime_stack, allow("lambda:InvokeFunction", function_arn))
    encryption = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": key_arn}
    machine_arn = state_machine(runtime_stack, function_arn, role_arn, encryption)
    description, _ = run(runtime_stack, machine_arn)
    assert description["status"] == "FAILED" and description["error"] == "KMS.AccessDeniedException"
    assert f"on resource: {key_arn}" in description["cause"]
    context = {"StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": machine_arn}}
    grant(
        runtime_stack,
        role_arn,
        allow("lambda:InvokeFunction", function_arn),
        allow(["kms:Decrypt", "kms:GenerateDataKey"], key_arn, context),
    )
    assert run(runtime_stack, machine_arn)[0]["status"] == "SUCCEEDED"


def test_sns_to_sqs_needs_the_queue_policy_and_the_queue_key_policy(runtime_stack):
    sns, sqs, kms = (runtime_stack.client(s) for s in ("sns", "sqs", "kms"))
    topic_arn = sns.create_topic(Name=unique("alerts"))["TopicArn"]
    url, queue_arn = create_queue(sqs)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic_arn, Message="no queue policy")
    assert drain(sqs, url, 1, timeout_s=2) == []
    allow_topic_to_send(sqs, url, queue_arn, topic_arn)
    sns.publish(TopicArn=topic_arn, Message="allowed")
    assert [json.loads(m["Body"])["Message"] for m in drain(sqs, url, 1)] == ["allowed"]

    root_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key_arn = kms.create_key(Policy=json.dumps(root_only))["KeyMetadata"]["Arn"]
    encrypted_url, encrypted_arn = create_queue(sqs, {"KmsMasterKeyId": key_arn})
    sqs.set_queue_attributes(
        QueueUrl=encrypted_url, Attributes={"Policy": topic_may_send_policy(encrypted_arn, topic_arn)}
    )
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=encrypted_arn)
    sns.publish(TopicArn=topic_arn, Message="key policy without SNS")
    assert drain(sqs, encrypted_url, 1, timeout_s=2) == []
    root_only["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    )
    kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=json.dumps(root_only))
    sns.publish(TopicArn=topic_arn, Message="key policy with SNS")
    assert [json.loads(m["Body"])["Message"] for m in drain(sqs, encrypted_url, 1)] == ["key policy with SNS"]


def test_a_mapping_whose_role_cannot_read_its_source_is_refused_at_creation(runtime_stack, tmp_path):
    """Lambda's CreateEventSourceMapping checks the execution role, so a mis-wired mapping fails the apply."""
    sqs, kinesis = runtime_stack.client("sqs"), runtime_stack.client("kinesis")
    _, queue_arn = create_queue(sqs)
    stream = unique("stream")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    partial = allow(["sqs:DeleteMessage", "sqs:GetQueueAttributes"], queue_arn)
    role_arn = make_role(runtime_stack, partial, service=LAMBDA)
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"), role=role_arn)
    lambda_ = runtime_stack.client("lambda")
    for source, message in [
        (queue_arn, "The provided execution role does not have permissions to call ReceiveMessage on SQS"),
        (stream_arn, f"Cannot access stream {stream_arn}. Please ensure the role can perform the GetRecords"),
    ]:
        try:
            lambda_.create_event_source_mapping(EventSourceArn=source, FunctionName=function_arn, BatchSize=10)
        except lambda_.exceptions.InvalidParameterValueException as refused:
            assert message in str(refused)
        else:
            raise AssertionError(f"a mapping of {source} was created for a role that cannot read it")
    assert lambda_.list_event_source_mappings(FunctionName=function_arn)["EventSourceMappings"] == []


def test_sqs_mapping_whose_role_loses_receive_leaves_messages_and_says_why(runtime_stack, tmp_path):
    sqs = runtime_stack.client("sqs")
    url, queue_arn = create_queue(sqs)
    consume = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    role_arn = make_role(runtime_stack, allow(consume, queue_arn), service=LAMBDA)
    observe = tmp_path / "o.jsonl"
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(observe), role=role_arn)
    runtime_stack.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=function_arn, BatchSize=10
    )
    grant(runtime_stack, role_arn, allow(["sqs:DeleteMessage", "sqs:GetQueueAttributes"], queue_arn))
    runtime_stack.refresh_mappings()

    def reason():
        rows = [r for r in runtime_stack.runtime.supervisor.snapshot() if r["source"] == queue_arn]
        return rows[0]["state_reason"] if rows and rows[0]["state_reason"] else None

    why = wait_for(reason, timeout_s=10)  # the poller has seen the revoked grant before anything is sent
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "m1"}))
    assert f"sqs:ReceiveMessage on resource: {queue_arn}" in why and role_arn.split("/")[-1] in why
    log_path = runtime_stack.state_dir / "logs" / f"{function_arn.split(':')[-1]}.log"
    # The poller notes the reason before it writes the function's log line: wait for the line too.
    log = wait_for(
        lambda: log_path.exists() and "AccessDenied" in (text := log_path.read_text()) and text, timeout_s=10
    )
    assert "AccessDenied" in log and "sqs:ReceiveMessage" in log
    time.sleep(2)  # two polling rounds: the message must stay
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "1" and observed(observe) == []
    grant(runtime_stack, role_arn, allow(consume, queue_arn))
    assert wait_for(lambda: observed(observe), timeout_s=15)[0]["ids"] == ["m1"]


def test_rule_target_role_must_allow_starting_the_state_machine(runtime_stack, tmp_path):
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    machine_arn = state_machine(runtime_stack, function_arn, fixture_function.role_arn(runtime_stack.client("iam")))
    events = runtime_stack.client("events")
    rule = unique("daily")
    events.put_rule(Name=rule, ScheduleExpression="cron(0 6 * * ? *)", State="ENABLED")
    events_role = make_role(runtime_stack, allow("states:StartExecution", machine_arn.replace(":sm-", ":other-")))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": machine_arn, "RoleArn": events_role}])
    [fired] = fire_rule(rule, runtime_stack.endpoint, "us-east-1")
    assert f"states:StartExecution on resource: {machine_arn}" in fired["failed"]
    assert runtime_stack.client("stepfunctions").list_executions(stateMachineArn=machine_arn)["executions"] == []
    grant(runtime_stack, events_role, allow("states:StartExecution", machine_arn))
    [fired] = fire_rule(rule, runtime_stack.endpoint, "us-east-1")
    assert fired["execution"].startswith("arn:aws:states:")


def test_async_failure_goes_to_the_dead_letter_queue_only_with_the_role_s_grant(runtime_stack, tmp_path):
    sqs, lam = runtime_stack.client("sqs"), runtime_stack.client("lambda")
    dlq_url, dlq_arn = create_queue(sqs)
    role_arn = make_role(runtime_stack, service=LAMBDA)  # no sqs:SendMessage on the DLQ yet
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"), role=role_arn)
    lam.update_function_configuration(FunctionName=function_arn, DeadLetterConfig={"TargetArn": dlq_arn})
    lam.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps({"fail": "raise", "n": 1}))
    log = runtime_stack.state_dir / "logs" / f"{function_arn.split(':')[-1]}.log"
    wait_for(lambda: log.exists() and "sqs:SendMessage" in log.read_text(), timeout_s=30)
    assert f"on resource: {dlq_arn}" in log.read_text()
    assert drain(sqs, dlq_url, 1, timeout_s=1) == []
    grant(runtime_stack, role_arn, allow("sqs:SendMessage", dlq_arn))
    lam.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps({"fail": "raise", "n": 2}))
    [message] = drain(sqs, dlq_url, 1, timeout_s=30)
    assert json.loads(message["Body"]) == {"fail": "raise", "n": 2}
    assert "asked to fail" in message["MessageAttributes"]["ErrorMessage"]["StringValue"]
