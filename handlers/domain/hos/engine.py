"""``evaluate_log``: a driver's duty-status changes in, violations and time left out."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .break_rule import break_violations
from .cycle import CycleClock
from .duty_window import DutyLimits, OverLimit, SpanOutcome, evaluate_span
from .log_input import PreparedLog, prepare_log
from .model import Availability, DutyEvent, HosInputError, HosResult, Violation, from_epoch, parse_instant
from .period_exceptions import Claims, adverse_spans, lost_entries, read_claims, short_haul_lost
from .rules import (
    CYCLES,
    DRIVING_11,
    SHORT_HAUL_150,
    SIXTEEN_HOUR,
    WINDOW_14,
    WINDOW_16,
    HosRules,
    severity_for,
)
from .ruleset_engine import evaluate_ruleset
from .rulesets import US_PROPERTY, CycleRule, RuleSet, ruleset_named
from .sleeper import DutySpan, duty_spans
from .timeline import Timeline, build_timeline, epoch_of, read_events

_DEFAULT_RULES = HosRules()


def evaluate_log(
    events: Iterable[DutyEvent | Mapping[str, Any]],
    *,
    cycle: str | None = None,
    time_zone: str = "UTC",
    exceptions: Iterable[str | Mapping[str, Any]] = (),
    as_of: datetime | str | None = None,
    rules: HosRules | None = None,
    ruleset: str | None = None,
) -> HosResult:
    """Evaluate a driver's log against a rule set (default ``us-property``: 49 CFR 395.3).

    ``cycle`` defaults to the rule set's usual cycle ("70/8" for us-property); ``rules`` (the
    ``compliance_rules`` limits) apply to us-property only. ``as_of`` defaults to the latest event;
    events after it are ignored. Raises ``HosInputError`` (a ``ValueError``) for input it cannot
    evaluate, never for the order or repetition of events.
    """
    rules = rules or _DEFAULT_RULES
    table = ruleset_named(ruleset)
    cycle_name = table.default_cycle if cycle is None else cycle
    if table.name == US_PROPERTY:
        if not isinstance(cycle_name, str) or cycle_name not in CYCLES:
            raise HosInputError(f"cycle must be one of {sorted(CYCLES)}; got {cycle_name!r}")
    cycle_rule = table.cycle(cycle_name)
    zone = _zone(time_zone)
    claims = read_claims(exceptions, table)
    claimed = claims.names
    as_of_epoch = epoch_of(parse_instant(as_of, "as_of")) if as_of is not None else None

    log = prepare_log(events, as_of_epoch)
    timeline = build_timeline(read_events(log.events), as_of_epoch)
    evaluated_at = None if timeline.empty and as_of_epoch is None else from_epoch(timeline.as_of)
    if table.name != US_PROPERTY:
        return _evaluate_other(timeline, table, cycle_rule, zone, claims, log, evaluated_at)

    spans = duty_spans(timeline, rules)
    adverse = adverse_spans(claims, spans)
    over_limits, current = _duty_limits(timeline, spans, rules, claimed, zone, adverse)
    lost = short_haul_lost(claims, spans, timeline, log.positions)

    driving_since_break = 0
    # 395.3(a)(3)(ii) does not apply to drivers using a short-haul exception of 395.1(e): each duty period
    # for which a claimed short-haul object held (the checked claim wins over the name), else the whole
    # log when claimed by name.
    if claims.work_reporting_location is not None:
        exempt = {i for i in range(len(spans)) if i not in lost}
    else:
        exempt = set(range(len(spans))) if SHORT_HAUL_150 in claimed else set()
    current_exempt = len(spans) - 1 in exempt
    if len(exempt) < len(spans):
        breaks, driving_since_break = break_violations(timeline, rules)
        starts = [span.start for span in spans]
        over_limits.extend(b for b in breaks if bisect_right(starts, b.first) - 1 not in exempt)

    cycle_clock = CycleClock(timeline, rules, cycle_name, zone)
    over_limits.extend(cycle_clock.violations([span.start for span in spans]))

    violations = sorted((_violation(over) for over in over_limits), key=lambda v: (v.start, v.rule))
    window_s = current.window_left_s
    cycle_s = cycle_clock.left_s()
    available = Availability(
        drive_s=min(current.drive_left_s, window_s, cycle_s),
        window_s=window_s,
        cycle_s=cycle_s,
        break_due_in_s=None if current_exempt else max(0, rules.driving_before_break_s - driving_since_break),
    )
    return HosResult(
        violations,
        available,
        evaluated_at,
        lost_entries(lost, spans, timeline) if claims.has_objects else None,
        log.edits,
    )


def _evaluate_other(
    timeline: Timeline,
    table: RuleSet,
    cycle_rule: CycleRule,
    zone: ZoneInfo,
    claims: Claims,
    log: PreparedLog,
    evaluated_at: datetime | None,
) -> HosResult:
    over_limits, available, spans = evaluate_ruleset(
        timeline, table, cycle_rule, zone, lambda spans: adverse_spans(claims, spans)
    )
    lost = short_haul_lost(claims, spans, timeline, log.positions)
    violations = sorted((_violation(over) for over in over_limits), key=lambda v: (v.start, v.rule))
    return HosResult(
        violations,
        available,
        evaluated_at,
        lost_entries(lost, spans, timeline) if claims.has_objects else None,
        log.edits,
    )


def _duty_limits(
    timeline: Timeline,
    spans: list[DutySpan],
    rules: HosRules,
    claimed: frozenset[str],
    zone: ZoneInfo,
    adverse_periods: set[int],
) -> tuple[list[OverLimit], SpanOutcome]:
    sixteen = _SixteenHourUse(timeline, rules, zone) if SIXTEEN_HOUR in claimed else None

    over_limits: list[OverLimit] = []
    outcome = SpanOutcome()
    for index, span in enumerate(spans):
        adverse = rules.adverse_extension_s if index in adverse_periods else 0
        normal = DutyLimits(rules.driving_s + adverse, rules.window_s + adverse, WINDOW_14)
        extended = DutyLimits(rules.driving_s + adverse, max(rules.window_16_s, normal.window_s), WINDOW_16)
        outcome = evaluate_span(timeline, span, normal, rules, DRIVING_11)
        window_exceeded = any(over.rule == WINDOW_14 for over in outcome.over_limits)
        if sixteen is not None and (window_exceeded or span.is_current) and sixteen.eligible(span):
            # 395.1(o)(3): once per 7 days. It counts as used only when driving went past the 14th
            # hour (J. J. Keller reading of FMCSA guidance), or for the current period's outlook.
            outcome = evaluate_span(timeline, span, extended, rules, DRIVING_11)
            sixteen.use(span)
        over_limits.extend(outcome.over_limits)
    return over_limits, outcome


class _SixteenHourUse:
    """395.1(o): not within the previous 6 consecutive days unless a 34-hour restart came since."""

    def __init__(self, timeline: Timeline, rules: HosRules, zone: ZoneInfo) -> None:
        self.zone = zone
        self.restart_ends = [r.end for r in timeline.rest_runs if r.length >= rules.restart_s]
        self.last_used: DutySpan | None = None

    def eligible(self, span: DutySpan) -> bool:
        if self.last_used is None:
            return True
        if any(self.last_used.start < end <= span.start for end in self.restart_ends):
            return True
        return self._day(span.start) - self._day(self.last_used.start) > timedelta(days=6)

    def use(self, span: DutySpan) -> None:
        self.last_used = span

    def _day(self, moment: int):
        return datetime.fromtimestamp(moment, self.zone).date()


def _violation(over: OverLimit) -> Violation:
    return Violation(
        over.rule, from_epoch(over.first), from_epoch(over.last), severity_for(over.over_s), int(over.over_s)
    )


def _zone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise HosInputError(f"time_zone must be an IANA zone name such as 'America/Chicago'; got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HosInputError(f"time_zone: unknown zone {name!r}") from exc
