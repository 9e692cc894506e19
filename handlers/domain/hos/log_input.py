"""Reads the ELD-shaped parts of a log before the timeline sees it: PC and YM, positions, edits.

- ``"PC"`` (personal conveyance) is off duty: its movement is not driving time; ``"YM"`` (yard move)
  is on duty not driving (FMCSA personal conveyance and yard move guidance, 83 FR 26377, 2018).
- ``lat``/``lon`` (decimal degrees, both or neither) are kept as positions for the short-haul check.
- An event with ``"origin": "edit"`` must carry an ``"annotation"`` (49 CFR 395.30(c)(2): edits are
  annotated to explain the reason; ELD annotations are 4-60 characters, Appendix A to subpart B,
  7.6). The edit sets the status from its instant and replaces every recorded (non-edit) event at
  that same instant; an edit may not replace automatically recorded driving with another status
  (Appendix A 4.3.2.8.2: automatically recorded driving time cannot be shortened by an edit).

A log of plain ``{status, at}`` objects with the four RODS statuses is passed through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import HosInputError, format_instant, from_epoch, parse_instant
from .timeline import epoch_of

_PLAIN = frozenset({"OFF", "SB", "D", "ON"})
_MAPPED = {"PC": "OFF", "YM": "ON"}
ORIGINS = frozenset({"driver", "auto", "edit"})
ANNOTATION_MIN, ANNOTATION_MAX = 4, 60


@dataclass(frozen=True)
class Position:
    at: int
    lat: float
    lon: float


@dataclass
class PreparedLog:
    events: Any
    positions: list[Position] = field(default_factory=list)
    edits: list[dict[str, Any]] | None = None  # None: the log has no edit events


def prepare_log(events: Iterable[Any], as_of: int | None) -> PreparedLog:
    if isinstance(events, (str, bytes, Mapping)):
        return PreparedLog(events)  # read_events reports the shape error
    events = events if isinstance(events, list) else list(events)
    if not any(_needs_reading(event) for event in events):
        return PreparedLog(events)
    plain: list[Any] = []
    positions: list[Position] = []
    edits: list[tuple[int, int, dict[str, Any]]] = []
    for position, event in enumerate(events):
        if not isinstance(event, Mapping):
            plain.append(event)
            continue
        try:
            entry, moment, edit = _read(event)
        except HosInputError as exc:
            raise HosInputError(f"events[{position}]: {exc}") from None
        if moment is not None and "lat" in event:
            positions.append(Position(moment, float(event["lat"]), float(event["lon"])))
        if edit is not None:
            if moment is None:  # an edit sets the status from its instant: without one it cannot be placed
                raise HosInputError(f"events[{position}]: an edit needs 'at'")
            edits.append((moment, position, edit))
        plain.append((entry, moment, event.get("origin")))
    if not edits:
        return PreparedLog([item[0] if isinstance(item, tuple) else item for item in plain], positions, None)
    return _apply_edits(plain, edits, positions, as_of)


def _needs_reading(event: Any) -> bool:
    if type(event) is not dict:
        return isinstance(event, Mapping)
    status = event.get("status")
    return len(event) > 2 or (type(status) is str and status not in _PLAIN)


def _read(event: Mapping[str, Any]) -> tuple[dict[str, Any], int | None, dict[str, Any] | None]:
    entry = dict(event)
    status = event.get("status")
    if isinstance(status, str) and status.strip().upper() in _MAPPED:
        entry["status"] = _MAPPED[status.strip().upper()]
    elif "status" in event and not (isinstance(status, str) and status.strip().upper() in _PLAIN):
        raise HosInputError(f"status must be one of OFF, SB, D, ON, PC, YM; got {status!r}")
    moment = None
    if "at" in event:
        moment = epoch_of(parse_instant(event["at"], "at"))
    if ("lat" in event) != ("lon" in event):
        raise HosInputError("'lat' and 'lon' go together")
    if "lat" in event:
        _coordinate(event["lat"], "lat", 90)
        _coordinate(event["lon"], "lon", 180)
    origin = event.get("origin", "driver")
    if not isinstance(origin, str) or origin not in ORIGINS:
        raise HosInputError(f"origin must be one of {sorted(ORIGINS)}; got {origin!r}")
    if origin != "edit":
        return entry, moment, None
    annotation = event.get("annotation")
    if not isinstance(annotation, str) or not annotation.strip():
        raise HosInputError("an edit needs an 'annotation' saying why (49 CFR 395.30(c)(2))")
    if not ANNOTATION_MIN <= len(annotation.strip()) <= ANNOTATION_MAX:
        raise HosInputError(f"annotation must be {ANNOTATION_MIN}-{ANNOTATION_MAX} characters (ELD spec 7.6)")
    return entry, moment, {"status": str(status).strip().upper(), "annotation": annotation.strip()}


def _coordinate(value: Any, name: str, bound: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -bound <= value <= bound:
        raise HosInputError(f"{name} must be decimal degrees within ±{bound}; got {value!r}")


def _apply_edits(
    plain: list[Any], edits: list[tuple[int, int, dict[str, Any]]], positions: list[Position], as_of: int | None
) -> PreparedLog:
    by_instant: dict[int, dict[str, Any]] = {}
    for moment, position, edit in edits:
        earlier = by_instant.get(moment)
        if earlier is not None and earlier["status"] != edit["status"]:
            raise HosInputError(
                f"events[{position}]: two edits at {format_instant(from_epoch(moment))} "
                f"disagree ({earlier['status']} and {edit['status']})"
            )
        by_instant[moment] = edit
    replaced: dict[int, list[str]] = {moment: [] for moment in by_instant}
    kept: list[Any] = []
    for item in plain:
        if not isinstance(item, tuple):
            kept.append(item)
            continue
        entry, moment, origin = item
        if origin != "edit" and moment in by_instant:
            status = str(entry.get("status")).strip().upper()
            if origin == "auto" and status == "D" and by_instant[moment]["status"] != "D":
                raise HosInputError(
                    f"edit at {format_instant(from_epoch(moment))} would shorten automatically "
                    "recorded driving time (ELD spec 4.3.2.8.2)"
                )
            replaced[moment].append(status)
            continue
        kept.append(entry)
    applied = [
        {"at": format_instant(from_epoch(moment)), **edit, "replaced": replaced[moment]}
        for moment, edit in sorted(by_instant.items())
        if as_of is None or moment <= as_of
    ]
    return PreparedLog(kept, positions, applied)
