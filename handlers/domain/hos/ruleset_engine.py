"""Evaluation for the rule sets other than us-property (see ``rulesets`` for the limits and sources).

Per duty period (between consecutive rests of the rule set's ``reset_rest_s``): driving beyond the
driving limit, driving after the elapsed window, driving after the cumulative on-duty limit. Then the
cycle (home-terminal days, reset by the rule set's consecutive off-duty time), Canada's cycle-2
24-hour rule and Canada's limits per day. Violations are reported the engine's usual way: the
driving done beyond a limit, ``start`` being the instant it first occurs.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from .canada_days import day_limits
from .cycle import CycleClock, _local_midnights
from .duty_window import OverLimit
from .limit_scan import after as _after
from .limit_scan import beyond as _beyond
from .limit_scan import used as _used
from .model import Availability
from .rules import HosRules
from .rulesets import CycleRule, RuleSet
from .sleeper import DutySpan, duty_spans
from .timeline import Timeline

_NO_SPLIT = 10**12  # no rest is short enough to be a split-sleeper candidate


class RuleSetCycleClock(CycleClock):
    """The property cycle clock with another limit, length and reset."""

    def __init__(self, timeline: Timeline, cycle: CycleRule, zone: ZoneInfo, reset_s: int | None = None) -> None:
        self.timeline = timeline
        self.rule, self.days, self.limit_s = cycle.rule, cycle.days, cycle.limit_s
        reset_s = cycle.reset_s if reset_s is None else reset_s
        self.restart_ends = [r.end for r in timeline.rest_runs if reset_s and r.length >= reset_s]
        self.midnights = _local_midnights(timeline.log_start, timeline.as_of, self.days, zone)


def evaluate_ruleset(
    timeline: Timeline,
    ruleset: RuleSet,
    cycle: CycleRule,
    zone: ZoneInfo,
    adverse_of: Callable[[list[DutySpan]], set[int]],
) -> tuple[list[OverLimit], Availability, list[DutySpan]]:
    """Violations, time left, and the duty periods; ``adverse_of`` picks the periods with the extension."""
    spans = duty_spans(timeline, HosRules(reset_rest_s=ruleset.reset_rest_s, split_short_s=_NO_SPLIT))
    adverse = adverse_of(spans)
    over_limits: list[OverLimit] = []
    drive_left = window_left = 0
    for index, span in enumerate(spans):
        extra = ruleset.adverse_s if index in adverse else 0
        driving_s = ruleset.driving_s + (extra if "driving" in ruleset.adverse_extends else 0)
        over_limits += _beyond(timeline, span.start, span.stop, driving_s, timeline.driving_until, ruleset.driving_rule)
        lefts = []
        if ruleset.window_s is not None:
            window_s = ruleset.window_s + (extra if "window" in ruleset.adverse_extends else 0)
            over_limits += _after(timeline, span.start + window_s, span.stop, ruleset.window_rule)
            lefts.append(span.start + window_s - span.stop)
        if ruleset.on_duty_s is not None:
            on_duty_s = ruleset.on_duty_s + (extra if "on_duty" in ruleset.adverse_extends else 0)
            over_limits += _beyond(
                timeline, span.start, span.stop, on_duty_s, timeline.on_duty_until, ruleset.on_duty_rule
            )
            lefts.append(on_duty_s - _used(timeline.on_duty_until, span.start, span.stop))
        drive_left = max(0, driving_s - _used(timeline.driving_until, span.start, span.stop))
        window_left = max(0, min(lefts)) if lefts else drive_left

    clock = RuleSetCycleClock(timeline, cycle, zone)
    span_starts = [span.start for span in spans]
    over_limits += clock.violations(span_starts)
    cycle_left = clock.left_s()
    limits_left = [drive_left, window_left, cycle_left]
    if ruleset.cycle_2_off_after_s is not None and cycle.rule == "CYCLE_2_120_14":
        # SOR/2005-313 s. 26(b): within cycle 2, 24 consecutive hours off before 70 hours on duty.
        off_rule = CycleRule("CYCLE_2_OFF_24", cycle.days, ruleset.cycle_2_off_after_s, None, cycle.source)
        off_clock = RuleSetCycleClock(timeline, off_rule, zone, reset_s=ruleset.cycle_2_off_s)
        over_limits += off_clock.violations(span_starts)
        limits_left.append(off_clock.left_s())
    if ruleset.day_driving_s is not None:
        day_overs, day_left = day_limits(timeline, ruleset, zone)
        over_limits += day_overs
        limits_left.append(day_left)
    available = Availability(
        drive_s=max(0, min(limits_left)), window_s=window_left, cycle_s=cycle_left, break_due_in_s=None
    )
    return over_limits, available, spans
