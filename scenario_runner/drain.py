"""Waiting for the pipeline to settle after the last record: observer messages stop arriving and
the stack's own queue depths stop changing for a quiet period (or the timeout passes).

"Stop changing" rather than "reach zero": dead-letter queues keep what failed, and a queue whose
consumer is outside the stack (the driver training queue) is never emptied by the pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable

from sim import aws


def queue_depths(sqs, prefix: str) -> dict[str, int]:
    """Queue name -> visible + in-flight messages, for the queues whose names start with prefix."""
    depths = {}
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        depths[url.rsplit("/", 1)[-1]] = sum(int(value) for value in attributes.values())
    return depths


def queue_backlog(sqs, prefix: str, exclude: str = "simobs-") -> int:
    """Visible + in-flight messages over the stack's queues (observer queues excluded)."""
    return sum(depth for name, depth in queue_depths(sqs, prefix).items() if exclude not in name)


def wait_until_settled(
    poll: Callable[[], int],
    backlog: Callable[[], int],
    *,
    quiet_s: float,
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[float, int], None] | None = None,
) -> bool:
    """True once nothing new arrived and the backlog stayed the same for `quiet_s`; False on timeout."""
    began = clock()
    quiet_since = clock()
    last_pending = None
    while clock() - began < timeout_s:
        arrived = poll()
        pending = backlog()
        if arrived or pending != last_pending:
            quiet_since = clock()
            last_pending = pending
        elif clock() - quiet_since >= quiet_s:
            return True
        if on_wait is not None:
            on_wait(clock() - began, pending)
        sleep(1.0)
    return False


def stack_queue_prefix(project: str | None = None, env: str | None = None) -> str:
    return aws.resource_name("", project, env)
