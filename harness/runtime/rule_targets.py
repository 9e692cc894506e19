"""Firing an EventBridge rule's targets the way EventBridge does for a scheduled rule: the
"Scheduled Event" envelope (or the target's constant `Input`) to each target. Works over the API,
so the in-emulator scheduler and `python -m harness.runtime.trigger` share it.

EventBridge acts for a target with the target's role (`RoleArn`): a Step Functions target needs it to
allow states:StartExecution on the state machine, and kms:GenerateDataKey on the state machine's
customer managed key (under its encryption context) when it has one; a target without a role is
refused. Lambda, SQS and SNS targets need their resource policy (aws_lambda_permission, queue or
topic policy) to allow events.amazonaws.com for this rule. A refused target is not started: on AWS
it counts as a FailedInvocation of the rule, so it is logged (`service_roles.record_denial`) and
returned as `{"target", "failed"}`; the other targets still fire.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

from botocore.exceptions import ClientError

from harness.emulator.authorization import AccessDenied, enforcement_enabled, evaluate_resource_policy
from harness.runtime import service_roles
from harness.runtime.aws_clients import client

log = logging.getLogger(__name__)


def scheduled_event(rule: dict[str, Any], region: str, when: dt.datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule["Arn"].split(":")[4],
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule["Arn"]],
        "detail": {},
    }


def fire_rule(
    rule_name: str, endpoint: str, region: str, event_bus: str = "default", when: dt.datetime | None = None
) -> list[dict[str, str]]:
    """Deliver one scheduled event to every target; returns what was started per target."""
    events = client("events", endpoint, region)
    rule = events.describe_rule(Name=rule_name, EventBusName=event_bus)
    when = when or dt.datetime.now(dt.UTC)
    event = scheduled_event(rule, region, when)
    fired = []
    for target in events.list_targets_by_rule(Rule=rule_name, EventBusName=event_bus)["Targets"]:
        payload = target["Input"] if target.get("Input") else json.dumps(event)
        service = target["Arn"].split(":")[2]
        try:
            authorize_target(rule["Arn"], target, endpoint, region)
        except AccessDenied as denied:
            service_roles.record_denial(f"rule:{rule_name}", denied, effect=f"target {target['Arn']} not invoked")
            fired.append({"target": target["Arn"], "failed": denied.message})
            continue
        if service == "states":
            execution = client("stepfunctions", endpoint, region).start_execution(
                stateMachineArn=target["Arn"], input=payload
            )
            fired.append({"target": target["Arn"], "execution": execution["executionArn"]})
        elif service == "lambda":
            client("lambda", endpoint, region).invoke(
                FunctionName=target["Arn"], InvocationType="Event", Payload=payload.encode()
            )
            fired.append({"target": target["Arn"], "invoked": "Event"})
        elif service == "sqs":
            sqs = client("sqs", endpoint, region)
            parts = target["Arn"].split(":")
            url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=payload)
            fired.append({"target": target["Arn"], "sent": "sqs"})
        elif service == "sns":
            client("sns", endpoint, region).publish(TopicArn=target["Arn"], Message=payload)
            fired.append({"target": target["Arn"], "sent": "sns"})
        else:
            log.warning("rule %s: unsupported target %s", rule_name, target["Arn"])
    return fired


def authorize_target(rule_arn: str, target: dict[str, Any], endpoint: str, region: str) -> None:
    """Raise `AccessDenied` when EventBridge could not deliver to this target (module docstring)."""
    if not enforcement_enabled():
        return
    arn, service = target["Arn"], target["Arn"].split(":")[2]
    if service == "states":
        role_arn = target.get("RoleArn") or ""
        if not role_arn:
            raise AccessDenied(
                "events.amazonaws.com", "states:StartExecution", arn, False, policy_kind="identity-based"
            )
        policies = service_roles.role_policies_via_api(client("iam", endpoint, region), role_arn)
        service_roles.check(role_arn, "states:StartExecution", arn, region, policies=policies, session_name="events")
        key = _state_machine_key(arn, endpoint, region)
        if key is not None:
            context = {
                "kms:ViaService": f"states.{region}.amazonaws.com",
                "kms:EncryptionContext:aws:states:stateMachineArn": arn,
            }
            service_roles.check(
                role_arn, "kms:GenerateDataKey", key, region, context, session_name="events", policies=policies
            )
        return
    action, document = _resource_policy(service, arn, endpoint, region)
    if action is None:
        return
    decision = evaluate_resource_policy(
        [document] if document else [], "events.amazonaws.com", action, arn, {"aws:SourceArn": rule_arn}
    )
    if not decision.allowed:
        raise AccessDenied("events.amazonaws.com", action, arn, decision.explicit_deny, policy_kind="resource-based")


def _state_machine_key(machine_arn: str, endpoint: str, region: str) -> str | None:
    config = client("stepfunctions", endpoint, region).describe_state_machine(stateMachineArn=machine_arn)
    encryption = config.get("encryptionConfiguration") or {}
    if encryption.get("type") != "CUSTOMER_MANAGED_KMS_KEY" or not encryption.get("kmsKeyId"):
        return None
    return client("kms", endpoint, region).describe_key(KeyId=encryption["kmsKeyId"])["KeyMetadata"]["Arn"]


def _resource_policy(service: str, arn: str, endpoint: str, region: str) -> tuple[str | None, Any]:
    """(the action EventBridge performs on the target, the target's resource policy document)."""
    if service == "lambda":
        try:
            return "lambda:InvokeFunction", client("lambda", endpoint, region).get_policy(FunctionName=arn)["Policy"]
        except ClientError:  # no resource policy at all
            return "lambda:InvokeFunction", None
    if service == "sqs":
        sqs = client("sqs", endpoint, region)
        parts = arn.split(":")
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
        return "sqs:SendMessage", attributes.get("Policy")
    if service == "sns":
        attributes = client("sns", endpoint, region).get_topic_attributes(TopicArn=arn)["Attributes"]
        return "sns:Publish", attributes.get("Policy")
    return None, None
