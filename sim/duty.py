"""Duty-status schedules: compliant working days per duty profile, and named HOS-breaking days.

A schedule is an endless iterator of `Segment(start_s, status, activity)`, times relative to the
simulation start (negative = before it). Days start at the driver's local shift start (the log
day is the home terminal's), weekends off so weekly limits stay legal (a 34-hour restart).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import NamedTuple

HOUR = 3600
MINUTE = 60
DAY = 86400


class Segment(NamedTuple):
    start_s: int
    status: str  # OFF | SB | D | ON
    activity: str  # drive, pretrip, posttrip, load, unload, deliver, fuel, break, rest, wait


# Activities with the engine running (physics: idle fuel, coolant, battery). Drivers in this
# fleet shut down at stops; an inspection's few minutes of idle are too short to model.
ENGINE_ON_ACTIVITIES = frozenset({"drive"})


def _span(rng: random.Random, low_h: float, high_h: float) -> int:
    """A whole-minute duration between low and high hours."""
    return int(rng.uniform(low_h, high_h) * 60) * MINUTE


def long_haul_day(rng: random.Random) -> list[tuple[str, str, int]]:
    """About 10 h driving, breaks before 8 h of driving, under 11.5 h on duty (60/7-safe x5)."""
    return [
        ("ON", "pretrip", 15 * MINUTE),
        ("D", "drive", _span(rng, 3.0, 3.75)),
        ("ON", "load", _span(rng, 0.5, 0.75)),
        ("D", "drive", _span(rng, 2.5, 3.0)),
        ("OFF", "break", _span(rng, 0.5, 0.75)),
        ("D", "drive", _span(rng, 1.5, 2.0)),
        ("ON", "fuel", 15 * MINUTE),
        ("D", "drive", _span(rng, 0.5, 0.75)),
        ("ON", "posttrip", 15 * MINUTE),
    ]


def regional_day(rng: random.Random) -> list[tuple[str, str, int]]:
    return [
        ("ON", "pretrip", 15 * MINUTE),
        ("D", "drive", _span(rng, 1.5, 2.5)),
        ("ON", "unload", _span(rng, 0.5, 1.0)),
        ("D", "drive", _span(rng, 1.0, 2.0)),
        ("OFF", "break", 30 * MINUTE),
        ("D", "drive", _span(rng, 1.0, 2.0)),
        ("ON", "unload", 30 * MINUTE),
        ("D", "drive", _span(rng, 1.0, 1.5)),
        ("ON", "posttrip", 15 * MINUTE),
    ]


def local_day(rng: random.Random) -> list[tuple[str, str, int]]:
    """Delivery route: short hops and stops, a lunch break, home within 10 hours."""
    day = [("ON", "pretrip", 15 * MINUTE)]
    stops = rng.randint(5, 7)
    for stop in range(stops):
        day.append(("D", "drive", _span(rng, 0.25, 0.6)))
        if stop == stops // 2:
            day.append(("OFF", "break", 30 * MINUTE))
        else:
            day.append(("ON", "deliver", _span(rng, 0.15, 0.35)))
    day.append(("D", "drive", _span(rng, 0.3, 0.6)))
    day.append(("ON", "posttrip", 15 * MINUTE))
    return day


DAY_BUILDERS = {"long_haul": long_haul_day, "regional": regional_day, "local": local_day}
SHIFT_START_HOURS = {"long_haul": (4.0, 8.0), "regional": (5.0, 8.0), "local": (6.0, 9.0)}


# Days that break one rule each (and only that one), for the hos-violation scenario.
VIOLATION_DAYS = {
    # 11.75 h driving inside a 13.5 h window, breaks before each 8 h of driving.
    "DRIVING_11": [
        ("ON", "pretrip", 15 * MINUTE),
        ("D", "drive", 4 * HOUR),
        ("ON", "load", 30 * MINUTE),
        ("D", "drive", 4 * HOUR),
        ("OFF", "break", 30 * MINUTE),
        ("D", "drive", 3 * HOUR + 45 * MINUTE),
        ("ON", "posttrip", 15 * MINUTE),
    ],
    # 9 h driving but the last 1.5 h after the 14th hour since coming on duty.
    "WINDOW_14": [
        ("ON", "pretrip", 15 * MINUTE),
        ("ON", "wait", 3 * HOUR),
        ("D", "drive", 4 * HOUR),
        ("OFF", "break", HOUR),
        ("D", "drive", 3 * HOUR + 30 * MINUTE),
        ("ON", "unload", 2 * HOUR),
        ("D", "drive", 90 * MINUTE),
        ("ON", "posttrip", 15 * MINUTE),
    ],
    # 8.5 h of driving without any interruption.
    "BREAK_30": [
        ("ON", "pretrip", 15 * MINUTE),
        ("D", "drive", 8 * HOUR + 30 * MINUTE),
        ("ON", "posttrip", 15 * MINUTE),
    ],
}
# 70/8: five straight legal days of 13 h on duty (65 h; 10 h driving, a 13.5 h window), then the
# seventh-day shift passes 70 h in its second drive. Five days, so that the backfill, with the 10 h
# rest before its first shift, stays inside the pipeline's 7-day window (sim.fleet.MAX_BACKFILL_AGE_S).
CYCLE_HISTORY_DAY = [
    ("ON", "pretrip", 15 * MINUTE),
    ("D", "drive", 4 * HOUR),
    ("ON", "load", 2 * HOUR),
    ("D", "drive", 4 * HOUR),
    ("OFF", "break", 30 * MINUTE),
    ("D", "drive", 2 * HOUR),
    ("ON", "unload", 30 * MINUTE),
    ("ON", "posttrip", 15 * MINUTE),
]
VIOLATION_DAYS["CYCLE_70_8"] = [
    ("ON", "pretrip", 15 * MINUTE),
    ("D", "drive", 4 * HOUR),
    ("ON", "load", 30 * MINUTE),
    ("D", "drive", 2 * HOUR),
    ("ON", "posttrip", 15 * MINUTE),
]
PATTERN_HISTORY = {"CYCLE_70_8": [CYCLE_HISTORY_DAY] * 5}


def shift_start_s(day: int, local_hour: float, utc_offset_s: int, start_epoch_s: int) -> int:
    """Seconds from the simulation start to `local_hour` on local calendar day `day`."""
    start_midnight_utc = start_epoch_s - start_epoch_s % DAY
    return start_midnight_utc + day * DAY + int(local_hour * HOUR) - utc_offset_s - start_epoch_s


def is_working_day(day: int, start_epoch_s: int) -> bool:
    """Monday to Friday (`day` counts calendar days from the simulation start's date)."""
    epoch_day = start_epoch_s // DAY + day
    return (epoch_day + 3) % 7 < 5  # 1970-01-01 was a Thursday


def compliant_schedule(
    rng: random.Random, profile: str, first_day: int, utc_offset_s: int, start_epoch_s: int
) -> Iterator[Segment]:
    build_day = DAY_BUILDERS[profile]
    low, high = SHIFT_START_HOURS[profile]
    rest_status = "SB" if profile == "long_haul" else "OFF"
    # Off duty since the day before: the log shows the rest that precedes the first shift.
    yield Segment(shift_start_s(first_day - 1, 0.0, utc_offset_s, start_epoch_s), "OFF", "rest")
    day = first_day
    while True:
        if is_working_day(day, start_epoch_s):
            at = shift_start_s(day, round(rng.uniform(low, high), 2), utc_offset_s, start_epoch_s)
            for status, activity, duration in build_day(rng):
                yield Segment(at, status, activity)
                at += duration
            yield Segment(at, rest_status if rng.random() < 0.5 else "OFF", "rest")
        day += 1


def planned_schedule(days: list[list[tuple[str, str, int]]], first_start_s: int) -> Iterator[Segment]:
    """Explicit days (one list of (status, activity, seconds) per day), day k starting at
    `first_start_s + k * DAY`, after a day off; off duty for good after the last one."""
    yield Segment(first_start_s - DAY, "OFF", "rest")
    last = None
    for offset, day_plan in enumerate(days):
        at = first_start_s + offset * DAY
        if last is not None and at < last:
            raise ValueError("planned days overlap: a day ends after the next one starts")
        for status, activity, duration in day_plan:
            yield Segment(at, status, activity)
            at += duration
        yield Segment(at, "OFF", "rest")
        last = at
