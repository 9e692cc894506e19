"""Anomaly vocabulary: severities, rule kinds, the Anomaly a rule fires, and alert identity.

`alert_id(vehicle_id, rule, window_start_ms)` is deterministic (same inputs, same id), and
`bucket_start_ms` gives the window start a record maps to, so a redelivered record produces the
same alert id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

INFO, WARNING, HIGH, CRITICAL = "info", "warning", "high", "critical"
SEVERITIES = (INFO, WARNING, HIGH, CRITICAL)
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

RULE_THRESHOLD = "threshold"
RULE_TREND = "trend"
RULE_ZSCORE = "zscore"
RULE_DTC = "dtc"
RULE_IMPLAUSIBLE = "implausible"

Point = tuple[int, float]


@dataclass(frozen=True)
class Anomaly:
    """One rule firing on one record. `rule` is "<kind>:<metric>" (kind in RULE_*)."""

    rule: str
    metric: str
    value: float
    threshold: float | None
    severity: str
    message: str
    window_start_ms: int
    vehicle_id: str = ""
    ts_ms: int = 0

    @property
    def alert_id(self) -> str:
        return alert_id(self.vehicle_id, self.rule, self.window_start_ms)


def alert_id(vehicle_id: str, rule: str, window_start_ms: int) -> str:
    """Deterministic alert id: same vehicle, rule and window start -> same id (redelivery)."""
    digest = hashlib.sha256(f"{vehicle_id}|{rule}|{int(window_start_ms)}".encode()).hexdigest()
    return f"al-{digest[:24]}"


def bucket_start_ms(ts_ms: int, window_s: int) -> int:
    """Start of the window_s-long bucket containing ts_ms: the window start used in alert ids,
    so a redelivered record maps to the same alert."""
    span = max(1, int(window_s)) * 1000
    return ts_ms - ts_ms % span


# One record may carry hundreds of DTCs (a 64 KiB record fits ~3,800): each would be an SNS alert, a
# work order and an in-cab notification. A record raises at most MAX_ALERTS_PER_RECORD anomalies: the
# most severe MAX_ALERTS_PER_RECORD - 1 in record order, then one summary standing for the rest.
MAX_ALERTS_PER_RECORD = 16
SUMMARY_RULE = "capped:alerts"
_SUMMARY_LISTED = 20  # rules named in the summary's message


def cap_alerts(found: list[Anomaly], vehicle_id: str, ts_ms: int) -> list[Anomaly]:
    """`found` itself when within the cap; otherwise the most severe (stable) plus one summary
    anomaly (rule SUMMARY_RULE, value = how many it stands for, severity = theirs at most, window =
    the record's instant, so a redelivery maps to the same alert id)."""
    if len(found) <= MAX_ALERTS_PER_RECORD:
        return found
    ranked = sorted(range(len(found)), key=lambda i: -SEVERITY_RANK.get(found[i].severity, 0))
    keep = sorted(ranked[: MAX_ALERTS_PER_RECORD - 1])
    kept = set(keep)
    rest = [a for i, a in enumerate(found) if i not in kept]
    worst = max(rest, key=lambda a: SEVERITY_RANK.get(a.severity, 0)).severity
    listed = ", ".join(a.rule for a in rest[:_SUMMARY_LISTED])
    more = f" and {len(rest) - _SUMMARY_LISTED} more" if len(rest) > _SUMMARY_LISTED else ""
    summary = Anomaly(
        SUMMARY_RULE,
        "alerts",
        float(len(rest)),
        float(MAX_ALERTS_PER_RECORD - 1),
        worst,
        f"{len(rest)} more anomalies in this reading omitted (cap {MAX_ALERTS_PER_RECORD} per record): {listed}{more}",
        ts_ms,
        vehicle_id,
        ts_ms,
    )
    return [found[i] for i in keep] + [summary]
