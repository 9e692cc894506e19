"""Hours per duty status inside one day of a driver's log: the totals column of the RODS grid.

Presentation only: limits and violations are the engine's business (``evaluate_log``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The four duty statuses of the grid, by their log codes (off duty, sleeper berth, driving,
# on duty not driving).
GRID_STATUSES = ("OFF", "SB", "D", "ON")


def daily_totals(events: Iterable[Mapping], start_ms: int, end_ms: int) -> dict[str, float]:
    """Hours (rounded to 0.01) per status in GRID_STATUSES within [start_ms, end_ms).

    `events` are log items with `event_time` (epoch ms) and `status`, in any order. A status lasts
    until the next event (the last one until end_ms); time before the first event is unknown and
    counts nowhere, so pass the last event before the day to carry its status into the day.
    Events with another status still end the one before them but add to no total."""
    totals = {s: 0.0 for s in GRID_STATUSES}
    ordered = sorted(events, key=lambda e: e["event_time"])
    for this, nxt in zip(ordered, ordered[1:] + [None]):
        a = max(this["event_time"], start_ms)
        b = min(nxt["event_time"] if nxt else end_ms, end_ms)
        if b > a and this.get("status") in totals:
            totals[this["status"]] += (b - a) / 3_600_000
    return {k: round(v, 2) for k, v in totals.items()}
