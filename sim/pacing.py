"""Feeding a fleet's ticks into a sink, as fast as possible or paced at a real-time factor."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator


def paced(
    batches: Iterable,
    real_time_factor: float | None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator:
    """Yield batches no faster than `real_time_factor` simulated seconds per wall second
    (None or 0: as fast as possible). A slow consumer is not caught up by bursting: the
    schedule simply runs late, as a real fleet would not send faster to make up."""
    if not real_time_factor:
        yield from batches
        return
    began = clock()
    first_t = None
    for batch in batches:
        if first_t is None:
            first_t = batch.t
        due = began + (batch.t - first_t) / real_time_factor
        delay = due - clock()
        if delay > 0:
            sleep(delay)
        yield batch


def pump(batches: Iterable, sink, *, real_time_factor: float | None = None, on_tick: Callable | None = None) -> None:
    """Send every batch to the sink; `on_tick(batch)` after each one (progress, sampling)."""
    for batch in paced(batches, real_time_factor):
        sink.send(batch)
        if on_tick is not None:
            on_tick(batch)
