"""Observer queues: one SQS queue per SNS topic of the stack, subscribed for the run, so every
published message is seen (whatever the stack's own subscriptions filter out)."""

from __future__ import annotations

import json
import time
import uuid

from harness.runtime.delivery_policies import allow_topic_to_send
from scenario_runner.outcomes import Message
from sim import aws

TOPICS = (
    "vehicle-alerts",
    "maintenance-required",
    "hos-violations",
    "compliance-summary",
    "geofence-alerts",
    "driver-coaching",
    "ops-alarms",
)


class TopicObservers:
    def __init__(
        self, sns, sqs, project: str | None = None, env: str | None = None, topics: tuple[str, ...] = TOPICS
    ) -> None:
        self.sns, self.sqs = sns, sqs
        self.project, self.env = project, env
        self.topics = topics
        self.run_id = uuid.uuid4().hex[:8]
        self.queues: dict[str, str] = {}  # topic short name -> queue url
        self.subscriptions: list[str] = []
        self.messages: dict[str, list[Message]] = {topic: [] for topic in topics}

    @classmethod
    def from_environment(cls, **options) -> TopicObservers:
        return cls(aws.client("sns"), aws.client("sqs"), **options)

    def topic_arns(self) -> dict[str, str]:
        """Short name -> ARN for this stack's topics that exist."""
        wanted = {aws.resource_name(topic, self.project, self.env): topic for topic in self.topics}
        found = {}
        for page in self.sns.get_paginator("list_topics").paginate():
            for item in page.get("Topics", []):
                name = item["TopicArn"].rsplit(":", 1)[-1]
                if name in wanted:
                    found[wanted[name]] = item["TopicArn"]
        return found

    def start(self) -> dict[str, str]:
        """Create and subscribe one queue per existing topic; returns short name -> topic ARN."""
        arns = self.topic_arns()
        for topic, topic_arn in arns.items():
            name = aws.resource_name(f"simobs-{self.run_id}-{topic}", self.project, self.env)[:80]
            url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
            queue_arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            allow_topic_to_send(self.sqs, url, queue_arn, topic_arn)
            subscription = self.sns.subscribe(
                TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
            )
            self.subscriptions.append(subscription["SubscriptionArn"])
            self.queues[topic] = url
        return arns

    def poll(self, wait_s: int = 0) -> int:
        """Drain what is waiting on every observer queue; returns how many messages arrived."""
        arrived = 0
        for topic, url in self.queues.items():
            while True:
                response = self.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s, MessageAttributeNames=["All"]
                )
                batch = response.get("Messages", [])
                if not batch:
                    break
                now = time.time()
                for item in batch:
                    self.messages[topic].append(parse_notification(item["Body"], now))
                self.sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": item["ReceiptHandle"]} for i, item in enumerate(batch)],
                )
                arrived += len(batch)
        return arrived

    def stop(self) -> None:
        for arn in self.subscriptions:
            try:
                self.sns.unsubscribe(SubscriptionArn=arn)
            except Exception:  # the stack may already be gone; nothing left to clean then
                pass
        for url in self.queues.values():
            try:
                self.sqs.delete_queue(QueueUrl=url)
            except Exception:
                pass
        self.subscriptions, self.queues = [], {}


def parse_notification(body: str, received_at: float = 0.0) -> Message:
    """An SNS envelope (or a raw message) into a Message with parsed body and attributes."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return Message(body, {}, received_at)
    if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
        attributes = {name: value.get("Value") for name, value in (envelope.get("MessageAttributes") or {}).items()}
        try:
            inner = json.loads(envelope.get("Message", ""))
        except ValueError:
            inner = envelope.get("Message")
        return Message(inner, attributes, received_at)
    return Message(envelope, {}, received_at)
