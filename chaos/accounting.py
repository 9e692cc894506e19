"""Accounting of one fault run: every record sent is processed exactly once, dead-lettered with a
reason and its data, or lost; every side effect is counted against a fault-free baseline.

Pure: no I/O. The runner gathers what was sent (`SentRecord`) and what the stack holds afterwards
(`Observed`); `account` turns them into one `Row` of the table.

- A record is *processed* when each store its kind must reach holds its `record_id` (diagnostics:
  DynamoDB vehicle_diagnostics and Aurora vehicle_history; gps: vehicle_locations; hos: driver_logs).
- A record is *dead-lettered* when a function DLQ holds a message with a reason whose embedded
  event record carries the record's exact bytes (so it can be replayed as it was sent).
- An ESM on-failure entry (`KinesisBatchInfo`) names only a shard and a sequence range: the records
  it stands for are not replayable from the DLQ. `metadata_only` sums the records such entries
  name; those of them that never reached their stores are counted lost like any other.
- *Lost* = records neither processed nor dead-lettered with their data; a poison record that was
  (wrongly) processed counts as `poison_accepted`, not as processed.
- *Doubled* = side effects (alerts and other topic messages, work orders, reports, notifications,
  dashboard counters) beyond what the same records produce without faults: per identity key,
  max(0, run - baseline). Effects below the baseline are `effects_missing`.
- A HOS report is about its violation (driver, vehicle, rule, severity: `report_subject`), so a
  second report for one violation under a new id counts as doubled. An amendment is the documented
  answer to a late record, not a doubled report: it is doubled only when one amendment key
  (`amends` + `revision`) holds more than one version (`ONCE_PER_KEY` families).
- A maintenance request (maintenance-required) follows a schedule, not one record: a vehicle is
  scored at most once per prediction interval of event time, at the first scorable reading its
  function sees, and which reading that is depends on how the readings were batched (a fault that
  splits or retries a batch moves it). Its count is therefore not compared with the baseline;
  such an effect is doubled when the contract breaks: one prediction published twice, or two
  predictions of one vehicle less than an interval apart (`SCHEDULED` families, `schedule_breaches`).
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from handlers.domain.predictive.schedule import PREDICTION_INTERVAL_MS

# Where a valid record of each kind must be found for it to count as processed.
REQUIRED_STORES: dict[str, tuple[str, ...]] = {
    "diagnostics": ("vehicle_diagnostics", "vehicle_history"),
    "gps": ("vehicle_locations",),
    "hos": ("driver_logs",),
}
# Fields that say *what* a side effect is about (never when it was made or under which id).
IDENTITY_FIELDS = (
    "vehicle_id",
    "driver_id",
    "fleet_id",
    "rule",
    "metric",
    "code",
    "dtc",
    "severity",
    "event_type",
    "geofence_id",
    "anomaly_type",
    "component",
    "type",
)


@dataclass(frozen=True)
class SentRecord:
    """One distinct record put on a stream. `expect` is "processed" or "dlq" (poison, too old...)."""

    kind: str
    data: bytes
    record_id: str | None
    expect: str = "processed"
    label: str = ""  # what the fault made of it (e.g. "poison:not-json", "late-8d"); "" for plain records


@dataclass(frozen=True)
class DeadLetter:
    """One message of a function DLQ, parsed."""

    queue: str
    reason: str | None
    data: bytes | None  # the original record's bytes, when the body embeds them
    metadata_only: int = 0  # an ESM on-failure entry: how many records it names (batchSize)


@dataclass
class Observed:
    """What the stack holds after a run."""

    stored: dict[str, set[str]] = field(default_factory=dict)  # store -> record_ids found
    dead_letters: list[DeadLetter] = field(default_factory=list)
    effects: Counter = field(default_factory=Counter)  # (family, identity...) -> count


@dataclass
class Row:
    fault: str
    sent: int = 0
    exactly_once: int = 0
    dead_lettered: int = 0
    lost: int = 0
    doubled: int = 0
    metadata_only: int = 0
    poison_accepted: int = 0
    effects_missing: int = 0
    dlq_copies: int = 0  # a queue's messages beyond one per record (re-dead-lettered on retries)
    lost_by: Counter = field(default_factory=Counter)  # kind/label -> lost records
    doubled_by: Counter = field(default_factory=Counter)  # effect family -> doubled effects
    notes: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        """Nothing lost, nothing doubled."""
        return self.lost == 0 and self.doubled == 0


def identity(family: str, body: object) -> tuple:
    """The identity key of one side effect: its family and the identity fields its body has."""
    if not isinstance(body, Mapping):
        return (family, repr(body)[:200])
    return (family, *((name, str(body[name])) for name in IDENTITY_FIELDS if body.get(name) is not None))


def count_effects(family: str, bodies: Iterable[object]) -> Counter:
    return Counter(identity(family, body) for body in bodies)


# Families whose identity is a key that must hold one version, whatever the baseline made.
ONCE_PER_KEY = frozenset({"amendment"})
# Families published on a schedule: family -> (subject field, event-time field, least gap between two).
SCHEDULED = {"maintenance-required": ("vehicle_id", "predicted_at", PREDICTION_INTERVAL_MS)}


def count_scheduled(family: str, bodies: Iterable[object]) -> Counter:
    """count_effects for a SCHEDULED family: identity = (family, subject, event time)."""
    subject, at, _ = SCHEDULED[family]
    counted: Counter = Counter()
    for body in bodies:
        if isinstance(body, Mapping) and body.get(subject) is not None and body.get(at) is not None:
            counted[(family, (subject, str(body[subject])), (at, str(body[at])))] += 1
        else:
            counted[identity(family, body)] += 1
    return counted


def schedule_breaches(family: str, effects: Counter) -> int:
    """Effects of a SCHEDULED family beyond its contract: every repeat of one (subject, time) and
    every one less than the least gap after the previous one of its subject."""
    _, _, gap = SCHEDULED[family]
    breaches = 0
    times: dict[str, list[int]] = {}
    for key, count in effects.items():
        if key[0] != family:
            continue
        breaches += count - 1
        if len(key) == 3 and key[2][1].lstrip("-").isdigit():
            times.setdefault(key[1][1], []).append(int(key[2][1]))
    for moments in times.values():
        moments.sort()
        breaches += sum(1 for earlier, later in zip(moments, moments[1:]) if later - earlier < gap)
    return breaches


def report_subject(body: object) -> tuple[str, dict]:
    """(family, identity body) of one stored HOS report: reports by their violation's identity
    fields, amendments by the report they amend and their revision."""
    if not isinstance(body, Mapping):
        return "report", {"body": body}
    if body.get("report_type") == "hos_violation_amendment":
        return "amendment", {"code": f"{body.get('amends')}#{body.get('revision')}"}
    violation = body.get("violation")
    subject = dict(violation) if isinstance(violation, Mapping) else {}
    if body.get("severity") is not None:
        subject["severity"] = body["severity"]
    return "report", subject


def count_reports(bodies: Iterable[object]) -> Counter:
    """count_effects for the report bucket's bodies (see `report_subject`)."""
    counted: Counter = Counter()
    for body in bodies:
        family, subject = report_subject(body)
        counted[identity(family, subject)] += 1
    return counted


