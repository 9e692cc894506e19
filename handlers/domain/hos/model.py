"""Value types of the hours-of-service engine: duty statuses in, violations and availability out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any


class HosInputError(ValueError):
    """The log or its parameters cannot be evaluated; the message says which field and why."""


class DutyStatus(str, Enum):
    """The four duty statuses of a record of duty status (49 CFR 395.8(b))."""

    OFF = "OFF"
    SB = "SB"
    D = "D"
    ON = "ON"

    @property
    def is_on_duty(self) -> bool:
        # On-duty time includes all driving time (395.2, "on-duty time").
        return self is DutyStatus.D or self is DutyStatus.ON

    @classmethod
    def parse(cls, raw: Any) -> DutyStatus:
        if isinstance(raw, cls):
            return raw
        if isinstance(raw, str):
            try:
                return cls(raw.strip().upper())
            except ValueError:
                pass
        raise HosInputError(f"status must be one of OFF, SB, D, ON; got {raw!r}")


@dataclass(frozen=True)
class DutyEvent:
    """A change of duty status; the status lasts until the next change."""

    status: DutyStatus
    at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", DutyStatus.parse(self.status))
        object.__setattr__(self, "at", parse_instant(self.at, "at"))


@dataclass(frozen=True)
class Violation:
    """Driving done beyond a limit: ``start``/``end`` bound the over-limit driving, ``over_s`` sums it."""

    rule: str
    start: datetime
    end: datetime
    severity: str
    over_s: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "severity": self.severity,
            "over_s": self.over_s,
        }


@dataclass(frozen=True)
class Availability:
    """Time left as of the evaluation instant, in whole seconds.

    ``drive_s`` is capped by ``window_s`` and ``cycle_s`` because driving stops at whichever limit
    comes first; ``break_due_in_s`` is ``None`` when no break is required (short-haul exception).
    """

    drive_s: int
    window_s: int
    cycle_s: int
    break_due_in_s: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "drive_s": self.drive_s,
            "window_s": self.window_s,
            "cycle_s": self.cycle_s,
            "break_due_in_s": self.break_due_in_s,
        }


@dataclass(frozen=True)
class HosResult:
    violations: list[Violation]
    available: Availability
    as_of: datetime | None = None
    # Present (not None) only when the input used them, so older answers keep their exact shape:
    # exceptions_lost when an exception object was claimed, edits when the log has edit events.
    exceptions_lost: list[dict[str, str]] | None = None
    edits: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "violations": [violation.to_dict() for violation in self.violations],
            "available": self.available.to_dict(),
        }
        if self.exceptions_lost is not None:
            result["exceptions_lost"] = self.exceptions_lost
        if self.edits is not None:
            result["edits"] = self.edits
        return result


def parse_instant(raw: Any, field_name: str) -> datetime:
    """An aware datetime from a datetime or an ISO-8601 string; naive values are refused."""
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise HosInputError(f"{field_name}: not an ISO-8601 timestamp: {raw!r}") from exc
    else:
        raise HosInputError(f"{field_name}: expected an ISO-8601 string, got {type(raw).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise HosInputError(f"{field_name}: timestamp needs a UTC offset: {raw!r}")
    return moment


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
