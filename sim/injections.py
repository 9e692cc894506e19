"""Scenario injections: the conditions a scenario adds to chosen vehicles at fleet build.

inject:
  - {type: cooling_failure, vehicles: [0, 1], at: 10m, ramp: 30m}
  - {type: hos_pattern, vehicles: [2], pattern: BREAK_30, local_hour: 6}
  - {type: duty_plan, vehicles: [3], at: 0, plan: [[ON, pretrip, 15m], [D, drive, 2h]]}
  - {type: route, vehicles: [3], waypoints: [Dallas, [32.5, -96.9]]}
  - {type: excess_idle, share: 0.05}
  - {type: ruleset, vehicles: [4], ruleset: us-texas-intrastate, cycle: 70/7}   # cycle optional
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.domain.hos.rulesets import RULESETS
from sim import degradation
from sim.config import parse_duration
from sim.duty import PATTERN_HISTORY, VIOLATION_DAYS

TYPES = (*degradation.KINDS, "hos_pattern", "duty_plan", "route", "ruleset")
_COMMON_KEYS = {"type", "vehicles", "share"}


@dataclass
class Injection:
    type: str
    vehicles: tuple[int, ...] | None = None  # global vehicle indices
    share: float | None = None  # or this share of the fleet, picked by a stable hash
    params: dict = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Injection:
        kind = values.get("type")
        if kind not in TYPES:
            raise ValueError(f"unknown injection type {kind!r}; known: {', '.join(TYPES)}")
        vehicles = values.get("vehicles")
        share = values.get("share")
        if (vehicles is None) == (share is None):
            raise ValueError(f"injection {kind}: give exactly one of `vehicles` or `share`")
        injection = cls(
            kind,
            tuple(int(v) for v in vehicles) if vehicles is not None else None,
            float(share) if share is not None else None,
            {k: v for k, v in values.items() if k not in _COMMON_KEYS},
        )
        injection.validate()
        return injection

    def validate(self) -> None:
        if self.type == "hos_pattern" and self.params.get("pattern") not in VIOLATION_DAYS:
            raise ValueError(f"hos_pattern needs pattern in {sorted(VIOLATION_DAYS)}")
        if self.type == "duty_plan":
            self.duty_plan()
        if self.type == "route" and not self.params.get("waypoints"):
            raise ValueError("route needs waypoints")
        if self.type == "ruleset":
            self.ruleset()

    def selects(self, index: int) -> bool:
        if self.vehicles is not None:
            return index in self.vehicles
        # crc32 rather than hash(): stable across processes and Python versions.
        return zlib.crc32(f"{self.type}:{index}".encode()) / 2**32 < self.share

    def condition(self) -> degradation.Condition:
        return degradation.Condition(
            self.type,
            start_s=parse_duration(self.params.get("at", 0)),
            ramp_s=parse_duration(self.params.get("ramp", "1h")),
            peak=float(self.params.get("peak", 1.0)),
        )

    def duty_plan(self) -> list[tuple[str, str, int]]:
        plan = []
        for entry in self.params.get("plan") or []:
            status, activity, duration = entry
            # YAML 1.1 reads bare ON/OFF as booleans; take them back.
            status = {True: "ON", False: "OFF"}.get(status, status) if isinstance(status, bool) else status
            if status not in ("OFF", "SB", "D", "ON"):
                raise ValueError(f"duty_plan: bad status {status!r}")
            plan.append((status, activity, parse_duration(duration)))
        if not plan:
            raise ValueError("duty_plan needs a non-empty plan")
        return plan

    def ruleset(self) -> tuple[str, str]:
        """(rule set, cycle) the selected vehicles' drivers work under; the cycle defaults to the rule set's."""
        name, cycle = self.params.get("ruleset"), self.params.get("cycle")
        if name not in RULESETS:
            raise ValueError(f"ruleset needs ruleset in {sorted(RULESETS)}; got {name!r}")
        cycle = RULESETS[name].default_cycle if cycle is None else str(cycle)
        if cycle not in RULESETS[name].cycles:
            raise ValueError(f"ruleset {name}: cycle must be one of {sorted(RULESETS[name].cycles)}; got {cycle!r}")
        return name, cycle

    def pattern_days(self) -> list[list[tuple[str, str, int]]]:
        pattern = self.params["pattern"]
        return [*PATTERN_HISTORY.get(pattern, []), VIOLATION_DAYS[pattern]]
