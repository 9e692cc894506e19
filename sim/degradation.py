"""Degradation processes and injected faults, and the trouble codes they raise.

A condition has a start, a ramp and a peak: its severity rises linearly from 0 at `start_s` to
`peak` at `start_s + ramp_s`. Physics reads severities; `active_dtcs` turns the resulting
signal values into DTCs the way an ECU would (a fault is reported while its cause persists).
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("cooling_failure", "battery_decline", "injector_wear", "dtc_storm", "excess_idle", "aggressive_driving")

# Thresholds at which an ECU sets a code (values typical of heavy-duty engine calibrations).
COOLANT_WARN_C = 104.0
COOLANT_CRITICAL_C = 110.0
BATTERY_LOW_V = 12.0
INJECTOR_FAULT_SEVERITY = 0.7

# (J1939 SPN, FMI) and the OBD-II equivalent for each fault.
OVERHEAT_CRITICAL = ((110, 0), "P0217")  # coolant temp above normal, most severe / overtemp
OVERHEAT_WARNING = ((110, 16), "P0217")  # above normal, moderately severe
BATTERY_LOW = ((168, 1), "P0562")  # battery potential below normal / system voltage low
INJECTOR_FAULT = ((651, 7), "P0201")  # injector cylinder 1 mechanical / injector circuit
# Codes a failing CAN bus or a loose harness sprays across modules.
STORM_CODES = (
    ((639, 9), "U0100"),
    ((1231, 9), "U0101"),
    ((168, 2), "P0560"),
    ((629, 12), "P0606"),
    ((1569, 31), "P1569"),
    ((3216, 4), "P2201"),
)


@dataclass
class Condition:
    kind: str
    start_s: float = 0.0
    ramp_s: float = 3600.0
    peak: float = 1.0
    params: dict = field(default_factory=dict)

    def severity(self, now_s: float) -> float:
        if now_s <= self.start_s:
            return 0.0
        if self.ramp_s <= 0:
            return self.peak
        return self.peak * min((now_s - self.start_s) / self.ramp_s, 1.0)


def severities(conditions: list[Condition], now_s: float) -> dict[str, float]:
    result: dict[str, float] = {}
    for condition in conditions:
        result[condition.kind] = max(result.get(condition.kind, 0.0), condition.severity(now_s))
    return result


def active_dtcs(
    dtc_form: str,
    coolant_c: float,
    battery_v: float,
    engine_on: bool,
    severity: dict[str, float],
    occurrences: dict,
    now_s: float,
) -> list[dict]:
    """The DM1/mode-03 list for one diagnostics sample; `occurrences` counts per code (mutated)."""
    faults = []
    if coolant_c >= COOLANT_CRITICAL_C:
        faults.append(OVERHEAT_CRITICAL)
    elif coolant_c >= COOLANT_WARN_C:
        faults.append(OVERHEAT_WARNING)
    if engine_on and battery_v < BATTERY_LOW_V:
        faults.append(BATTERY_LOW)
    if severity.get("injector_wear", 0.0) >= INJECTOR_FAULT_SEVERITY:
        faults.append(INJECTOR_FAULT)
    storm = severity.get("dtc_storm", 0.0)
    if storm > 0:
        # Intermittent: a different subset of codes each sample, more codes as severity grows.
        count = max(1, int(round(storm * len(STORM_CODES))))
        offset = int(now_s // 60) % len(STORM_CODES)
        faults.extend(STORM_CODES[(offset + i) % len(STORM_CODES)] for i in range(count))
    return [_item(dtc_form, fault, occurrences, now_s) for fault in faults]


# A code missing from the last sample(s) went inactive; its next appearance is a new occurrence.
_INACTIVE_AFTER_S = 150


def _item(dtc_form: str, fault, occurrences: dict, now_s: float) -> dict:
    (spn, fmi), obd_code = fault
    key = obd_code if dtc_form == "obd" else (spn, fmi)
    count, last_seen = occurrences.get(key, (0, -1e18))
    if now_s - last_seen > _INACTIVE_AFTER_S:
        count = min(count + 1, 126)
    occurrences[key] = (count, now_s)
    if dtc_form == "obd":
        return {"code": obd_code}
    return {"spn": spn, "fmi": fmi, "oc": count}
