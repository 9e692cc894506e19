"""Resource policies that must let an AWS service deliver, checked where the runtime delivers.

SNS delivering a message to an SQS subscription acts as the service principal `sns.amazonaws.com`,
which has no identity policies: the queue's policy (aws_sqs_queue_policy) must allow it
sqs:SendMessage, for this topic (`aws:SourceArn`), and when the queue is encrypted with a customer
managed key, that key's policy must allow the service kms:GenerateDataKey and kms:Decrypt (SNS
encrypts the message for the queue). Without them AWS drops the delivery (the topic's
NumberOfNotificationsFailed), it does not fail the Publish: `sqs_delivery_denied` says which grant
is missing, and the caller logs it and skips the delivery. Off with `FLEETTAP_IAM_ENFORCEMENT=off`.
"""

from __future__ import annotations

import json
from typing import Any

from harness.emulator import kms_requirements
from harness.emulator.authorization import AccessDenied, enforcement_enabled, evaluate_resource_policy

SNS = "sns.amazonaws.com"


def sqs_delivery_denied(topic_arn: str, queue_arn: str) -> AccessDenied | None:
    """The refusal SNS would meet delivering from `topic_arn` to the queue, or None."""
    if not enforcement_enabled():
        return None
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        return None  # moto reports a missing queue itself
    context: dict[str, Any] = {
        "aws:SourceArn": topic_arn,
        "aws:SourceAccount": topic_arn.split(":")[4],
        "aws:SecureTransport": "true",  # SNS delivers over TLS
    }
    policy = [queue.policy] if getattr(queue, "policy", None) else []
    decision = evaluate_resource_policy(policy, SNS, "sqs:SendMessage", queue_arn, context)
    if not decision.allowed:
        return AccessDenied(SNS, "sqs:SendMessage", queue_arn, decision.explicit_deny, policy_kind="resource-based")
    located = kms_requirements.resource_key("sqs", "sqs:SendMessage", queue_arn, account, region, {})
    if located is None:
        return None
    key_arn, _ = located
    key = kms_requirements.customer_managed_key(key_arn, account, region)
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        grant = evaluate_resource_policy([key.policy], SNS, action, key_arn, context)
        if not grant.allowed:
            return AccessDenied(
                SNS, action, key_arn, grant.explicit_deny, "KMS.AccessDeniedException", "resource-based"
            )
    return None


def topic_may_send_policy(queue_arn: str, topic_arn: str) -> str:
    """The queue policy AWS requires for an SNS subscription of the queue (aws_sqs_queue_policy's)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": SNS},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


def allow_topic_to_send(sqs: Any, queue_url: str, queue_arn: str, topic_arn: str) -> None:
    """Give an unencrypted queue the policy an SNS subscription needs (tools' observer queues)."""
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": topic_may_send_policy(queue_arn, topic_arn)})
