"""The 11-hour driving limit and the 14-hour window (49 CFR 395.3(a)(2), (a)(3)(i)) for a duty span,
with the sleeper-berth pairing chosen as FMCSA's 2020 split-sleeper FAQ (question 4) says: the
pairing with no violations, else the fewest and least severe (counted per limit over the whole span,
not per calculation period), else the one leaving the most time."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from .rules import SEVERITY_RANK, HosRules, severity_for
from .sleeper import DutySpan, Pairing, pairings
from .timeline import Timeline


@dataclass
class OverLimit:
    """Driving beyond one limit inside one calculation period."""

    rule: str
    first: int
    last: int
    over_s: int


@dataclass
class SpanOutcome:
    over_limits: list[OverLimit] = field(default_factory=list)
    drive_left_s: int = 0
    window_left_s: int = 0

    def badness(self) -> tuple:
        # Count violations per limit, not per calculation period: a pairing splits the span into
        # more periods, and the same over-limit driving must not count as more violations just
        # because of that split (a pairing leaving 3 h 37 over 11 hours in two pieces used to lose
        # to no pairing and 14 h 01 in one piece).
        by_rule: dict[str, int] = {}
        for over in self.over_limits:
            by_rule[over.rule] = by_rule.get(over.rule, 0) + over.over_s
        counts = [0, 0, 0]
        for over_s in by_rule.values():
            counts[SEVERITY_RANK[severity_for(over_s)]] += 1
        total = sum(by_rule.values())
        # Most severe first: an out-of-service violation outweighs any number of nominal ones.
        return (counts[2], counts[1], counts[0], total, -(self.window_left_s + self.drive_left_s))


@dataclass(frozen=True)
class DutyLimits:
    driving_s: int
    window_s: int
    window_rule: str


def evaluate_span(
    timeline: Timeline, span: DutySpan, limits: DutyLimits, rules: HosRules, driving_rule: str
) -> SpanOutcome:
    best: SpanOutcome | None = None
    for pairing in pairings(span, rules):
        outcome = _evaluate_pairing(timeline, pairing, limits, driving_rule)
        if best is None or outcome.badness() < best.badness():
            best = outcome
            if not outcome.over_limits and not span.is_current:
                break  # no violation: nothing can beat it, and availability is not reported
    assert best is not None
    return best


def _evaluate_pairing(timeline: Timeline, pairing: Pairing, limits: DutyLimits, driving_rule: str) -> SpanOutcome:
    outcome = SpanOutcome()
    for period in pairing.periods:
        window_end = _window_end(period.start, limits.window_s, pairing.excluded)
        drive_over = _Accumulator(driving_rule)
        window_over = _Accumulator(limits.window_rule)
        used = 0
        index = max(0, bisect_right(timeline.driving_starts, period.start) - 1)
        for start, end in timeline.driving[index:]:
            if start >= period.stop:
                break
            start, end = max(start, period.start), min(end, period.stop)
            if end <= start:
                continue
            drive_over.add(max(start + max(0, limits.driving_s - used), period.judge_from), end)
            window_over.add(max(start, window_end, period.judge_from), end)
            used += end - start
        outcome.over_limits.extend(a.result() for a in (drive_over, window_over) if a.over_s)
        outcome.drive_left_s = max(0, limits.driving_s - used)
        outcome.window_left_s = max(0, min(window_end - period.stop, limits.window_s))
    return outcome


def _window_end(start: int, window_s: int, excluded: list[tuple[int, int]]) -> int:
    end = start + window_s
    for rest_start, rest_end in excluded:
        if rest_end <= start:
            continue
        if rest_start >= end:
            break
        end += rest_end - max(rest_start, start)
    return end


class _Accumulator:
    __slots__ = ("rule", "first", "last", "over_s")

    def __init__(self, rule: str) -> None:
        self.rule, self.first, self.last, self.over_s = rule, 0, 0, 0

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        if not self.over_s:
            self.first = start
        self.last = end
        self.over_s += end - start

    def result(self) -> OverLimit:
        return OverLimit(self.rule, self.first, self.last, self.over_s)
