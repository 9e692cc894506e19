"""CloudWatch alarm state changes seen during a run (pure: no AWS here).

The stack's alarms publish AWS's state-change notification to the ops-alarms topic, which the run
observes like every other topic. `split` takes those notifications out of the topic messages (an
alarm that returns to OK is not an unexpected alert) into a list of changes for the summary and
the report; `outcome` makes an alarm that went to ALARM during the run a miss unless the scenario
expects it:

    expect:
      alarms: ["*-dot-reporting-failed"]   # fnmatch patterns of alarm names that may fire
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from scenario_runner.outcomes import Message, Outcome

ALARM_TOPIC = "ops-alarms"


def is_state_change(body: Any) -> bool:
    return isinstance(body, dict) and "AlarmName" in body and "NewStateValue" in body


def change_of(message: Message) -> dict[str, Any]:
    body = message.body
    return {
        "alarm": body["AlarmName"],
        "old": body.get("OldStateValue"),
        "new": body["NewStateValue"],
        "at": body.get("StateChangeTime"),
        "reason": body.get("NewStateReason", ""),
        "received_at": message.received_at,
    }


def split(topics: Mapping[str, list[Message]]) -> tuple[dict[str, list[Message]], list[dict[str, Any]]]:
    """(topic messages without the alarm notifications, the alarm state changes in arrival order)."""
    kept = dict(topics)
    messages = kept.get(ALARM_TOPIC) or []
    changes = [change_of(m) for m in messages if is_state_change(m.body)]
    if ALARM_TOPIC in kept:
        kept[ALARM_TOPIC] = [m for m in messages if not is_state_change(m.body)]
    return kept, sorted(changes, key=lambda c: c["received_at"])


def outcome(expect: Mapping[str, Any], changes: list[dict[str, Any]]) -> Outcome | None:
    """A miss for each alarm that went to ALARM unless `expect.alarms` names it; None when the
    scenario is not strict and expects no alarm."""
    patterns = list(expect.get("alarms") or [])
    if not expect.get("strict", True) and not patterns:
        return None
    fired = sorted({c["alarm"] for c in changes if c["new"] == "ALARM"})
    unexpected = [name for name in fired if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    missing = [p for p in patterns if not any(fnmatch.fnmatch(name, p) for name in fired)]
    ok = not unexpected and not missing
    parts = []
    if unexpected:
        parts.append("unexpected ALARM: " + ", ".join(unexpected))
    if missing:
        parts.append("expected to fire but did not: " + ", ".join(missing))
    detail = "; ".join(parts) if parts else (f"fired as expected: {', '.join(fired)}" if fired else "none fired")
    return Outcome("alarms: as expected", ok, detail)
