"""Claimed exceptions: names for the whole log (as before) or objects for one duty period.

- ``"adverse_driving"`` (name): every duty period gets the extension (49 CFR 395.1(b)(1)).
- ``{"type": "adverse_driving", "at": instant, "note": ...}``: only the duty period containing
  ``at`` gets it; an ``at`` outside every duty period of the log is an input error.
- ``"short_haul_150"`` (name): the whole log is exempt from the 30-minute break, unchecked (as before).
- ``{"type": "short_haul_150", "work_reporting_location": {"lat", "lon"}}``: checked per duty period
  from the event positions (395.1(e)(1)): every position within 150 air-miles of the work reporting
  location, and the driver released there within 14 hours of coming on duty. An air mile is a
  nautical mile (395.2). A period that fails loses the exception (reported in ``exceptions_lost``) and
  its normal limits apply, the 30-minute break included. "Released at the location" allows
  ``RETURN_TOLERANCE_AIR_MILES`` for GPS noise; a period whose release has no position cannot show
  the return and loses the exception.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from math import asin, cos, radians, sin, sqrt
from typing import Any

from .log_input import Position
from .model import HosInputError, format_instant, from_epoch, parse_instant
from .rules import ADVERSE_DRIVING, SHORT_HAUL_150
from .rulesets import RuleSet
from .sleeper import DutySpan
from .timeline import ON, Timeline, epoch_of

RADIUS_AIR_MILES = 150.0
RELEASE_WITHIN_S = 14 * 3600
RETURN_TOLERANCE_AIR_MILES = 1.0
_EARTH_RADIUS_NMI = 3440.065  # mean Earth radius in nautical miles


@dataclass
class Claims:
    names: frozenset[str]
    adverse_at: list[int] = field(default_factory=list)
    work_reporting_location: tuple[float, float] | None = None

    @property
    def has_objects(self) -> bool:
        return bool(self.adverse_at) or self.work_reporting_location is not None


def read_claims(raw: Iterable[Any], ruleset: RuleSet) -> Claims:
    if isinstance(raw, (str, bytes, Mapping)):
        raise HosInputError("exceptions must be a list of names or objects, not a string")
    try:
        items = list(raw)
    except TypeError as exc:
        raise HosInputError("exceptions must be a list of names") from exc
    names: set[str] = set()
    claims = Claims(frozenset())
    unknown: list[str] = []
    for position, item in enumerate(items):
        if isinstance(item, Mapping):
            _read_object(position, item, ruleset, claims)
        elif isinstance(item, str):
            names.add(item)
        else:
            try:
                hash(item)
            except TypeError as exc:
                raise HosInputError("exceptions must be a list of names") from exc
            unknown.append(str(item))
    unknown += [name for name in names if name not in ruleset.exceptions]
    if unknown:
        raise HosInputError(
            f"unknown exceptions {sorted(unknown)}; known for {ruleset.name}: {sorted(ruleset.exceptions)}"
        )
    claims.names = frozenset(names)
    return claims


def _read_object(position: int, item: Mapping[str, Any], ruleset: RuleSet, claims: Claims) -> None:
    where = f"exceptions[{position}]"
    kind = item.get("type")
    if kind not in (ADVERSE_DRIVING, SHORT_HAUL_150) or kind not in ruleset.exceptions:
        known = sorted({ADVERSE_DRIVING, SHORT_HAUL_150} & ruleset.exceptions)
        raise HosInputError(f"{where}: type must be one of {known} for {ruleset.name}; got {kind!r}")
    if kind == ADVERSE_DRIVING:
        if set(item) - {"type", "at", "note"}:
            raise HosInputError(f"{where}: adverse_driving takes 'at' and an optional 'note'")
        if "note" in item and not isinstance(item["note"], str):
            raise HosInputError(f"{where}: note must be a string")
        try:
            claims.adverse_at.append(epoch_of(parse_instant(item.get("at"), "at")))
        except HosInputError as exc:
            raise HosInputError(f"{where}: {exc}") from None
        return
    location = item.get("work_reporting_location")
    if set(item) - {"type", "work_reporting_location"} or not isinstance(location, Mapping):
        raise HosInputError(f"{where}: short_haul_150 takes 'work_reporting_location': {{lat, lon}}")
    lat = _degrees(location.get("lat"), "lat", 90, where)
    lon = _degrees(location.get("lon"), "lon", 180, where)
    if claims.work_reporting_location is not None:
        raise HosInputError(f"{where}: one short_haul_150 object per log")
    claims.work_reporting_location = (lat, lon)


def _degrees(value: object, name: str, bound: int, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -bound <= value <= bound:
        raise HosInputError(f"{where}: work_reporting_location.{name} must be decimal degrees; got {value!r}")
    return float(value)


def adverse_spans(claims: Claims, spans: list[DutySpan]) -> set[int]:
    """Indexes of the duty periods that get the adverse-driving extension."""
    if ADVERSE_DRIVING in claims.names:
        return set(range(len(spans)))
    chosen: set[int] = set()
    for at in claims.adverse_at:
        found = [i for i, span in enumerate(spans) if span.start <= at <= span.stop]
        if not found:
            raise HosInputError(
                f"adverse_driving at {format_instant(from_epoch(at))} is not inside a duty period of the log"
            )
        chosen.add(found[-1])
    return chosen


def air_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in nautical miles (haversine)."""
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    h = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_NMI * asin(min(1.0, sqrt(h)))


