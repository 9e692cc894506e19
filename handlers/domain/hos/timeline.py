"""Turns duty-status changes into an ordered, gap-aware timeline of segments and rest runs.

Choices (documented in the package docstring):
- a status lasts until the next change, as on the graph grid of a record of duty status
  (49 CFR 395.8); the last status lasts until ``as_of``;
- nothing is assumed before the first event: that time is unknown, counted neither as rest nor as
  duty, so a rest logged at the start of the log is only as long as what the log shows;
- events after ``as_of`` are ignored; duplicates collapse; two different statuses at the same
  instant keep the most on-duty one (D > ON > SB > OFF) so the result never depends on input order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .model import DutyEvent, DutyStatus, HosInputError, parse_instant

OFF, SB, ON, D = 0, 1, 2, 3  # ordered by how much duty they mean, for the tie rule above
_CODE = {DutyStatus.OFF: OFF, DutyStatus.SB: SB, DutyStatus.ON: ON, DutyStatus.D: D}
_FAST_CODES = {status.value: code for status, code in _CODE.items()}


@dataclass(frozen=True)
class RestRun:
    """A maximal stretch of off-duty and sleeper-berth time (neither driving nor on duty)."""

    start: int
    end: int
    longest_sleeper_s: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Timeline:
    starts: list[int]
    ends: list[int]
    codes: list[int]
    log_start: int
    as_of: int
    rest_runs: list[RestRun]
    driving: list[tuple[int, int]]
    driving_starts: list[int]
    _on_duty_before: list[int]
    _driving_before: list[int]

    @property
    def empty(self) -> bool:
        return not self.starts

    def on_duty_until(self, moment: int) -> int:
        """On-duty seconds (driving included) logged from the log start to ``moment``."""
        return self._cumulative(moment, self._on_duty_before, (ON, D))

    def driving_until(self, moment: int) -> int:
        return self._cumulative(moment, self._driving_before, (D,))

    def _cumulative(self, moment: int, before: list[int], counted: tuple[int, ...]) -> int:
        index = bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0
        partial = 0
        if self.codes[index] in counted:
            partial = min(moment, self.ends[index]) - self.starts[index]
        return before[index] + partial


def read_events(events: Iterable[DutyEvent | Mapping[str, Any]]) -> list[tuple[int, int]]:
    """(epoch second, status code) pairs; raises ``HosInputError`` naming the bad event."""
    if isinstance(events, (str, bytes, Mapping)):
        raise HosInputError("events must be a list of {status, at} objects")
    parsed: list[tuple[int, int]] = []
    for position, event in enumerate(events):
        if (
            type(event) is dict
            and type(event.get("at")) is str
            and type(event.get("status")) is str
            and event["status"] in _FAST_CODES
        ):
            # Fast path for the common JSON shape; anything unusual takes the checked path below.
            try:
                moment = datetime.fromisoformat(event["at"])
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                seconds = int(moment.timestamp())
                if _EARLIEST <= seconds < _LATEST:
                    parsed.append((seconds, _FAST_CODES[event["status"]]))
                    continue
        parsed.append(_read_event(position, event))
    return parsed


def _read_event(position: int, event: Any) -> tuple[int, int]:
    if isinstance(event, DutyEvent):
        status, at = event.status, event.at
    elif not isinstance(event, Mapping):
        raise HosInputError(f"events[{position}]: expected an object, got {type(event).__name__}")
    elif "status" not in event or "at" not in event:
        raise HosInputError(f"events[{position}]: needs 'status' and 'at'")
    else:
        try:
            status = DutyStatus.parse(event["status"])
            at = parse_instant(event["at"], "at")
        except HosInputError as exc:
            raise HosInputError(f"events[{position}]: {exc}") from None
    try:
        return _epoch(at), _CODE[status]
    except HosInputError as exc:
        raise HosInputError(f"events[{position}]: {exc}") from None


def build_timeline(changes: list[tuple[int, int]], as_of: int | None) -> Timeline:
    latest_by_instant: dict[int, int] = {}
    for moment, code in changes:
        if as_of is not None and moment > as_of:
            continue
        if latest_by_instant.get(moment, -1) < code:
            latest_by_instant[moment] = code
    ordered = sorted(latest_by_instant.items())
    if as_of is None:
        as_of = ordered[-1][0] if ordered else 0

    starts: list[int] = []
    codes: list[int] = []
    for moment, code in ordered:
        if codes and codes[-1] == code:
            continue
        starts.append(moment)
        codes.append(code)
    ends = starts[1:] + [as_of]
    if starts and ends[-1] <= starts[-1]:
        starts.pop(), codes.pop(), ends.pop()

    return _index(starts, ends, codes, ordered[0][0] if ordered else as_of, as_of)


def _index(starts: list[int], ends: list[int], codes: list[int], log_start: int, as_of: int) -> Timeline:
    on_duty_before: list[int] = []
    driving_before: list[int] = []
    driving: list[tuple[int, int]] = []
    rest_runs: list[RestRun] = []
    on_total = drive_total = 0
    rest_start: int | None = None
    longest_sleeper = 0
    for start, end, code in zip(starts, ends, codes):
        on_duty_before.append(on_total)
        driving_before.append(drive_total)
        if code >= ON:
            on_total += end - start
            if rest_start is not None:
                rest_runs.append(RestRun(rest_start, start, longest_sleeper))
                rest_start = None
            if code == D:
                drive_total += end - start
                driving.append((start, end))
        else:
            if rest_start is None:
                rest_start, longest_sleeper = start, 0
            if code == SB:
                longest_sleeper = max(longest_sleeper, end - start)
    if rest_start is not None:
        rest_runs.append(RestRun(rest_start, ends[-1], longest_sleeper))
    return Timeline(
        starts,
        ends,
        codes,
        log_start,
        as_of,
        rest_runs,
        driving,
        [start for start, _ in driving],
        on_duty_before,
        driving_before,
    )


# Calendar arithmetic on home-terminal days needs room on both sides; an RODS outside these years is
# a data error, reported as such rather than as an OverflowError deep in the cycle clock.
_EARLIEST = int(datetime(1971, 1, 1, tzinfo=UTC).timestamp())
_LATEST = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp())


def _epoch(moment: datetime) -> int:
    seconds = int(moment.timestamp())
    if not _EARLIEST <= seconds < _LATEST:
        raise HosInputError(f"timestamp {moment.isoformat()} is outside the years 1971-2199")
    return seconds


def epoch_of(moment: datetime) -> int:
    return _epoch(moment)
