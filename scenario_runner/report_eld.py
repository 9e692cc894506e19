"""The ELD-style duty-status grid of the run report (49 CFR 395.8 graph grid): one 24-hour grid per
driver and day, rows Off duty, Sleeper berth, Driving, On duty (not driving), a line stepping
between them, the total of every row in hh:mm, and a marker where each violation starts.

The day is the driver's record-of-duty-status day: 395.8(a)(1)(ii)(A) makes it the 24-hour period
starting at the time the carrier specifies for the home terminal, midnight here
(handlers.domain.hos.report_day, which the DOT report uses too). So a driver whose home terminal is
in America/Los_Angeles has grids from 08:00 UTC (07:00 in daylight saving time); a day on which the
clocks change lasts 23 or 25 hours and its grid has as many hour columns. The grid names its zone,
the totals and the violation markers use the same day.

Pure functions: `home_days` lists the days a period covers in a zone, `day_intervals` turns a
driver's logged statuses into one day's intervals, `row_totals` sums them, `eld_grid_svg` draws them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from handlers.domain.hos.report_day import day_bounds
from scenario_runner.report_chart import esc, format_hhmm

ROWS = ("OFF", "SB", "D", "ON")
ROW_NAMES = {"OFF": "1. Off duty", "SB": "2. Sleeper berth", "D": "3. Driving", "ON": "4. On duty (not driving)"}
# Special driving categories are drawn on the row they count on (49 CFR 395.8(e), ELD 4.3.2.2.2):
# personal conveyance is off duty, yard moves are on duty not driving.
GRID_ROW = {"OFF": "OFF", "PC": "OFF", "SB": "SB", "D": "D", "ON": "ON", "YM": "ON"}
DAY_S = 86_400
GRID_W, LABEL_W, TOTAL_W, ROW_H, TOP = 900, 150, 60, 22, 18


@dataclass(frozen=True)
class Interval:
    start_s: float  # epoch seconds
    end_s: float
    row: str  # one of ROWS


@dataclass(frozen=True)
class HomeDay:
    date: dt.date  # the calendar date in the home terminal's zone
    start_s: float  # its midnight there, epoch s
    end_s: float  # the next midnight there (24 h later, 23 or 25 on a DST change)
    zone: str

    def label(self) -> str:
        """The zone and its abbreviation that day, e.g. "America/Chicago, CST"."""
        abbreviation = dt.datetime.fromtimestamp(self.start_s, ZoneInfo(self.zone)).tzname()
        return self.zone if abbreviation in (None, self.zone) else f"{self.zone}, {abbreviation}"


def home_days(start_s: float, end_s: float, zone: str = "UTC") -> list[HomeDay]:
    """Every day in `zone` (midnight to midnight there) that overlaps [start_s, end_s)."""
    tz = ZoneInfo(zone)
    date = dt.datetime.fromtimestamp(start_s, tz).date()
    days = []
    while True:
        begin, finish = day_bounds(date, zone)
        if begin.timestamp() >= max(end_s, start_s + 1):
            return days
        days.append(HomeDay(date, begin.timestamp(), finish.timestamp(), zone))
        date += dt.timedelta(days=1)


def day_intervals(
    events: Sequence[tuple[float, str]],
    day_start_s: float,
    until_s: float | None = None,
    day_end_s: float | None = None,
) -> list[Interval]:
    """The intervals of the day [day_start_s, day_end_s) (default: 24 h) from a driver's status
    changes (epoch s, status), in any order. A status lasts until the next change, the end of the
    day or `until_s` (the end of the data), whichever is first; before the first change nothing is
    known. Unknown statuses are skipped."""
    day_end = day_start_s + DAY_S if day_end_s is None else day_end_s
    end = min(day_end, until_s) if until_s is not None else day_end
    known = sorted((t, GRID_ROW[s]) for t, s in events if s in GRID_ROW)
    intervals: list[Interval] = []
    for index, (at, row) in enumerate(known):
        following = known[index + 1][0] if index + 1 < len(known) else end
        begin, finish = max(at, day_start_s), min(following, end)
        if finish <= begin:
            continue
        if intervals and intervals[-1].row == row and intervals[-1].end_s == begin:
            intervals[-1] = Interval(intervals[-1].start_s, finish, row)
        else:
            intervals.append(Interval(begin, finish, row))
    return intervals


def row_totals(intervals: Sequence[Interval]) -> dict[str, float]:
    """Seconds per row (every row present, zero when empty)."""
    totals = dict.fromkeys(ROWS, 0.0)
    for interval in intervals:
        totals[interval.row] += interval.end_s - interval.start_s
    return totals


def eld_grid_svg(
    driver_id: str,
    day: HomeDay | float,
    intervals: Sequence[Interval],
    violations: Sequence[dict] = (),
    vehicle_id: str | None = None,
) -> str:
    """One day's grid (a HomeDay; an epoch float is the UTC day starting there). `violations`: dicts
    with `start_s` (epoch s) and `rule`; each inside the day gets a red marker at its start. The
    totals carry `data-seconds`; the svg its day (`data-day`, `data-day-start`, `data-day-end`, epoch
    s) and `data-zone`. Hour lines stand at every hour of the day's local clock."""
    if not isinstance(day, HomeDay):
        day = HomeDay(dt.datetime.fromtimestamp(day, dt.UTC).date(), day, day + DAY_S, "UTC")
    day_start_s, day_end_s = day.start_s, day.end_s
    span = day_end_s - day_start_s
    hours = round(span / 3600)
    tz = ZoneInfo(day.zone)
    plot_w = GRID_W - LABEL_W - TOTAL_W
    height = TOP + ROW_H * len(ROWS) + 34

    def x(epoch_s: float) -> float:
        return round(LABEL_W + (epoch_s - day_start_s) / span * plot_w, 2)

    def y(row: str) -> float:
        return TOP + ROWS.index(row) * ROW_H + ROW_H / 2

    parts = []
    for index, row in enumerate(ROWS):
        top = TOP + index * ROW_H
        parts.append(
            f"<rect x='{LABEL_W}' y='{top}' width='{plot_w}' height='{ROW_H}' class='eld-row'/>"
            f"<text x='4' y='{top + ROW_H / 2 + 4}'>{esc(ROW_NAMES[row])}</text>"
        )
    for hour in range(hours + 1):
        hx = LABEL_W + hour / hours * plot_w
        parts.append(f"<line x1='{hx:.1f}' x2='{hx:.1f}' y1='{TOP}' y2='{TOP + ROW_H * 4}' class='eld-hour'/>")
        if hour < hours:
            clock = dt.datetime.fromtimestamp(day_start_s + hour * 3600, tz).hour  # local: 1 twice in the fall
            label = "M" if clock == 0 else "N" if clock == 12 else str(clock % 12)
            parts.append(f"<text x='{hx + 1:.1f}' y='{TOP - 5}' class='eld-hour-label'>{label}</text>")
            for quarter in (1, 2, 3):
                qx = hx + quarter / (4 * hours) * plot_w
                length = ROW_H * (0.45 if quarter == 2 else 0.25)
                for index in range(len(ROWS)):
                    top = TOP + index * ROW_H
                    parts.append(
                        f"<line x1='{qx:.1f}' x2='{qx:.1f}' y1='{top}' y2='{top + length:.1f}' class='eld-tick'/>"
                    )
    if intervals:
        points = []
        for interval in intervals:
            points += [(x(interval.start_s), y(interval.row)), (x(interval.end_s), y(interval.row))]
        path = " ".join(f"{px},{py}" for px, py in points)
        parts.append(f"<polyline points='{path}' class='eld-line' fill='none'/>")
    totals = row_totals(intervals)
    for row in ROWS:
        parts.append(
            f"<text x='{GRID_W - TOTAL_W + 8}' y='{y(row) + 4}' class='eld-total' data-status='{row}' "
            f"data-seconds='{totals[row]:.0f}'>{format_hhmm(totals[row])}</text>"
        )
    parts.append(
        f"<text x='{GRID_W - TOTAL_W + 8}' y='{TOP + ROW_H * 4 + 14}' class='eld-total-sum'>"
        f"{format_hhmm(sum(totals.values()))}</text>"
    )
    marked = 0
    for violation in violations:
        start = violation.get("start_s")
        if start is None or not day_start_s <= start < day_end_s:
            continue
        marked += 1
        vx = x(start)
        bottom = TOP + ROW_H * 4
        local = dt.datetime.fromtimestamp(start, tz)
        label = f"{violation.get('rule', 'violation')} from {local:%H:%M} {local.tzname()}"
        parts.append(
            f"<g class='eld-violation' data-rule='{esc(violation.get('rule', ''))}' data-start='{start:.0f}'>"
            f"<line x1='{vx}' x2='{vx}' y1='{TOP}' y2='{bottom}'/>"
            f"<polygon points='{vx - 6},{bottom + 12} {vx + 6},{bottom + 12} {vx},{bottom + 1}'/>"
            f"<text x='{vx + 8}' y='{bottom + 13}'>{esc(violation.get('rule', ''))}</text>"
            f"<title>{esc(label)}</title></g>"
        )
    title = f"{driver_id}" + (f" ({vehicle_id})" if vehicle_id else "") + f" {day.date:%Y-%m-%d} ({day.label()})"
    return (
        f"<figure class='eld'><figcaption>{esc(title)}</figcaption>"
        f"<svg class='eld-grid' width='{GRID_W}' height='{height}' viewBox='0 0 {GRID_W} {height}' "
        f"data-driver='{esc(driver_id)}' data-day='{day.date.isoformat()}' data-zone='{esc(day.zone)}' "
        f"data-day-start='{day_start_s:.0f}' data-day-end='{day_end_s:.0f}' data-violations='{marked}'>"
        f"{''.join(parts)}</svg></figure>"
    )


CSS = """.eld-row{fill:#fff;stroke:#333}.eld-hour{stroke:#777;stroke-width:.8}.eld-tick{stroke:#999;stroke-width:.6}
.eld-line{stroke:#1f4e9c;stroke-width:2.4}.eld-total{font-weight:600}.eld-violation line{stroke:#d62728;
stroke-width:2}.eld-violation polygon{fill:#d62728}.eld-violation text{fill:#d62728;font-weight:600}
.eld-hour-label{font-size:10px}"""
