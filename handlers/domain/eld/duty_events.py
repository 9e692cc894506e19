"""Rows of the ELD event list (Appendix A 4.8.2.1.4) from a driver's duty-status log as the HOS
command takes it (``{status, at, lat?, lon?, origin?, annotation?}``).

- event type and code per status: ``DUTY_STATUS_EVENTS`` (7.20, 7.25); PC and YM are type 3;
- record origin (7.22): ``auto`` 1, ``driver`` 2, ``edit`` 2 (an edit or entry by the driver);
- an edit is active and the recorded events at its instant become "inactive - changed" (record
  status 2, 7.23), as 49 CFR 395.30(c) keeps the original record; its annotation goes to the
  annotation list (4.8.2.1.5) with the edit's sequence ID, commas turned into semicolons and line
  breaks into spaces (the file has no quoting), at most 60 characters (7.6);
- latitude/longitude with 2 decimals, or "X" when the event has no position (4.6.1.4(d)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .output_file import DUTY_STATUS_EVENTS, Annotation, EldOutputError, Event

_ORIGIN = {"auto": 1, "driver": 2, "edit": 2}


def duty_status_rows(
    log: Iterable[Mapping[str, Any]], *, username: str, power_unit_number: str, first_sequence_id: int = 1
) -> tuple[list[Event], list[Annotation]]:
    entries = sorted((_instant(item["at"]), index, item) for index, item in enumerate(log))
    edited_at = {at for at, _, item in entries if item.get("origin") == "edit"}
    events: list[Event] = []
    annotations: list[Annotation] = []
    for offset, (at, _, item) in enumerate(entries):
        status = str(item["status"]).strip().upper()
        if status not in DUTY_STATUS_EVENTS:
            raise EldOutputError(f"no ELD event for status {item['status']!r}")
        event_type, code = DUTY_STATUS_EVENTS[status]
        origin = item.get("origin", "driver")
        sequence_id = first_sequence_id + offset
        superseded = origin != "edit" and at in edited_at
        events.append(
            Event(
                sequence_id=sequence_id,
                event_type=event_type,
                event_code=code,
                at=at,
                username=username,
                power_unit_number=power_unit_number,
                record_status=2 if superseded else 1,
                record_origin=_ORIGIN.get(origin, 2),
                lat=_coordinate(item.get("lat")),
                lon=_coordinate(item.get("lon")),
            )
        )
        if origin == "edit":
            annotations.append(Annotation(sequence_id, username, _free_text(item.get("annotation", "")), at))
    return events, annotations


def _instant(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise EldOutputError(f"timestamp needs a UTC offset: {value!r}")
    return moment


def _free_text(value: Any) -> str:
    # The file is comma-separated with no quoting (4.8.2.1): a driver's comma becomes a semicolon.
    return " ".join(str(value).replace(",", ";").split())[:60]


def _coordinate(value: Any) -> str:
    return "X" if value is None else f"{float(value):.2f}"
