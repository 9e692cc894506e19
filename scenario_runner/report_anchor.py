"""Placing a scenario on the DOT report day, so a scenario that runs the daily report passes at
any hour and on any day of the week it is run.

Contract: ``place_on_report_day(start, duration_s, now, zones)`` returns ``ReportDayPlacement``:
- ``fired_at``: the instant (epoch s) the report run is taken to fire: ``now`` or a whole number of
  days before it, the latest whose report day (``handlers.domain.hos.report_day``, the same rule
  the DOT workflow applies to the `time` it is given) is a working day of the simulated fleet
  (``sim.duty.is_working_day``: drivers are off at weekends, so a weekend's report has nobody on it);
- ``day``: that report day;
- ``start``: the simulated start, the time of day of ``start`` (UTC) on ``day``.
The simulated period must lie inside ``day`` in every zone of ``zones`` (ValueError otherwise:
the scenario's time of day does not fit the fleet's zones). It then ends before ``fired_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.domain.hos.report_day import day_bounds, report_day
from sim.config import format_utc, parse_utc
from sim.duty import DAY, is_working_day

MAX_DAYS_BACK = 7  # a week always holds a working day


@dataclass(frozen=True)
class ReportDayPlacement:
    day: dt.date
    start: str
    fired_at: float

    @property
    def fired_at_iso(self) -> str:
        """As an EventBridge event's `time` (whole seconds, UTC)."""
        return format_utc(int(self.fired_at))


def place_on_report_day(start: str, duration_s: int, now: float, zones: Sequence[str]) -> ReportDayPlacement:
    time_of_day_s = parse_utc(start) % DAY
    for days_back in range(MAX_DAYS_BACK):
        fired_at = now - days_back * DAY
        day = report_day(dt.datetime.fromtimestamp(fired_at, dt.UTC), zones)
        begin = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()) + time_of_day_s
        if not is_working_day(0, begin):
            continue
        for zone in zones:
            first, last = day_bounds(day, zone)
            if not first.timestamp() <= begin < begin + duration_s <= last.timestamp():
                raise ValueError(
                    f"a {duration_s} s period from {format_utc(begin)} is not inside {day} in {zone}: "
                    f"choose the scenario's time of day so it is inside the day in every fleet zone"
                )
        return ReportDayPlacement(day, format_utc(begin), fired_at)
    raise ValueError(f"no working report day in the {MAX_DAYS_BACK} days before {format_utc(int(now))}")
