"""handlers.domain.predictive.schedule: when a vehicle is scored (pure rules, no services)."""

from __future__ import annotations

import pytest

from handlers.domain.predictive import (
    LOOKBACK_MS,
    MAX_FIRST_SCORE_SPREAD_MIN,
    MIN_WINDOW_SPAN_MIN,
    PREDICTION_INTERVAL_MS,
    WINDOW_MS,
    ScoredMemory,
    blocks,
    first_scoring_span_min,
    maybe_scored,
    scoring_span_min,
    window_spans,
)

MINUTE, HOUR = 60_000, 3_600_000
T0 = 1_795_446_000_000  # 2026-11-23 15:00 UTC


def maybe(ts_ms, minutes, inserted=()):
    return maybe_scored(
        ts_ms, [T0 + m * MINUTE for m in minutes], [f"r{m}" for m in minutes], {f"r{m}" for m in inserted}
    )


def test_constants_keep_a_once_a_minute_vehicle_scorable():
    assert (WINDOW_MS, PREDICTION_INTERVAL_MS, MIN_WINDOW_SPAN_MIN) == (30 * MINUTE, HOUR, 20)
    # the largest spread still leaves a minute of a 30-minute window of one reading a minute
    assert MIN_WINDOW_SPAN_MIN + MAX_FIRST_SCORE_SPREAD_MIN == 29
    assert LOOKBACK_MS == HOUR + 30 * MINUTE + MINUTE


def test_maybe_scored_at_its_boundaries():
    assert not maybe(T0 + 19 * MINUTE, range(0, 20))  # no window spans 20 min yet
    assert maybe(T0 + 21 * MINUTE, range(0, 21))  # the reading at 20 could have been scored
    assert not maybe(T0 + 21 * MINUTE, range(0, 21), inserted=[20])  # ... had anyone stored it before
    assert not maybe(T0 + 80 * MINUTE + 3, range(0, 21))  # scored at 20 would no longer block at 80
    assert maybe(T0 + 80 * MINUTE - 1, range(0, 21))
    assert maybe(T0 + 10 * MINUTE, [0, 20])  # a later reading's prediction blocks too
    assert not maybe(T0 + 10 * MINUTE, [0, 31])  # 31 has nothing within (1, 11]
    assert not maybe(T0 + HOUR, [5, 41, 50, 60])  # gaps: no window spans 20 min
    assert maybe(T0 + HOUR, [5, 40, 50, 60])  # 60 - 40: it does


def test_maybe_scored_uses_the_vehicles_own_span():
    assert maybe(T0 + 25 * MINUTE, range(0, 25))
    assert not maybe_scored(
        T0 + 25 * MINUTE, [T0 + m * MINUTE for m in range(0, 25)], [f"r{m}" for m in range(0, 25)], set(), span_min=24.5
    )


def test_maybe_scored_errs_towards_true_by_two_ms():
    # a stored time read 1 ms early (rounding) still counts as spanning the 20 minutes
    times = [T0 + 1, T0 + 20 * MINUTE]
    assert maybe_scored(T0 + 21 * MINUTE, times, ["a", "b"], set())
    assert not maybe_scored(T0 + 21 * MINUTE, [T0 + 3, T0 + 20 * MINUTE], ["a", "b"], set())


def test_scoring_span_clamps_the_spread():
    vid = "VH-000042"
    share = first_scoring_span_min(vid, 0, 1)
    assert 0 <= share < 1
    assert scoring_span_min(vid, 8) == pytest.approx(MIN_WINDOW_SPAN_MIN + 8 * share)
    assert scoring_span_min(vid, -5) == MIN_WINDOW_SPAN_MIN
    assert scoring_span_min(vid, 60) == pytest.approx(MIN_WINDOW_SPAN_MIN + MAX_FIRST_SCORE_SPREAD_MIN * share)


def test_window_spans():
    assert not window_spans([], 0)
    assert window_spans([T0], 0)
    assert window_spans([T0 + 20 * MINUTE, T0], 20)  # order does not matter
    assert not window_spans([T0, T0 + 20 * MINUTE - 1], 20)


def test_blocks_less_than_an_interval_before_or_any_time_after():
    assert blocks(T0, T0 + HOUR - 1)
    assert not blocks(T0, T0 + HOUR)
    assert blocks(T0 + HOUR, T0)


def test_scored_memory_skips_the_interval_but_not_the_same_reading():
    memory = ScoredMemory()
    memory.remember("v", T0)
    assert memory.recently_scored("v", T0 + HOUR - 1)
    assert not memory.recently_scored("v", T0 + HOUR)
    assert not memory.recently_scored("v", T0)  # the same reading again: a publish retry
    assert not memory.recently_scored("v", T0 - MINUTE)  # an older reading is not covered
    assert not memory.recently_scored("w", T0)
    assert "v" in memory and memory.get("v") == T0 and memory.get("w", 7) == 7
    memory.clear()
    assert "v" not in memory and len(memory) == 0


def test_scored_memory_drops_the_least_recently_remembered():
    memory = ScoredMemory(max_entries=2)
    memory.remember("a", T0)
    memory.remember("b", T0)
    memory.remember("a", T0 + MINUTE)  # refreshed: b is now the oldest
    memory.remember("c", T0)
    assert len(memory) == 2 and "b" not in memory and memory.get("a") == T0 + MINUTE and "c" in memory