def on_duty_start(timeline: Timeline, span: DutySpan) -> int:
    """The first on-duty instant of a duty period (its start if the log shows none)."""
    index = max(0, bisect_right(timeline.starts, span.start) - 1)
    for start, end, code in zip(timeline.starts[index:], timeline.ends[index:], timeline.codes[index:]):
        if start > span.stop:
            break
        if code >= ON and end > span.start:
            return max(start, span.start)
    return span.start


def short_haul_lost(
    claims: Claims, spans: list[DutySpan], timeline: Timeline, positions: list[Position]
) -> dict[int, str]:
    """Duty period index -> why the short-haul exception does not hold for it."""
    if claims.work_reporting_location is None or timeline.empty:
        return {}
    home_lat, home_lon = claims.work_reporting_location
    ordered = sorted(positions, key=lambda p: p.at)
    lost: dict[int, str] = {}
    for index, span in enumerate(spans):
        if span.stop <= span.start:
            continue
        came_on = on_duty_start(timeline, span)
        # The current period is judged on what it shows so far: its release is not known yet (a rest
        # in progress may be a break), but the time on duty already counts.
        released = None if span.is_current else span.stop
        until = span.stop if not span.is_current else (_rest_since(timeline, span) or span.stop)
        inside = [p for p in ordered if came_on <= p.at <= until]
        far = [(air_miles(home_lat, home_lon, p.lat, p.lon), p) for p in inside]
        beyond = [(d, p) for d, p in far if d > RADIUS_AIR_MILES]
        if beyond:
            distance, where = beyond[0]
            lost[index] = (
                f"beyond {RADIUS_AIR_MILES:.0f} air-miles of the work reporting location at "
                f"{format_instant(from_epoch(where.at))} ({distance:.1f} air-miles)"
            )
        elif until - came_on > RELEASE_WITHIN_S:
            what = "released" if released is not None else "on duty"
            lost[index] = f"{what} {(until - came_on) / 3600:.2f} h after coming on duty (more than 14)"
        elif released is not None:
            release = [d for d, p in far if p.at == released]
            if not release:
                lost[index] = "no position at the release: the return to the work reporting location is not shown"
            elif release[-1] > RETURN_TOLERANCE_AIR_MILES:
                lost[index] = f"released {release[-1]:.1f} air-miles from the work reporting location"
    return lost


def _rest_since(timeline: Timeline, span: DutySpan) -> int | None:
    """For the current duty period: when the rest it ends in began, or None while still on duty."""
    if not timeline.starts or timeline.codes[-1] >= ON:
        return None
    rest = timeline.rest_runs[-1] if timeline.rest_runs else None
    return rest.start if rest is not None and rest.start >= span.start else None


def lost_entries(lost: dict[int, str], spans: list[DutySpan], timeline: Timeline) -> list[dict[str, str]]:
    return [
        {
            "type": SHORT_HAUL_150,
            "duty_period_start": format_instant(from_epoch(on_duty_start(timeline, spans[i]))),
            "reason": reason,
        }
        for i, reason in sorted(lost.items())
    ]
