"""Duty periods and the sleeper-berth split (49 CFR 395.1(g)(1)(ii)).

A rest of at least 10 consecutive hours off duty or in the berth ends a duty period (395.3(a)(1)).
Between two such rests, shorter rests of at least 2 hours are split-sleeper candidates: two of
them pair when one holds at least 7 consecutive berth hours and together they last at least
10 hours (395.1(g)(1)(ii)(A)-(C)). The 10-hour rest that ends a duty period may complete a pair as
its second member (FMCSA 2020 FAQ: a 7-hour berth stay inside a 10-hour rest also gives back the
pause of the earlier qualifying break).

For a chosen set of pairs, compliance is recalculated from the end of the first member of each
pair (395.1(g)(1)(ii)(E)); both members are excluded from the 14-hour window (395.1(g)(1)(ii)(D)).
Each stretch of work is judged by the earliest calculation period that covers it, which is the
strictest one and so also checks "the work before and after each rest together".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from .rules import HosRules
from .timeline import RestRun, Timeline

# Above this many pairings a span falls back to chaining consecutive qualifying rests; a real
# log has a handful of candidates per duty period, this only bounds pathological input.
MAX_PAIRINGS = 256


@dataclass
class DutySpan:
    start: int
    stop: int
    candidates: list[RestRun]
    closing_rest: RestRun | None
    is_current: bool


@dataclass(frozen=True)
class CalculationPeriod:
    start: int
    judge_from: int
    stop: int


@dataclass
class Pairing:
    pairs: list[tuple[int, int]]
    periods: list[CalculationPeriod] = field(default_factory=list)
    excluded: list[tuple[int, int]] = field(default_factory=list)


def duty_spans(timeline: Timeline, rules: HosRules) -> list[DutySpan]:
    spans: list[DutySpan] = []
    candidates: list[RestRun] = []
    span_start = timeline.log_start
    for rest in timeline.rest_runs:
        if rest.length >= rules.reset_rest_s:
            spans.append(DutySpan(span_start, rest.start, candidates, rest, False))
            span_start, candidates = rest.end, []
        elif rest.length >= rules.split_short_s:
            candidates.append(rest)
    spans.append(DutySpan(span_start, max(span_start, timeline.as_of), candidates, None, True))
    return spans


def qualifies(first: RestRun, second: RestRun, rules: HosRules) -> bool:
    long_first = first.longest_sleeper_s >= rules.split_sleeper_long_s
    long_second = second.longest_sleeper_s >= rules.split_sleeper_long_s
    return (
        (long_first and second.length >= rules.split_short_s) or (long_second and first.length >= rules.split_short_s)
    ) and first.length + second.length >= rules.reset_rest_s


def pairings(span: DutySpan, rules: HosRules) -> list[Pairing]:
    """Every admissible set of pairs (none included), as calculation periods to evaluate."""
    rests = list(span.candidates)
    inner = len(rests)
    if span.closing_rest is not None:
        rests.append(span.closing_rest)
    if len(rests) < 2:
        return [_periods(span, rests, [])]
    pair_ok = {(a, b): qualifies(rests[a], rests[b], rules) for a in range(inner) for b in range(a + 1, len(rests))}
    options = list(islice(_pair_sets(0, inner, len(rests), pair_ok), MAX_PAIRINGS + 1))
    if len(options) > MAX_PAIRINGS:
        options = [[], _chained(inner, len(rests), pair_ok)]
    return [_periods(span, rests, pairs) for pairs in options]


def _pair_sets(first: int, inner: int, total: int, pair_ok: dict) -> Iterator[list[tuple[int, int]]]:
    yield []
    for a in range(first, inner):
        for b in range(a + 1, total):
            if pair_ok[(a, b)]:
                if b >= inner:
                    yield [(a, b)]
                    continue
                for rest in _pair_sets(b, inner, total, pair_ok):
                    yield [(a, b), *rest]


def _chained(inner: int, total: int, pair_ok: dict) -> list[tuple[int, int]]:
    return [(a, a + 1) for a in range(min(inner, total - 1)) if pair_ok[(a, a + 1)]]


def _periods(span: DutySpan, rests: list[RestRun], pairs: list[tuple[int, int]]) -> Pairing:
    starts = [span.start] + [rests[a].end for a, _ in pairs]
    stops = [rests[b].start for _, b in pairs] + [span.stop]
    judge_from = [span.start] + stops[:-1]
    members = sorted({index for pair in pairs for index in pair})
    return Pairing(
        pairs=pairs,
        periods=[CalculationPeriod(s, j, e) for s, j, e in zip(starts, judge_from, stops)],
        excluded=[(rests[i].start, rests[i].end) for i in members],
    )
