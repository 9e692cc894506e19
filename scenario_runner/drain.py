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


class DrainReport:
    """`on_wait` for wait_until_settled: every few seconds one line saying what the drain waits for
    (the stack's queues still holding messages, and how long the quiet period has left)."""

    def __init__(self, console, quiet_s: float, timeout_s: float, sqs, env: str | None, every_s: float = 5.0) -> None:
        self.console, self.quiet_s, self.timeout_s, self.sqs, self.env = console, quiet_s, timeout_s, sqs, env
        self.every_s = every_s
        self._last_shown = -every_s
        self._last_pending: int | None = None
        self._quiet_since = 0.0

    def __call__(self, elapsed_s: float, pending: int) -> None:
        if pending != self._last_pending:
            self._last_pending, self._quiet_since = pending, elapsed_s
        if elapsed_s - self._last_shown < self.every_s:
            return
        self._last_shown = elapsed_s
        self.console.print(self.line(elapsed_s, pending))

    def line(self, elapsed_s: float, pending: int) -> str:
        quiet_left = max(0.0, self.quiet_s - (elapsed_s - self._quiet_since))
        head = f"draining {elapsed_s:.0f}/{self.timeout_s:.0f} s:"
        if pending:
            prefix = stack_queue_prefix(env=self.env)
            busy = {
                name[len(prefix) :]: depth
                for name, depth in queue_depths(self.sqs, prefix).items()
                if depth and "simobs-" not in name
            }
            shown = ", ".join(f"{name} {depth}" for name, depth in sorted(busy.items(), key=lambda kv: -kv[1])[:4])
            return f"{head} {pending} messages in queues ({shown}); settled after {quiet_left:.0f} s unchanged"
        return f"{head} queues empty, waiting {quiet_left:.0f} s more for late alerts"
