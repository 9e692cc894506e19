"""One identity per violation while a driver's log is still filling in (issue 18).

ELD store-and-forward makes late events routine: an earlier driving hour uploaded after the later
ones moves a violation's ``start`` (the first over-limit instant). The violation id is derived from
the start it had when it was first announced and is kept from then on: a violation found again
whose over-limit driving overlaps (or touches) an announced one of the same rule is that violation.

``reconcile`` says what the caller must do with a violation of the current evaluation:
- ``NEW``: nothing announced overlaps it: announce it under a new id;
- ``UNCHANGED``: the announced violation, same start (its end and seconds over may have grown, as
  a violation does while the driver keeps driving): nothing to announce, the record is refreshed;
- ``MOVED``: the announced violation, but a late record moved its start: publish an update under the
  same id, with the previous states in ``history`` (the report is amended, never duplicated).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .model import Violation, format_instant, parse_instant

NEW, UNCHANGED, MOVED = "new", "unchanged", "moved"


@dataclass(frozen=True)
class KnownViolation:
    """A violation as it was last announced (or updated) for one driver."""

    violation_id: str
    rule: str
    start: datetime
    end: datetime
    over_s: int
    report_date: str
    record_id: str
    revision: int = 0
    history: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "violation_id": self.violation_id,
            "rule": self.rule,
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "over_s": self.over_s,
            "report_date": self.report_date,
            "record_id": self.record_id,
            "revision": self.revision,
            "history": list(self.history),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KnownViolation:
        return cls(
            violation_id=str(data["violation_id"]),
            rule=str(data["rule"]),
            start=parse_instant(data["start"], "start"),
            end=parse_instant(data["end"], "end"),
            over_s=int(data["over_s"]),
            report_date=str(data["report_date"]),
            record_id=str(data.get("record_id") or ""),
            revision=int(data.get("revision") or 0),
            history=tuple(data.get("history") or ()),
        )

    def snapshot(self) -> dict[str, Any]:
        """This state as one entry of a later revision's history."""
        return {
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "over_s": self.over_s,
            "record_id": self.record_id,
        }

    def revised(self, violation: Violation, record_id: str) -> KnownViolation:
        """The next revision: the violation's new extent, this state appended to the history."""
        return replace(
            self,
            start=violation.start,
            end=violation.end,
            over_s=violation.over_s,
            record_id=record_id,
            revision=self.revision + 1,
            history=(*self.history, self.snapshot()),
        )

    def grown(self, violation: Violation) -> KnownViolation:
        """Same start, a later end or more seconds over: refreshed without a new revision."""
        return replace(self, end=max(self.end, violation.end), over_s=max(self.over_s, violation.over_s))


def overlaps(known: KnownViolation, violation: Violation) -> bool:
    """Same rule and the over-limit driving intersects or touches."""
    return known.rule == violation.rule and violation.start <= known.end and known.start <= violation.end


def reconcile(known: list[KnownViolation], violation: Violation) -> tuple[str, KnownViolation | None]:
    """(NEW, None) | (UNCHANGED, the announced violation) | (MOVED, the announced violation).

    Of several announced violations that overlap, the earliest announced start wins, so the
    answer does not depend on the order ``known`` is stored in.
    """
    matches = sorted((k for k in known if overlaps(k, violation)), key=lambda k: (k.start, k.violation_id))
    if not matches:
        return NEW, None
    match = matches[0]
    return (UNCHANGED if match.start == violation.start else MOVED), match
