"""SQS: queue attributes as the provider compares them (and counted with one clock reading),
bounded deleted-handle history, and the message size limit measured as AWS measures it."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from moto.core.utils import unix_time_millis
from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import Queue, SQSBackend

from harness.emulator.patches.payload_size import message_size
from harness.emulator.patches.registry import patch

SQS_DELETED_HANDLES_PER_QUEUE = 10_000


@patch(target=Queue.attributes)
def compact_redrive_policy(fn: Any, self: Queue) -> dict[str, Any]:
    """SQS GetQueueAttributes: RedrivePolicy in compact JSON.

    Gap: moto re-serialises RedrivePolicy with `json.dumps` defaults (`", "`/`": "`), so the
    provider, which compares the string with its compact jsonencode(), shows a diff on every plan.
    Fix: compact separators.
    """
    result = fn(self)
    if self.redrive_policy:
        result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
    return result


# GetQueueAttributes (the soak's and the alarms' queue depths) counts a queue's messages three ways.
# moto reads the clock once per message per count through the `visible`/`delayed` properties; a
# queue nobody consumes in dev (driver_training_queue) held 2,444 messages after 8 minutes at 1,500
# records/s and its attributes were 9 % of the emulator's CPU (py-spy). The counts below compare each
# message's `visible_at`/`delayed_until` with one reading, as the properties do with theirs.


@patch(target=Queue.approximate_number_of_messages)
def visible_count_one_clock(fn: Any, self: Queue) -> int:
    """SQS ApproximateNumberOfMessages: visible and not delayed messages, counted with one clock reading.

    Gap: moto's count reads the clock twice per message (`visible`, `delayed`). Fix: one reading."""
    now = unix_time_millis()
    return sum(1 for m in self._messages if now > m.visible_at and not now < m.delayed_until)


@patch(target=Queue.approximate_number_of_messages_not_visible)
def in_flight_count_one_clock(fn: Any, self: Queue) -> int:
    """SQS ApproximateNumberOfMessagesNotVisible, counted with one clock reading.

    Gap: one clock reading per message. Fix: one per count."""
    now = unix_time_millis()
    return sum(1 for m in self._messages if not now > m.visible_at)


@patch(target=Queue.approximate_number_of_messages_delayed)
def delayed_count_one_clock(fn: Any, self: Queue) -> int:
    """SQS ApproximateNumberOfMessagesDelayed, counted with one clock reading.

    Gap: one clock reading per message. Fix: one per count."""
    now = unix_time_millis()
    return sum(1 for m in self._messages if now < m.delayed_until)


@patch(target=SQSBackend.set_queue_attributes)
def keep_policy_on_other_updates(fn: Any, self: SQSBackend, queue_name: str, attributes: dict[str, Any]) -> Any:
    """SQS SetQueueAttributes: a call without `Policy` keeps the queue policy.

    Gap: moto resets the stored policy to None when the call does not set `Policy`, so an unrelated
    attribute update silently deletes the aws_sqs_queue_policy (SNS can no longer deliver).
    Fix: keep the policy unless the call sets it.
    """
    previous = self.get_queue(queue_name).policy
    queue = fn(self, queue_name, attributes)
    if "Policy" not in attributes:
        queue.policy = previous
    return queue


class RecentSet:
    """A set that remembers only its `limit` most recently added members (insertion order)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._members: OrderedDict[Any, None] = OrderedDict()

    def add(self, member: Any) -> None:
        self._members[member] = None
        self._members.move_to_end(member)
        while len(self._members) > self.limit:
            self._members.popitem(last=False)

    def update(self, members: Any) -> None:
        for member in members:
            self.add(member)

    def __contains__(self, member: Any) -> bool:
        return member in self._members

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Any:
        return iter(list(self._members))


@patch(target=Queue.__init__)
def bounded_deleted_handles(fn: Any, self: Queue, *args: Any, **kwargs: Any) -> None:
    """SQS DeleteMessage: the deleted receipt handles a queue remembers are bounded.

    Gap: moto adds every deleted receipt handle to the queue's `deleted_messages` (to accept a
    repeated delete) and never forgets one, so the emulator grows per message.
    Fix: remember the last SQS_DELETED_HANDLES_PER_QUEUE handles (a handle that old cannot be valid
    any more); a repeated delete of a recent handle is still accepted.
    """
    fn(self, *args, **kwargs)
    self.deleted_messages = RecentSet(SQS_DELETED_HANDLES_PER_QUEUE)


@patch(target=SQSBackend.send_message)
def message_size_in_bytes_with_attributes(
    fn: Any,
    self: SQSBackend,
    queue_name: str,
    message_body: str,
    message_attributes: Any = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """SQS SendMessage / SendMessageBatch: the queue's MaximumMessageSize is held against the message's
    UTF-8 bytes plus its attributes.

    Gap: moto compares the body's length in characters, without the message attributes, so a body of
    multi-byte characters, or one whose attributes take it over the limit, is accepted where AWS
    refuses it. Fix: measure as AWS does (`payload_size.message_size`) and refuse with moto's (AWS's)
    InvalidParameterValue; moto's own checks still run.
    """
    limit = int(self.get_queue(queue_name).maximum_message_size)
    if message_size(message_body, message_attributes) > limit:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
        )
    return fn(self, queue_name, message_body, message_attributes, *args, **kwargs)
