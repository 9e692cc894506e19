"""Scenario files (scenarios/<name>.yaml): fleet settings, injected conditions, reference data to
seed, and the expected outcomes. See scenarios/README.md for the format."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from sim.config import SimConfig, parse_duration
from sim.injections import Injection

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_KEYS = {"name", "description", "seed", "fleet", "inject", "geofences", "thresholds", "expect",
         "test", "in_make_test", "real_time_factor", "after_send", "drain_timeout"}


@dataclass
class Scenario:
    name: str
    description: str
    seed: int
    fleet: SimConfig
    injections: list[Injection]
    geofences: list[dict] = field(default_factory=list)  # items for the geofences table
    thresholds: list[dict] = field(default_factory=list)  # extra alert_thresholds items
    expect: dict = field(default_factory=dict)
    test_overrides: dict = field(default_factory=dict)  # smaller fleet/duration for `make test`
    in_make_test: bool = True
    real_time_factor: Optional[float] = None
    after_send: list[dict] = field(default_factory=list)  # actions once all records are sent
    drain_timeout_s: int = 300
    fixed_start: bool = False  # the file sets a start time (its time of day matters)

    def for_test(self) -> "Scenario":
        """The scenario with its `test:` overrides applied (what `make test` runs)."""
        if not self.test_overrides:
            return self
        merged = {**_fleet_mapping(self.fleet), **self.test_overrides}
        copy = Scenario(**{**self.__dict__})
        copy.fleet = SimConfig.from_mapping(merged)
        copy.fixed_start = self.fixed_start or "start" in self.test_overrides
        return copy


def _fleet_mapping(config: SimConfig) -> dict:
    return dict(config.__dict__)


def scenario_path(name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    return SCENARIO_DIR / f"{name}.yaml"


def available() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def load(name: str) -> Scenario:
    path = scenario_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no scenario {name!r}; available: {', '.join(available())}")
    raw: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValueError(f"{path.name}: unknown keys {unknown}")
    if raw.get("name", path.stem) != path.stem:
        raise ValueError(f"{path.name}: name {raw.get('name')!r} differs from the file name")
    fleet = SimConfig.from_mapping(raw.get("fleet"))
    injections = [Injection.from_mapping(item) for item in raw.get("inject") or []]
    for injection in injections:
        for index in injection.vehicles or ():
            if index >= fleet.vehicles:
                raise ValueError(f"{path.name}: injection {injection.type} names vehicle {index} "
                                 f"of a {fleet.vehicles}-vehicle fleet")
    test = dict(raw.get("test") or {})
    if "duration" in test:
        test["duration_s"] = parse_duration(test.pop("duration"))
    return Scenario(
        name=path.stem, description=str(raw.get("description", "")).strip(),
        seed=int(raw.get("seed", 0)), fleet=fleet, injections=injections,
        geofences=list(raw.get("geofences") or []), thresholds=list(raw.get("thresholds") or []),
        expect=dict(raw.get("expect") or {}), test_overrides=test,
        in_make_test=bool(raw.get("in_make_test", True)),
        real_time_factor=raw.get("real_time_factor"), after_send=list(raw.get("after_send") or []),
        drain_timeout_s=parse_duration(raw.get("drain_timeout", "5m")),
        fixed_start="start" in (raw.get("fleet") or {}))