def event_record_data(record: object) -> bytes | None:
    """The original bytes inside a DLQ body's event record (Kinesis `kinesis.data`, base64), if any."""
    if not isinstance(record, Mapping):
        return None
    inner = record.get("kinesis")
    data = inner.get("data") if isinstance(inner, Mapping) else record.get("data")
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_dead_letter(queue: str, body: object) -> DeadLetter:
    """A DLQ message body (already JSON-decoded where it was JSON) as a DeadLetter."""
    if isinstance(body, Mapping):
        for info in ("KinesisBatchInfo", "DDBStreamBatchInfo"):
            if isinstance(body.get(info), Mapping):
                reason = (body.get("requestContext") or {}).get("condition") or info
                return DeadLetter(queue, str(reason), None, int(body[info].get("batchSize") or 0))
        reason = body.get("reason")
        return DeadLetter(queue, str(reason) if reason else None, event_record_data(body.get("record")))
    return DeadLetter(queue, None, None)


def account(
    fault: str,
    sent: Iterable[SentRecord],
    observed: Observed,
    baseline: Counter | None = None,
) -> Row:
    """The table row of one run (see the module docstring). `baseline`: effects without faults."""
    records = list({record.data: record for record in sent}.values())  # distinct records
    row = Row(fault, sent=len(records))
    lettered: Counter = Counter()
    per_queue: Counter = Counter()
    for letter in observed.dead_letters:
        if letter.metadata_only:
            row.metadata_only += letter.metadata_only
        elif letter.data is not None and letter.reason:
            lettered[letter.data] += 1
            per_queue[(letter.queue, letter.data)] += 1
    for record in records:
        stores = REQUIRED_STORES.get(record.kind, ())
        processed = (
            record.record_id is not None
            and bool(stores)
            and all(record.record_id in observed.stored.get(store, set()) for store in stores)
        )
        if record.expect == "dlq":
            if lettered[record.data]:
                row.dead_lettered += 1
            elif processed:
                row.poison_accepted += 1
            else:
                row.lost += 1
                row.lost_by[record.label or record.kind] += 1
        elif processed:
            row.exactly_once += 1
        elif lettered[record.data]:
            row.dead_lettered += 1  # a valid record the handlers refused: visible, with its reason
        else:
            row.lost += 1
            row.lost_by[record.label or record.kind] += 1
    row.dlq_copies = sum(count - 1 for count in per_queue.values() if count > 1)
    for key, run in observed.effects.items():
        if key[0] in ONCE_PER_KEY and run > 1:
            row.doubled += run - 1
            row.doubled_by[key[0]] += run - 1
    for family in SCHEDULED:
        breaches = schedule_breaches(family, observed.effects)
        if breaches:
            row.doubled += breaches
            row.doubled_by[family] += breaches
    if baseline is not None:
        for key in set(baseline) | set(observed.effects):
            if key[0] in ONCE_PER_KEY or key[0] in SCHEDULED:
                continue
            run, base = observed.effects.get(key, 0), baseline.get(key, 0)
            if run > base:
                row.doubled += run - base
                row.doubled_by[key[0]] += run - base
            elif base > run:
                row.effects_missing += base - run
    return row
