"""Firing an EventBridge rule's targets the way EventBridge does for a scheduled rule: the
"Scheduled Event" envelope (or the target's constant `Input`) to each target. Works over the API,
so the in-emulator scheduler and `python -m harness.runtime.trigger` share it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

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
