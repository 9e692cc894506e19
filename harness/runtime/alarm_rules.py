"""How CloudWatch turns datapoints into an alarm state (pure: no moto, no clock).

- `statistic`: a period's value from its samples: Sum, Average, Minimum, Maximum, SampleCount, or a
  percentile pNN(.N) (nearest rank over the individually published values; statistic sets carry
  no distribution, so they do not count towards percentiles, as on AWS).
- `evaluate`: the state from the last N periods (oldest first, None = no datapoint): ALARM when at
  least M (DatapointsToAlarm, default N) breach; missing datapoints are treated per
  TreatMissingData: `notBreaching` (good), `breaching` (bad), `ignore` (only the datapoints present
  count; none present: the state is kept), `missing` (the default: only those present count; none
  present: INSUFFICIENT_DATA). StateReason and StateReasonData are written in AWS's words.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

COMPARISONS = {
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


@dataclass(frozen=True)
class Sample:
    """One stored datapoint: a single value (`value` set) or a statistic set."""

    total: float
    low: float
    high: float
    count: float
    value: float | None = None

    @classmethod
    def single(cls, value: float) -> Sample:
        return cls(value, value, value, 1.0, value)


def statistic(samples: list[Sample], stat: str) -> float | None:
    """The period's value of `stat` over `samples`; None when there are none (no datapoint)."""
    if not samples:
        return None
    name = stat.strip()
    if name.lower().startswith("p"):
        percentile = float(name[1:])
        values = sorted(s.value for s in samples if s.value is not None)
        if not values:
            return None
        rank = max(1, math.ceil(percentile / 100.0 * len(values)))
        return values[min(rank, len(values)) - 1]
    lowered = name.lower()
    count = sum(s.count for s in samples)
    if lowered == "sum":
        return sum(s.total for s in samples)
    if lowered == "samplecount":
        return count
    if lowered == "average":
        return sum(s.total for s in samples) / count if count else None
    if lowered == "minimum":
        return min(s.low for s in samples)
    if lowered == "maximum":
        return max(s.high for s in samples)
    raise ValueError(f"statistic {stat!r} is not supported locally")


@dataclass(frozen=True)
class Evaluation:
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    reason_data: str  # JSON


def _number(value: float) -> str:
    return repr(float(value))


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%d/%m/%y %H:%M:%S")


def _listed(points: list[tuple[float, dt.datetime]]) -> str:
    return "[" + ", ".join(f"{_number(v)} ({_stamp(at)})" for v, at in points) + "]"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def evaluate(
    values: list[float | None],
    starts: list[dt.datetime],
    *,
    comparison: str,
    threshold: float,
    datapoints_to_alarm: int | None,
    treat_missing_data: str | None,
    current_state: str,
    statistic_name: str,
    period_s: int,
    query_date: dt.datetime,
) -> Evaluation:
    """The state for the last N periods' `values` (oldest first; `starts` are the periods' start
    times). Raises ValueError for a comparison operator this evaluator does not implement
    (the anomaly-detection bands)."""
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison {comparison!r} is not supported locally")
    words, breaches = COMPARISONS[comparison]
    treatment = treat_missing_data if treat_missing_data in TREATMENTS else "missing"
    periods = len(values)
    needed = datapoints_to_alarm or periods
    present = [(v, at) for v, at in zip(values, starts, strict=True) if v is not None]
    missing = periods - len(present)
    bad = [(v, at) for v, at in present if breaches(v, threshold)]
    good = [(v, at) for v, at in present if not breaches(v, threshold)]
    bad_count = len(bad) + (missing if treatment == "breaching" else 0)
    data = json.dumps(
        {
            "version": "1.0",
            "queryDate": query_date.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "startDate": starts[0].strftime("%Y-%m-%dT%H:%M:%S.000+0000") if starts else None,
            "statistic": statistic_name,
            "period": period_s,
            "recentDatapoints": [v for v, _ in present],
            "threshold": float(threshold),
            "evaluatedDatapoints": [
                {"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "value": v} for v, at in reversed(present)
            ],
        }
    )
    if not present and treatment in ("missing", "ignore"):
        if treatment == "ignore":
            return Evaluation(current_state, "", data)
        reason = f"Insufficient Data: {_plural(periods, 'datapoint')} were unknown."
        return Evaluation("INSUFFICIENT_DATA", reason, data)
    if not present:
        label = "Breaching" if treatment == "breaching" else "NonBreaching"
        state = "ALARM" if treatment == "breaching" and missing >= needed else "OK"
        reason = (
            f"Threshold Crossed: no datapoints were received for {_plural(periods, 'period')} and "
            f"{_plural(missing, 'missing datapoint')} {'was' if missing == 1 else 'were'} treated as [{label}]."
        )
        return Evaluation(state, reason, data)
    substituted = ""
    if missing and treatment in ("breaching", "notBreaching"):
        label = "Breaching" if treatment == "breaching" else "NonBreaching"
        verb_missing = "was" if missing == 1 else "were"
        substituted = f" and {_plural(missing, 'missing datapoint')} {verb_missing} treated as [{label}]"
    if bad_count >= needed:
        state, shown, verb = "ALARM", bad, words
        minimum = f" (minimum {_plural(needed, 'datapoint')} for OK -> ALARM transition)"
    else:
        state, shown, verb = "OK", good, f"not {words}"
        minimum = f" (minimum {_plural(periods - needed + 1, 'datapoint')} for ALARM -> OK transition)"
    if periods == 1 and len(shown) == 1:
        reason = f"Threshold Crossed: 1 datapoint {_listed(shown)} was {verb} the threshold ({_number(threshold)})."
    else:
        reason = (
            f"Threshold Crossed: {len(shown)} out of the last {periods} datapoints {_listed(shown)} "
            f"{'was' if len(shown) == 1 else 'were'} {verb} the threshold ({_number(threshold)}){substituted}{minimum}."
        )
    return Evaluation(state, reason, data)
