"""The 30-minute break (49 CFR 395.3(a)(3)(ii)): no driving after 8 hours of cumulative driving
without an interruption of at least 30 consecutive minutes, which may be off duty, sleeper berth,
on duty not driving, or a combination (2020 rule)."""

from __future__ import annotations

from .duty_window import OverLimit
from .rules import BREAK_30, HosRules
from .timeline import D, Timeline


def break_violations(timeline: Timeline, rules: HosRules) -> tuple[list[OverLimit], int]:
    """Over-limit driving episodes, and driving since the last qualifying interruption at as_of."""
    episodes: list[OverLimit] = []
    current: OverLimit | None = None
    driving_since_break = 0
    not_driving = 0
    for start, end, code in zip(timeline.starts, timeline.ends, timeline.codes):
        if code != D:
            not_driving += end - start
            if not_driving >= rules.break_length_s:
                driving_since_break = 0
                if current is not None:
                    episodes.append(current)
                    current = None
            continue
        not_driving = 0
        over_from = start + max(0, rules.driving_before_break_s - driving_since_break)
        if over_from < end:
            if current is None:
                current = OverLimit(BREAK_30, over_from, end, 0)
            current.last = end
            current.over_s += end - over_from
        driving_since_break += end - start
    if current is not None:
        episodes.append(current)
    return episodes, driving_since_break
