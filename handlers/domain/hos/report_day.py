"""Which day the DOT daily report covers, and whether a daily schedule fits that definition.

A driver's record of duty status covers a 24-hour period starting at the time the carrier designates
for the home terminal (49 CFR 395.8(a)(1)(ii)(A)); this fleet designates midnight. So a report day is
a calendar date ``D``, and each driver is reported for ``D`` 00:00 to 24:00 in the home terminal's
time zone.

Contracts:
- ``report_day(fired_at, zones)``: the latest calendar date that has ended, at the instant
  ``fired_at``, in every zone of ``zones`` (the fleet's home-terminal zones). A run at any hour thus
  reports a day that is over for every driver, and a re-run with the same ``fired_at`` reports the
  same day. ``fired_at`` must carry a time zone; ``zones`` must not be empty (ValueError otherwise).
- ``day_bounds(date, zone)``: the day's start and end (aware datetimes) in ``zone``.
- ``schedule_problems(hour, minute, zones, first, days, grace)``: for a schedule firing daily at
  ``hour:minute`` UTC, the firings (from date ``first``, for ``days`` days) at which the report day
  skips or repeats a date, or fires less than ``grace`` after the report day ended in some zone.
  An empty list means the schedule matches the definition (DST changes included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

ONE_DAY = dt.timedelta(days=1)


def _zones(zones: Iterable[str]) -> list[ZoneInfo]:
    resolved = [ZoneInfo(z) for z in zones]
    if not resolved:
        raise ValueError("report_day needs at least one time zone")
    return resolved


def report_day(fired_at: dt.datetime, zones: Iterable[str]) -> dt.date:
    """The latest calendar date that has ended in every zone at ``fired_at``."""
    if fired_at.tzinfo is None:
        raise ValueError(f"fired_at needs a time zone: {fired_at.isoformat()}")
    return min(fired_at.astimezone(zone).date() for zone in _zones(zones)) - ONE_DAY


def day_bounds(date: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of ``date`` in ``zone`` (a DST day lasts 23 or 25 hours)."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(date, dt.time(), tz)
    return start, dt.datetime.combine(date + ONE_DAY, dt.time(), tz)


def schedule_problems(
    hour: int, minute: int, zones: Iterable[str], first: dt.date, days: int, grace: dt.timedelta = dt.timedelta(hours=1)
) -> list[str]:
    """Firings of a daily ``hour:minute`` UTC schedule that do not fit ``report_day``."""
    names = list(zones)
    problems: list[str] = []
    previous: dt.date | None = None
    for offset in range(days):
        fired = dt.datetime.combine(first + offset * ONE_DAY, dt.time(hour, minute), dt.UTC)
        day = report_day(fired, names)
        if previous is not None and day != previous + ONE_DAY:
            problems.append(f"{fired.isoformat()}: reports {day} after {previous} (a day skipped or repeated)")
        for zone in names:
            ended = day_bounds(day, zone)[1]
            if fired - ended < grace:
                problems.append(f"{fired.isoformat()}: {day} ended in {zone} only {fired - ended} before")
        previous = day
    return problems
