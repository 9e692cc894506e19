"""The 60-hour/7-day and 70-hour/8-day limits (49 CFR 395.3(b)) and the 34-hour restart (395.3(c)).

Days are home-terminal calendar days (the 24-hour period starting time of 395.2 "seven/eight
consecutive days"): at any instant the cycle counts on-duty time from local midnight 6 (or 7) days
before today, or from the end of the latest restart if that is later. Time before the first event
is unknown and counts as nothing, so ``cycle_s`` is an upper bound for logs shorter than the cycle.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .duty_window import OverLimit
from .rules import CYCLES, HosRules
from .timeline import Timeline


class CycleClock:
    def __init__(self, timeline: Timeline, rules: HosRules, cycle: str, zone: ZoneInfo) -> None:
        self.timeline = timeline
        self.rule, self.days = CYCLES[cycle]
        self.limit_s = rules.cycle_limit_s(cycle)
        self.restart_ends = [r.end for r in timeline.rest_runs if r.length >= rules.restart_s]
        self.midnights = _local_midnights(timeline.log_start, timeline.as_of, self.days, zone)

    def window_start(self, moment: int) -> int:
        day = bisect_right(self.midnights, moment) - 1
        start = self.midnights[max(0, day - (self.days - 1))]
        restart = bisect_right(self.restart_ends, moment) - 1
        if restart >= 0 and self.restart_ends[restart] > start:
            start = self.restart_ends[restart]
        return start

    def used_s(self, moment: int) -> int:
        timeline = self.timeline
        return timeline.on_duty_until(moment) - timeline.on_duty_until(self.window_start(moment))

    def left_s(self) -> int:
        return max(0, self.limit_s - self.used_s(self.timeline.as_of))

    def violations(self, span_starts: list[int]) -> list[OverLimit]:
        """One violation per duty span: the driving done while the cycle was already used up."""
        by_span: dict[int, OverLimit] = {}
        midnights = self.midnights
        for start, end in self.timeline.driving:
            piece_start = start
            while piece_start < end:
                next_midnight = midnights[bisect_right(midnights, piece_start)]
                piece_end = min(end, next_midnight)
                over_from = piece_start + max(0, self.limit_s - self.used_s(piece_start))
                if over_from < piece_end:
                    span = bisect_right(span_starts, over_from) - 1
                    found = by_span.get(span)
                    if found is None:
                        by_span[span] = OverLimit(self.rule, over_from, piece_end, piece_end - over_from)
                    else:
                        found.last = piece_end
                        found.over_s += piece_end - over_from
                piece_start = piece_end
        return list(by_span.values())


def _local_midnights(first: int, last: int, days: int, zone: ZoneInfo) -> list[int]:
    """Local midnights from ``days`` days before the first instant to the day after the last one."""
    day = datetime.fromtimestamp(first, zone).date() - timedelta(days=days)
    last_day = datetime.fromtimestamp(last, zone).date() + timedelta(days=1)
    midnights = []
    while day <= last_day:
        midnights.append(int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()))
        day += timedelta(days=1)
    return midnights
