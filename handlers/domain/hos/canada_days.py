"""Canada's limits per day (SOR/2005-313 ss. 12 and 14): a day is 24 hours from local midnight of the
home terminal (s. 2, "day"; the carrier may designate another hour, not modelled here).

- ``DAY_DRIVING_13``: driving in a day beyond 13 hours (s. 12(1));
- ``DAY_ON_DUTY_14``: driving in a day after 14 hours on duty in that day (s. 12(2));
- ``DAY_OFF_10``: a day with less than 10 hours off duty (s. 14(1)). It is not driving beyond a limit,
  so its ``start``/``end`` are the day's bounds and ``over_s`` the missing off-duty time. Only days
  the log covers completely (and that ended by as_of) are judged: time before the first event is
  unknown. The 2-hour deferral of s. 16 is not modelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .duty_window import OverLimit
from .limit_scan import beyond
from .rulesets import RuleSet
from .timeline import Timeline


def day_limits(timeline: Timeline, ruleset: RuleSet, zone: ZoneInfo) -> tuple[list[OverLimit], int]:
    """Violations per day, and the driving the current day still allows as of ``timeline.as_of``.

    Raises ValueError for a non-empty timeline when ``ruleset`` has no limits per day.
    """
    over_limits: list[OverLimit] = []
    if timeline.empty:
        return over_limits, ruleset.day_driving_s or 0
    driving_limit, on_duty_limit, off_limit = ruleset.day_driving_s, ruleset.day_on_duty_s, ruleset.day_off_s
    if driving_limit is None or on_duty_limit is None or off_limit is None:
        raise ValueError(f"rule set {ruleset.name!r} has no limits per day")
    left = 0
    for day_start, day_end in _days(timeline.log_start, timeline.as_of, zone):
        hi = min(day_end, timeline.as_of)
        over_limits += beyond(timeline, day_start, hi, driving_limit, timeline.driving_until, "DAY_DRIVING_13")
        over_limits += beyond(timeline, day_start, hi, on_duty_limit, timeline.on_duty_until, "DAY_ON_DUTY_14")
        if day_start >= timeline.log_start and day_end <= timeline.as_of:
            off_s = (day_end - day_start) - (timeline.on_duty_until(day_end) - timeline.on_duty_until(day_start))
            if off_s < off_limit:
                over_limits.append(OverLimit("DAY_OFF_10", day_start, day_end, off_limit - off_s))
        driven = timeline.driving_until(hi) - timeline.driving_until(day_start)
        on_duty = timeline.on_duty_until(hi) - timeline.on_duty_until(day_start)
        left = max(0, min(driving_limit - driven, on_duty_limit - on_duty))
    return over_limits, left


def _days(first: int, last: int, zone: ZoneInfo):
    day = datetime.fromtimestamp(first, zone).date()
    last_day = datetime.fromtimestamp(last, zone).date()
    while day <= last_day:
        start = int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())
        following = day + timedelta(days=1)
        end = int(datetime(following.year, following.month, following.day, tzinfo=zone).timestamp())
        if end > first:
            yield start, end
        day = following
