"""Functions run with their execution role's credentials and the emulator enforces the role's policies."""

from __future__ import annotations

import json
import uuid

from tests.runtime import caller_function
from tests.runtime.helpers import create_queue

ACCOUNT = "123456789012"


def _send(url: str) -> dict:
    return {"service": "sqs", "method": "send_message", "args": {"QueueUrl": url, "MessageBody": "x"}}


def _allow(action: str, resource: str) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def test_a_deny_put_on_the_role_in_the_running_emulator_fails_the_invoke_until_removed(runtime_stack):
    url, arn = create_queue(runtime_stack.client("sqs"))
    iam = runtime_stack.client("iam")
    role_name, role_arn = caller_function.create_role(iam, [_allow("sqs:SendMessage", arn)])
    role = role_name
    name = caller_function.deploy(runtime_stack, role_arn)
    failed, _ = caller_function.invoke(runtime_stack, name, [_send(url)], raise_on_error=True)
    assert not failed

    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "*"}]}
    iam.put_role_policy(RoleName=role_name, PolicyName="deny-send", PolicyDocument=json.dumps(deny))
    failed, payload = caller_function.invoke(runtime_stack, name, [_send(url)], raise_on_error=True)
    assert failed
    expected = (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name} is not authorized to perform: "
        f"sqs:SendMessage on resource: {arn} with an explicit deny in an identity-based policy"
    )
    assert expected in payload["errorMessage"]
    assert expected in (runtime_stack.state_dir / "logs" / f"{name}.log").read_text()

    iam.delete_role_policy(RoleName=role_name, PolicyName="deny-send")
    failed, _ = caller_function.invoke(runtime_stack, name, [_send(url)], raise_on_error=True)
    assert not failed


def test_a_call_the_role_does_not_grant_is_refused_with_each_services_error(runtime_stack):
    url, arn = create_queue(runtime_stack.client("sqs"))
    other_url, other_arn = create_queue(runtime_stack.client("sqs"))
    table = f"t-{uuid.uuid4().hex[:6]}"
    runtime_stack.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic = runtime_stack.client("sns").create_topic(Name=f"t-{uuid.uuid4().hex[:6]}")["TopicArn"]
    bucket = f"b-{uuid.uuid4().hex[:6]}"
    runtime_stack.client("s3").create_bucket(Bucket=bucket)
    role, role_arn = caller_function.create_role(runtime_stack.client("iam"), [_allow("sqs:SendMessage", arn)])
    name = caller_function.deploy(runtime_stack, role_arn)
    calls = [
        _send(url),
        _send(other_url),
        {"service": "dynamodb", "method": "put_item", "args": {"TableName": table, "Item": {"id": {"S": "1"}}}},
        {"service": "sns", "method": "publish", "args": {"TopicArn": topic, "Message": "m"}},
        {"service": "s3", "method": "put_object", "args": {"Bucket": bucket, "Key": "k", "Body": "x"}},
    ]
    failed, answers = caller_function.invoke(runtime_stack, name, calls)
    assert not failed
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    expected = [
        ({"ok": True}, None, None),
        (("AccessDenied", 403), "sqs:SendMessage", other_arn),
        (("AccessDeniedException", 400), "dynamodb:PutItem", table_arn),
        (("AuthorizationError", 403), "sns:Publish", topic),
        (("AccessDenied", 403), "s3:PutObject", f"arn:aws:s3:::{bucket}/k"),
    ]
    assert answers[0] == {"ok": True}
    for answer, (code_status, action, resource) in zip(answers[1:], expected[1:], strict=True):
        assert (answer["code"], answer["status"]) == code_status, answer
        assert answer["message"] == (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name} is not authorized to perform: {action} "
            f"on resource: {resource} because no identity-based policy allows the {action} action"
        )
    # The admin credentials (tests, tools, Terraform) stay unrestricted.
    runtime_stack.client("sqs").send_message(QueueUrl=other_url, MessageBody="admin")


def test_a_grant_removed_through_the_iam_api_applies_to_the_next_call(runtime_stack):
    url, arn = create_queue(runtime_stack.client("sqs"))
    iam = runtime_stack.client("iam")
    role, role_arn = caller_function.create_role(iam, [_allow("sqs:SendMessage", arn)])
    name = caller_function.deploy(runtime_stack, role_arn)
    assert caller_function.invoke(runtime_stack, name, [_send(url)]) == (False, [{"ok": True}])
    narrowed = {"Version": "2012-10-17", "Statement": [_allow("sqs:ReceiveMessage", arn)]}
    iam.put_role_policy(RoleName=role, PolicyName="grants", PolicyDocument=json.dumps(narrowed))
    _, answers = caller_function.invoke(runtime_stack, name, [_send(url)])
    assert answers[0]["code"] == "AccessDenied" and "sqs:SendMessage" in answers[0]["message"]


def test_a_role_lambda_may_not_assume_fails_the_cold_start_with_the_reason(runtime_stack):
    ec2_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    _, role_arn = caller_function.create_role(runtime_stack.client("iam"), [], trust=ec2_only)
    name = caller_function.deploy(runtime_stack, role_arn)
    failed, payload = caller_function.invoke(runtime_stack, name, [])
    assert failed and payload["errorType"] == "Runtime.RoleNotAssumable"
    assert f"the trust policy of {role_arn} does not allow lambda.amazonaws.com" in payload["errorMessage"]
    assert "does not allow lambda.amazonaws.com" in (runtime_stack.state_dir / "logs" / f"{name}.log").read_text()


def test_enforcement_off_lets_the_same_call_through(runtime_stack, monkeypatch):
    url, _ = create_queue(runtime_stack.client("sqs"))
    _, role_arn = caller_function.create_role(runtime_stack.client("iam"), [])
    name = caller_function.deploy(runtime_stack, role_arn)
    _, answers = caller_function.invoke(runtime_stack, name, [_send(url)])
    assert answers[0]["code"] == "AccessDenied"
    monkeypatch.setenv("FLEETTAP_IAM_ENFORCEMENT", "off")  # the emulator runs in this process
    assert caller_function.invoke(runtime_stack, name, [_send(url)]) == (False, [{"ok": True}])
