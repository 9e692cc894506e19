"""One clock for the simulator, the scenario runner and what they start (the DOT workflow's input).

Contract:
- ``Clock.now()`` returns epoch seconds (float). ``SystemClock`` is the wall clock.
  ``ShiftedClock(at)`` reads ``at`` when it is created and then advances with the wall clock, so a
  run can be placed at any instant (a test at 02:30 UTC, a run "last Tuesday") while its pacing and
  timeouts stay real.
- ``from_env(environ)`` is the clock a process should use: ``FLEETTAP_NOW`` (an ISO-8601 instant
  with a zone, e.g. ``2026-12-06T02:30:00Z``) gives a ``ShiftedClock``, otherwise the wall clock. A
  malformed value is a ValueError naming the variable. Child processes inherit the variable; each
  starts its shifted clock when it first reads it, so they agree to within their start-up time.
Wall-clock pacing (``sim.pacing``) measures intervals, not instants, and does not use this module.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from typing import Protocol

ENV_VAR = "FLEETTAP_NOW"


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ShiftedClock:
    """Reads ``at`` (epoch seconds) now and advances in real time from there."""

    def __init__(self, at: float) -> None:
        self._offset = at - time.time()

    def now(self) -> float:
        return time.time() + self._offset


def parse_instant(text: str) -> float:
    """ISO-8601 instant with a zone ('Z' or an offset) -> epoch seconds."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} needs a time zone (e.g. 2026-12-06T02:30:00Z)")
    return moment.timestamp()


def from_env(environ: Mapping[str, str] = os.environ) -> Clock:
    text = environ.get(ENV_VAR, "").strip()
    if not text:
        return SystemClock()
    try:
        return ShiftedClock(parse_instant(text))
    except ValueError as exc:
        raise ValueError(f"{ENV_VAR}={text!r} is not an ISO-8601 instant with a zone: {exc}") from exc


_process_clock: Clock | None = None


def default_clock() -> Clock:
    """The process's clock (``from_env``), made on first use."""
    global _process_clock
    if _process_clock is None:
        _process_clock = from_env()
    return _process_clock


def now() -> float:
    return default_clock().now()
