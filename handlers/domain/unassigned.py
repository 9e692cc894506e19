"""Unassigned driving (49 CFR 395 subpart B, Appendix A, 4.6.1.5): movement of a vehicle while no
driver is logged in must be recorded for the carrier to assign or annotate.

Movement is read from GPS fixes: a fix faster than MOVING_KPH (5 mph) starts or continues a moving
run; a slower fix, or a gap longer than MAX_GAP_MS between moving fixes, ends it. A run becomes a
candidate once it has lasted more than MIN_MOVING_MS (one minute). Whether a driver was in the vehicle
is the caller's business (the duty statuses in effect during the run). Pure code: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

MOVING_KPH = 5 * 1.609344
MIN_MOVING_MS = 60_000
MAX_GAP_MS = 15 * 60_000  # fixes further apart than this cannot show the vehicle kept moving


@dataclass(frozen=True)
class MovingRun:
    since_ms: int
    last_ms: int

    @property
    def qualifies(self) -> bool:
        return self.last_ms - self.since_ms > MIN_MOVING_MS


def step(run: MovingRun | None, ts_ms: int, speed_kph: float | None) -> MovingRun | None:
    """The moving run after a fix at ts_ms (None: the vehicle is not moving). A fix at or before the
    run's last one (redelivered or stale) leaves the run unchanged."""
    if run is not None and ts_ms <= run.last_ms:
        return run
    if speed_kph is None or speed_kph <= MOVING_KPH:
        return None
    if run is None or ts_ms - run.last_ms > MAX_GAP_MS:
        return MovingRun(ts_ms, ts_ms)
    return MovingRun(run.since_ms, ts_ms)
