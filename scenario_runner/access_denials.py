"""Calls AWS refused during a run, for the run summary: which role, which action, which resource.

The emulator refuses a function's call as AWS does, with AWS's message ("User: <assumed-role ARN> is
not authorized to perform: <action> on resource: <ARN> ..."), which the function logs when the call
fails its batch, and which a rejected record carries into the function's dead-letter queue. A role
Lambda cannot assume fails the cold start with "Lambda cannot assume the execution role of ...".

Contract: `LogMark.take(logs_dir)` remembers how far each function log is written; `scan(mark, sqs,
queue_prefix)` reads what the logs gained since (and peeks at the DLQ messages, without consuming
them) and returns the distinct `Denial`s, each with how often it was seen; `outcome(denials)` is the
run's "no AWS call refused" check (failing, naming role, action and resource of each).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scenario_runner.outcomes import Outcome

DENIED = re.compile(
    r"User: arn:[\w-]+:sts::\d+:assumed-role/(?P<role>[^/\s]+)/(?P<session>[^\s]+) is not authorized to "
    r"perform: (?P<action>[\w-]+:[\w-]+) on resource: \"?(?P<resource>[^\s\"]+)\"?"
)
NOT_ASSUMABLE = re.compile(r"Lambda cannot assume the execution role of (?P<function>\S+): (?P<why>[^\n\"]+)")
SHOWN = 10


@dataclass(frozen=True, order=True)
class Denial:
    role: str
    action: str
    resource: str
    function: str  # the session name: the function that made the call

    def describe(self) -> str:
        return f"role {self.role} ({self.function}) may not {self.action} on {self.resource}"


@dataclass
class LogMark:
    logs_dir: Path
    offsets: dict[str, int]

    @classmethod
    def take(cls, logs_dir: Path) -> LogMark:
        sizes = {p.name: p.stat().st_size for p in logs_dir.glob("*.log")} if logs_dir.is_dir() else {}
        return cls(logs_dir, sizes)

    def new_text(self) -> str:
        """What every function log gained since the mark (a log that appeared since: all of it)."""
        parts = []
        for path in sorted(self.logs_dir.glob("*.log")) if self.logs_dir.is_dir() else []:
            with open(path, "rb") as handle:
                handle.seek(self.offsets.get(path.name, 0))
                parts.append(handle.read().decode("utf-8", "replace"))
        return "\n".join(parts)


def find(text: str) -> Counter:
    found: Counter = Counter()
    for match in DENIED.finditer(text):
        found[Denial(match["role"], match["action"], match["resource"].rstrip(".,;'\\"), match["session"])] += 1
    for match in NOT_ASSUMABLE.finditer(text):
        found[Denial("(execution role)", "sts:AssumeRole", match["why"].strip(), match["function"])] += 1
    return found


def dead_letter_text(sqs, queue_prefix: str) -> str:
    """The bodies of the messages in the stack's DLQs, peeked at (visibility 0: they stay for the run's checks)."""
    bodies = []
    for url in sqs.list_queues(QueueNamePrefix=queue_prefix).get("QueueUrls", []):
        if not url.endswith("-dlq"):
            continue
        for _ in range(5):  # a few receives: SQS samples, and DLQs of a short run are small
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            messages = answer.get("Messages", [])
            bodies.extend(json.dumps(m.get("Body", "")) for m in messages)
            if not messages:
                break
    return "\n".join(bodies)


def scan(mark: LogMark, sqs=None, queue_prefix: str = "") -> Counter:
    found = find(mark.new_text())
    if sqs is not None:
        # A DLQ message repeats what the log said for the same record: count it only if the log missed it.
        for denial, count in find(dead_letter_text(sqs, queue_prefix)).items():
            found.setdefault(denial, count)
    return found


def outcome(denials: Counter) -> Outcome:
    if not denials:
        return Outcome("no AWS call refused (IAM)", True, "no AccessDenied in the function logs or DLQs")
    shown = [f"{denial.describe()} ({count}x)" for denial, count in sorted(denials.items())[:SHOWN]]
    more = f"; and {len(denials) - SHOWN} more" if len(denials) > SHOWN else ""
    return Outcome("no AWS call refused (IAM)", False, "; ".join(shown) + more)
