"""Simulation configuration: one dataclass, loadable from a scenario file's `fleet:` mapping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sim import clock
from sim.duty import is_working_day

DEFAULT_START = "2026-11-23T00:00:00Z"  # a Monday, so weekly duty cycles start clean


@dataclass
class SimConfig:
    """Everything that shapes the generated telemetry (not where it is sent)."""

    vehicles: int = 100
    fleets: int = 1  # vehicles are spread round-robin over FL-001..FL-NNN
    start: str = DEFAULT_START  # simulated start time, ISO-8601 UTC
    duration_s: int = 3600
    tick_s: int = 1  # one batch of records per simulated tick
    gps_interval_s: int = 30
    diagnostics_interval_s: int = 60
    # Share of each vehicle type (normalised); reefers are tractors pulling a refrigerated trailer.
    vehicle_mix: dict = field(
        default_factory=lambda: {"tractor": 0.55, "reefer": 0.15, "straight_truck": 0.2, "van": 0.1}
    )
    cycle_60_7_share: float = 0.2  # carriers not operating every day of the week
    # Emit each driver's current duty status at the start (the ELD log sync on power-up), so
    # consumers know the state before the first change.
    emit_initial_status: bool = True
    # Past days of duty events to emit at the start (an ELD backfill), so weekly limits have
    # history to count; 0 = none.
    history_days: int = 0

    @property
    def start_epoch_s(self) -> int:
        return parse_utc(self.start)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> SimConfig:
        """Build from a scenario's `fleet:` mapping; unknown keys are an error (typos fail loudly)."""
        values = dict(values or {})
        if "duration" in values:
            values["duration_s"] = parse_duration(values.pop("duration"))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown fleet settings: {', '.join(unknown)}")
        return cls(**values)

    def replace(self, **changes: Any) -> SimConfig:
        return dataclasses.replace(self, **changes)


def format_utc(epoch_s: int) -> str:
    """epoch seconds -> '2026-11-23T00:00:00Z'."""
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ending_now(duration_s: int, now: float | None = None) -> str:
    """A start (whole minute) such that the simulated period ends just before now."""
    return format_utc(int((now if now is not None else clock.now()) - duration_s - 60) // 60 * 60)


def latest_same_time_of_day(start: str, duration_s: int, now: float | None = None) -> str:
    """The start moved by whole days to the latest one whose period ends before now and that is the
    same kind of day (a working day, Monday to Friday, or not: `sim.duty.is_working_day`): the time
    of day and the kind of day (who is on duty) stay, the records stay inside the pipeline's 7-day
    window (at most three days further back than the previous day). A weekday scenario run on a
    Sunday lands on Friday, not on a Sunday when the fleet's drivers are off. The result is the same
    all day long, so separate processes anchoring one scenario agree on it."""
    now = now if now is not None else clock.now()
    original = parse_utc(start)
    days = (int(now) - 60 - duration_s - original) // 86400
    working = is_working_day(0, original)
    while is_working_day(days, original) != working:
        days -= 1
    return format_utc(original + days * 86400)


def parse_utc(text: str) -> int:
    """'2026-11-23T00:00:00Z' -> epoch seconds."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"start time needs a zone: {text}")
    return int(moment.timestamp())


def parse_duration(value: Any) -> int:
    """Seconds from 90, '90s', '15m', '8h', '2d' or '1h30m'."""
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total, number = 0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            raise ValueError(f"bad duration: {value!r}")
    if number:
        total += float(number)
    return int(total)
