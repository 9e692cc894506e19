"""Trend statistics over a window of (ts_ms, value) points: slope, rate of change, z-score.

Pure functions; None where the statistic says nothing (too few points, no time span, flat history).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from .model import Point

MIN_TREND_POINTS = 3
MIN_TREND_SPAN_MS = 120_000  # a slope over less than 2 minutes is GPS/sender jitter
MIN_ZSCORE_POINTS = 10
# Smallest standard deviation a z-score divides by, per signal: the sensor's resolution (J1939
# SPN 110 coolant 1 degC/bit, SPN 168 battery 0.05 V/bit). A warm engine's coolant history is
# often flat to the degree, and without the floor one sensor step reads as "4 sigma".
ZSCORE_MIN_STDEV: dict[str, float] = {"coolant_temp_c": 1.0, "battery_v": 0.05}


def slope_per_minute(points: Sequence[Point]) -> float | None:
    """Least-squares slope in value units per minute; None with < 2 points or zero time span.
    Order-independent (the points need not be sorted)."""
    count = len(points)
    if count < 2:
        return None
    times, ys = zip(*points)
    origin = times[0]
    # Sums via map(mul) run in C: this is on the per-record path (3,900 records/s).
    xs = [(t - origin) / 60_000 for t in times]
    sum_x, sum_y = sum(xs), sum(ys)
    denominator = count * sum(map(mul, xs, xs)) - sum_x * sum_x
    if denominator <= 1e-12 * count * count:
        return None
    return (count * sum(map(mul, xs, ys)) - sum_x * sum_y) / denominator


def rate_of_change_per_minute(points: Sequence[Point]) -> float | None:
    """(last - first) / elapsed minutes; None with < 2 points or zero elapsed time."""
    if len(points) < 2 or points[-1][0] == points[0][0]:
        return None
    return (points[-1][1] - points[0][1]) / ((points[-1][0] - points[0][0]) / 60_000)


def zscore(history: Sequence[Point], value: float) -> float | None:
    """(value - mean) / stdev of history (population); None with < MIN_ZSCORE_POINTS points or
    a flat history (stdev ~ 0: any change would be infinitely surprising, which says nothing)."""
    return zscore_of_values([v for _, v in history], value)


def zscore_of_values(values: Sequence[float], value: float, min_stdev: float = 0.0) -> float | None:
    count = len(values)
    if count < MIN_ZSCORE_POINTS:
        return None
    # One pass in C (map/mul); telemetry magnitudes (< 1e6) keep the cancellation error far
    # below any variance that matters.
    mean = sum(values) / count
    variance = sum(map(mul, values, values)) / count - mean * mean
    if min_stdev > 0:  # a known noise floor: a steady history is scored against the floor
        return (value - mean) / max(math.sqrt(max(variance, 0.0)), min_stdev)
    if variance <= 1e-12 * max(1.0, mean * mean):
        return None
    return (value - mean) / math.sqrt(variance)


def slope_bound(points: list[Point]) -> float:
    """An upper bound of |least-squares slope| per minute, at a third of the regression's cost.

    By Cauchy-Schwarz |slope| <= sqrt(sum dy^2 / sum dx^2); sum dy^2 <= n * spread^2 and, as the
    first and last times are in the set, sum dx^2 >= span^2 / 2.
    """
    values = [value for _, value in points]
    span_min = (points[-1][0] - points[0][0]) / 60_000
    if span_min <= 0:
        return math.inf
    return (max(values) - min(values)) * math.sqrt(2 * len(values)) / span_min
