"""Rolling windows of a vehicle's signal values, kept by the handler in Redis sorted sets.

A window is a list of (ts_ms, value) points. `window_key`/`window_member` name the sorted set and
its members (score = ts_ms), `parse_window` reads ZRANGE ... WITHSCORES output back, and
`window_signals` says which signals need a window and for how long.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .model import Point
from .regime import REGIME_SIGNALS, RPM_SIGNAL
from .thresholds import TREND_SUFFIXES, Threshold


def window_key(vehicle_id: str, signal: str) -> str:
    """Redis key of the sorted set holding a vehicle's recent values of one signal."""
    return f"win:{vehicle_id}:{signal}"


def window_member(ts_ms: int, value: float) -> str:
    """Sorted-set member for one point (score = ts_ms). The ts prefix keeps equal values at
    different times distinct; repr() round-trips floats exactly."""
    return f"{int(ts_ms)}:{value!r}"


def parse_window(members_with_scores: Iterable[Any]) -> list[Point]:
    """Points from ZRANGE ... WITHSCORES output: [(member, score), ...] with str or bytes
    members. Unparsable members are skipped. Sorted by time; duplicates of a ts keep the last."""
    by_ts: dict[int, float] = {}
    for entry in members_with_scores:
        try:
            member = entry[0] if isinstance(entry, (tuple, list)) else entry
            if isinstance(member, (bytes, bytearray)):
                member = member.decode("ascii")
            ts_text, value_text = member.split(":", 1)
            value = float(value_text)
            if math.isfinite(value):
                by_ts[int(ts_text)] = value
        except (ValueError, TypeError, IndexError, AttributeError, UnicodeDecodeError):
            continue
    return sorted(by_ts.items())


def window_signals(thresholds: Mapping[str, Threshold]) -> dict[str, int]:
    """Signals whose history the handler must keep, with the window length (s) to keep."""
    spans: dict[str, int] = {}
    for metric, threshold in thresholds.items():
        signal, _, suffix = metric.partition(":")
        if metric.startswith("dtc:"):
            continue
        if suffix in TREND_SUFFIXES or (not suffix and threshold.z_max is not None):
            spans[signal] = max(spans.get(signal, 0), threshold.window_s)
    # Regime-gated signals need engine_rpm history to tell running readings from the rest.
    gated = [spans[signal] for signal in REGIME_SIGNALS if signal in spans]
    if gated:
        spans[RPM_SIGNAL] = max(spans.get(RPM_SIGNAL, 0), *gated)
    return spans


def trim(points: Sequence[Point], start_ms: int) -> list[Point]:
    """Points at or after start_ms."""
    return [point for point in points if point[0] >= start_ms]


def time_ordered(window: Sequence[Point]) -> list[Point]:
    # parse_window/ZRANGE output is already ordered; re-sorting it per record would cost more
    # than the statistics, so only windows that are visibly not ordered tuples are sorted.
    if window.__class__ is list and window[0].__class__ is tuple and window[0][0] <= window[-1][0]:
        return window
    return sorted((point[0], point[1]) for point in window)


def points_between(window: list[Point], start_ms: int, end_ms: int) -> list[Point]:
    """Points of a time-sorted window with start_ms <= ts < end_ms (binary search, C speed)."""
    return window[bisect_left(window, (start_ms,)) : bisect_left(window, (end_ms,))]
