"""Scans of a timeline's driving against a limit, shared by the rule-set engine and Canada's day limits."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from .duty_window import OverLimit
from .timeline import Timeline


def used(cumulative: Callable[[int], int], start: int, moment: int) -> int:
    return cumulative(moment) - cumulative(start)


def driving_pieces(timeline: Timeline, lo: int, hi: int):
    index = max(0, bisect_right(timeline.driving_starts, lo) - 1)
    for start, end in timeline.driving[index:]:
        if start >= hi:
            break
        start, end = max(start, lo), min(end, hi)
        if end > start:
            yield start, end


def beyond(
    timeline: Timeline, lo: int, hi: int, limit_s: int, cumulative: Callable[[int], int], rule: str
) -> list[OverLimit]:
    """Driving in [lo, hi) once ``cumulative`` (driving or on-duty time) since ``lo`` reached ``limit_s``."""
    over: OverLimit | None = None
    for start, end in driving_pieces(timeline, lo, hi):
        over_from = start + max(0, limit_s - used(cumulative, lo, start))
        over = _add(over, rule, over_from, end)
    return [over] if over else []


def after(timeline: Timeline, moment: int, hi: int, rule: str) -> list[OverLimit]:
    over: OverLimit | None = None
    for start, end in driving_pieces(timeline, moment, hi):
        over = _add(over, rule, start, end)
    return [over] if over else []


def _add(over: OverLimit | None, rule: str, start: int, end: int) -> OverLimit | None:
    if end <= start:
        return over
    if over is None:
        return OverLimit(rule, start, end, end - start)
    over.last = end
    over.over_s += end - start
    return over
