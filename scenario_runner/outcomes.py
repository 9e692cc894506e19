"""The outcome checker: a pure function from a scenario's `expect:` block and what was observed
to a list of pass/fail outcomes. No AWS here; the runner gathers `Observed`.

    expect:
      topics:                       # SNS topic short names (the part after <project>-<env>-)
        hos-violations: {rules: [DRIVING_11, WINDOW_14], min: 2}
        vehicle-alerts: {min: 1, severity: [high, critical], metrics: [coolant_temp_c],
                         vehicles: [VH-000001], max: 50, where: {vehicle_type: tractor}}
        geofence-alerts: {event_types: [exit, enter, dwell]}
      queues: {maintenance_alerts: {min: 1}}          # messages seen on observer/consumer queues
      dynamodb: {predicted_failures: {min: 1}}        # table item counts
      aurora: {work_orders: {min: 1}}                 # table row counts
      s3: {"reports/": {min: 1}}                      # object counts under a prefix
      sink: {failed: {max: 0}}                        # sink counters (records, throttled, failed)
      dead_letters: {processor-dlq: {min: 1}}         # DLQs that may (must) hold messages; every
                                                      # other dead-letter queue must stay empty
      none_on: [vehicle-alerts]                       # topics that must stay silent
      allow: [compliance-summary]                     # topics that may fire without expectations
      strict: true                                    # default: any other topic firing is a miss
      alarms: ["*-dot-reporting-failed"]              # alarms that must go to ALARM (no other may):
                                                      # scenario_runner.alarms
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Message:
    body: Any  # parsed JSON body (dict) or the raw string
    attributes: dict = field(default_factory=dict)  # SNS message attributes, name -> value
    received_at: float = 0.0  # wall clock (s) when the observer saw it


@dataclass
class Observed:
    topics: dict = field(default_factory=dict)  # short name -> [Message]
    queues: dict = field(default_factory=dict)  # name -> count
    dynamodb: dict = field(default_factory=dict)  # table suffix -> count
    aurora: dict = field(default_factory=dict)  # table -> count
    s3: dict = field(default_factory=dict)  # prefix -> count
    sink: dict = field(default_factory=dict)  # counter -> value
    dead_letters: dict | None = None  # DLQ short name -> messages; None: not looked at
    alarms: list = field(default_factory=list)  # CloudWatch alarm state changes (scenario_runner.alarms)


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str


def check(expect: Mapping, observed: Observed) -> list[Outcome]:
    outcomes: list[Outcome] = []
    topics = dict(expect.get("topics") or {})
    for topic, spec in topics.items():
        outcomes.extend(_check_topic(topic, spec or {}, observed.topics.get(topic, [])))
    for topic in expect.get("none_on") or []:
        count = len(observed.topics.get(topic, []))
        outcomes.append(
            Outcome(
                f"{topic}: silent",
                count == 0,
                "no messages"
                if count == 0
                else f"{count} unexpected messages, first: {_short(observed.topics[topic][0].body)}",
            )
        )
    for section in ("queues", "dynamodb", "aurora", "s3", "sink", "dead_letters"):
        for name, spec in (expect.get(section) or {}).items():
            outcomes.append(_check_count(f"{section}.{name}", (getattr(observed, section) or {}).get(name), spec))
    if observed.dead_letters is not None:
        outcomes.append(_check_dead_letters(expect.get("dead_letters") or {}, observed.dead_letters))
    if expect.get("strict", True):
        accounted = set(topics) | set(expect.get("none_on") or []) | set(expect.get("allow") or [])
        for topic, messages in sorted(observed.topics.items()):
            if messages and topic not in accounted:
                outcomes.append(
                    Outcome(
                        f"{topic}: nothing unexpected",
                        False,
                        f"{len(messages)} messages on a topic the scenario does "
                        f"not expect, first: {_short(messages[0].body)}",
                    )
                )
    return outcomes


def _check_dead_letters(expected: Mapping, counts: Mapping) -> Outcome:
    """A record rejected by a handler (or a message that exhausted its retries) is a miss unless
    the scenario set out to produce it."""
    unexpected = {name: count for name, count in sorted(counts.items()) if count and name not in expected}
    detail = (
        ", ".join(f"{name}: {count}" for name, count in unexpected.items())
        if unexpected
        else f"{len(counts)} dead-letter queues, none holding an unexpected message"
    )
    return Outcome("dead-letter queues: nothing unexpected", not unexpected, detail)


def passed(outcomes: Iterable[Outcome]) -> bool:
    return all(outcome.ok for outcome in outcomes)


def _check_topic(topic: str, spec: Mapping, messages: list[Message]) -> list[Outcome]:
    selected = [m for m in messages if _selected(m, spec)]
    results = [
        _check_count(
            f"{topic}: count",
            len(selected),
            {"min": spec.get("min", 1), **({"max": spec["max"]} if "max" in spec else {})},
        )
    ]
    for key, extract in (
        ("rules", rules_of),
        ("event_types", event_types_of),
        ("metrics", metrics_of),
        ("vehicles", vehicles_of),
    ):
        wanted = spec.get(key)
        if not wanted:
            continue
        seen = set().union(*(extract(m) for m in selected)) if selected else set()
        missing = [w for w in wanted if not any(_matches(w, value) for value in seen)]
        results.append(
            Outcome(
                f"{topic}: {key}",
                not missing,
                f"all of {list(wanted)} seen" if not missing else f"missing {missing}; seen {sorted(seen)[:12]}",
            )
        )
    return results


def _selected(message: Message, spec: Mapping) -> bool:
    severities = spec.get("severity")
    if severities and severity_of(message) not in severities:
        return False
    for key, value in (spec.get("where") or {}).items():
        body = message.body if isinstance(message.body, Mapping) else {}
        actual = body.get(key, message.attributes.get(key))
        if not _matches(str(value), str(actual)):
            return False
    return True


def _check_count(name: str, value: Any, spec: Any) -> Outcome:
    if not isinstance(spec, Mapping):
        spec = {"min": spec}
    if value is None:
        return Outcome(name, False, "not observed")
    low, high = spec.get("min"), spec.get("max")
    ok = (low is None or value >= low) and (high is None or value <= high)
    bounds = " and ".join(
        part for part in (f">= {low}" if low is not None else "", f"<= {high}" if high is not None else "") if part
    )
    return Outcome(name, ok, f"{value} (want {bounds})")


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(str(value).lower(), str(pattern).lower())


# ---- what a message says (bodies differ by publisher; accept the common spellings) ----------
def _body(message: Message) -> Mapping:
    return message.body if isinstance(message.body, Mapping) else {}


def rules_of(message: Message) -> set[str]:
    body = _body(message)
    found = {str(body[key]) for key in ("rule", "rule_code", "violation", "code") if body.get(key)}
    for item in body.get("violations") or []:
        if isinstance(item, Mapping):
            found |= {str(item[key]) for key in ("rule", "rule_code", "code") if item.get(key)}
        else:
            found.add(str(item))
    return found


def event_types_of(message: Message) -> set[str]:
    body = _body(message)
    values = {body.get("event_type"), body.get("event"), message.attributes.get("event_type")}
    return {str(value) for value in values if value}


def metrics_of(message: Message) -> set[str]:
    body = _body(message)
    return {str(body[key]) for key in ("metric", "pattern") if body.get(key)} | {
        str(p.get("code")) for p in body.get("patterns") or [] if isinstance(p, Mapping)
    }


def vehicles_of(message: Message) -> set[str]:
    vehicle = _body(message).get("vehicle_id")
    return {str(vehicle)} if vehicle else set()


def severity_of(message: Message) -> str:
    return str(message.attributes.get("severity") or _body(message).get("severity") or "")


def _short(body: Any) -> str:
    text = str(body)
    return text if len(text) < 160 else text[:157] + "..."
