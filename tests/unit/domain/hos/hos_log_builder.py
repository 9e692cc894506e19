"""Builds duty-status logs for the HOS tests from (status, hours) steps in a home-terminal zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = 3600


def local(text: str, zone: str = "America/Chicago") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def steps_log(start: str, steps: list[tuple[str, float]], zone: str = "America/Chicago"):
    """Events for consecutive (status, hours) steps starting at local ``start``; returns (events, end).

    Durations are elapsed time (added in UTC), so a step across a DST change lasts what it says.
    """
    zone_info = ZoneInfo(zone)
    moment = local(start, zone).astimezone(UTC)
    events = []
    for status, hours in steps:
        events.append({"status": status, "at": moment.astimezone(zone_info).isoformat()})
        moment += timedelta(hours=hours)
    return events, moment.astimezone(zone_info)


def rules_of(result) -> list[str]:
    return [violation.rule for violation in result.violations]


def only(result, rule: str):
    found = [violation for violation in result.violations if violation.rule == rule]
    assert len(found) == 1, f"expected one {rule}, got {result.violations}"
    return found[0]
