"""When a vehicle is scored: window length, scoring span, the hourly interval, "could it have been scored".

A vehicle is scored at most once per PREDICTION_INTERVAL_MS of event time, for a reading whose
window (the vehicle's readings with ts in (ts - WINDOW_MS, ts]) spans at least the vehicle's
scoring span (`scoring_span_min`: MIN_WINDOW_SPAN_MIN plus a fixed per-vehicle share of the
configured spread). A prediction at predicted_at blocks scoring a reading at ts while
ts - predicted_at < PREDICTION_INTERVAL_MS (`blocks`; a later prediction blocks too).
`maybe_scored` tells from the stored readings alone whether a blocking prediction can exist;
`ScoredMemory` is a container's bounded memory of the predictions it knows of. Times are epoch ms.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence

WINDOW_MS = 30 * 60_000  # the model was trained on 30-minute windows
PREDICTION_INTERVAL_MS = 3_600_000
MIN_WINDOW_SPAN_MIN = 20
# A vehicle is first scored when its window spans MIN_WINDOW_SPAN_MIN plus its own share of
# the configured spread (first_scoring_span_min). The spread can be at most this, or a vehicle
# reporting once a minute (29 minutes of span in a 30-minute window) could never be scored.
MAX_FIRST_SCORE_SPREAD_MIN = WINDOW_MS / 60_000 - MIN_WINDOW_SPAN_MIN - 1
# How far back `maybe_scored` needs the vehicle's readings: a reading up to an interval before ts
# can block it, and whether it could have been scored depends on its own window (one more minute
# of margin for readings on the edge).
LOOKBACK_MS = PREDICTION_INTERVAL_MS + WINDOW_MS + 60_000
# Stored times may read up to 1 ms early once converted to ms: err towards "maybe scored".
_SLACK_MS = 2


def first_scoring_span_min(vehicle_id: str, minimum_min: float, spread_min: float) -> float:
    """The window span (minutes) at which the vehicle is scored: minimum_min plus a fixed share of
    spread_min that depends only on the vehicle_id (CRC-32, the same in every process). A fleet
    that keys on together (a shift start, the end of an outage, a simulated fleet) then reaches its
    first scoring over spread_min minutes rather than within one, and the hourly cadence that
    follows each first scoring keeps that spread."""
    return minimum_min + spread_min * zlib.crc32(vehicle_id.encode()) / 2**32


def scoring_span_min(vehicle_id: str, spread_min: float) -> float:
    """The window span (minutes) at which the vehicle is scored: MIN_WINDOW_SPAN_MIN plus its share
    of spread_min, the configured spread clamped to [0, MAX_FIRST_SCORE_SPREAD_MIN]."""
    spread = min(max(spread_min, 0.0), MAX_FIRST_SCORE_SPREAD_MIN)
    return first_scoring_span_min(vehicle_id, MIN_WINDOW_SPAN_MIN, spread)


def window_spans(times_ms: Iterable[int], span_min: float) -> bool:
    """The window's readings (their ts, any order) span at least span_min minutes: the features'
    span_min as build_features computes it, without building the rest. False for no readings."""
    times = list(times_ms)
    return bool(times) and (max(times) - min(times)) / 60_000 >= span_min


def blocks(predicted_at_ms: int, ts_ms: int) -> bool:
    """A prediction at predicted_at_ms blocks scoring the reading at ts_ms (less than an interval
    before it, or after it)."""
    return ts_ms - predicted_at_ms < PREDICTION_INTERVAL_MS


def maybe_scored(
    ts_ms: int, times_ms: Sequence[int], ids: Sequence[str], inserted: set[str], span_min: float = MIN_WINDOW_SPAN_MIN
) -> bool:
    """Could a prediction that blocks scoring the reading at ts_ms exist, judged from the vehicle's
    readings since ts_ms - LOOKBACK_MS (`times_ms` ascending, their record_`ids`)?

    A prediction is written only for a reading already stored in vehicle_history (by whoever
    scored it) whose window then spanned the vehicle's span_min (scoring_span_min; after a
    deploy that raised the spread, a reading scored under the smaller span can go unseen, so a
    vehicle may be scored twice in that hour); rows are never deleted, and a window only grows
    as rows arrive. So a reading P can have been scored only if, now, its window (P - window, P]
    holds a reading at or before P - span_min, and it blocks ts_ms only if ts_ms - P < interval
    (P later than ts_ms included). Readings this invocation inserted (`inserted`, the one at
    ts_ms among them) were stored by no one before, so no one scored them. Errs towards True
    by _SLACK_MS at every boundary."""
    ms = list(times_ms)
    lo = 0
    for p, record_id in zip(ms, ids):
        if record_id in inserted or ts_ms - p >= PREDICTION_INTERVAL_MS + _SLACK_MS:
            continue
        while ms[lo] < p - WINDOW_MS - _SLACK_MS:
            lo += 1
        if ms[lo] <= p - span_min * 60_000 + _SLACK_MS:
            return True
    return False


class ScoredMemory:
    """vehicle_id -> predicted_at of the latest prediction known for it, least recently
    remembered dropped beyond max_entries (~100 B an entry). Only ever a prediction that exists:
    a newer one written elsewhere can only extend the interval, never shorten it."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._scored: OrderedDict[str, int] = OrderedDict()

    def recently_scored(self, vehicle_id: str, ts_ms: int) -> bool:
        """A known prediction for the vehicle is less than an interval before ts_ms (the same
        reading again is not: it may be a retry of a pending publish)."""
        cached = self._scored.get(vehicle_id)
        return cached is not None and cached != ts_ms and 0 <= ts_ms - cached < PREDICTION_INTERVAL_MS

    def get(self, vehicle_id: str, default: int | None = None) -> int | None:
        """The remembered predicted_at of the vehicle, else default."""
        return self._scored.get(vehicle_id, default)

    def remember(self, vehicle_id: str, predicted_at_ms: int) -> None:
        """Remember predicted_at_ms for the vehicle (replacing what was there)."""
        self._scored[vehicle_id] = predicted_at_ms
        self._scored.move_to_end(vehicle_id)
        while len(self._scored) > self.max_entries:
            self._scored.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (a cold container)."""
        self._scored.clear()

    def __contains__(self, vehicle_id: object) -> bool:
        return vehicle_id in self._scored

    def __len__(self) -> int:
        return len(self._scored)
