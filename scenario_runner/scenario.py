"""Scenario files (scenarios/<name>.yaml): fleet settings, injected conditions, reference data to
seed, and the expected outcomes. See scenarios/README.md for the format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scenario_runner.report_anchor import ReportDayPlacement
from sim import clock
from sim.config import SimConfig, latest_same_time_of_day, parse_duration
from sim.injections import Injection

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_KEYS = {
    "name",
    "description",
    "seed",
    "fleet",
    "inject",
    "geofences",
    "thresholds",
    "expect",
    "test",
    "in_make_test",
    "real_time_factor",
    "after_send",
    "drain_timeout",
    "anchor",
}
# "now": the period ends just before the run (a fixed start keeps its time of day); "report-day": the
# period lies on the DOT report day of the run (scenario_runner.report_anchor), for scenarios that run the report.
ANCHORS = ("now", "report-day")


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
    real_time_factor: float | None = None
    after_send: list[dict] = field(default_factory=list)  # actions once all records are sent
    drain_timeout_s: int = 300
    fixed_start: bool = False  # the file sets a start time (its time of day matters)
    # When set (epoch s): the start was moved by whole days to end before this moment (load()).
    anchored_at: float | None = None
    anchor: str = "now"  # one of ANCHORS
    report_placement: ReportDayPlacement | None = None  # set by the runner for anchor "report-day"

    def for_test(self) -> Scenario:
        """The scenario with its `test:` overrides applied (what `make test` runs)."""
        if not self.test_overrides:
            return self
        merged = {**_fleet_mapping(self.fleet), **self.test_overrides}
        copy = Scenario(**{**self.__dict__})
        copy.fleet = SimConfig.from_mapping(merged)
        copy.fixed_start = self.fixed_start or "start" in self.test_overrides
        if self.anchored_at is not None:
            copy.fleet = anchored(copy.fleet, self.anchored_at)
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


def anchored(fleet: SimConfig, now: float) -> SimConfig:
    """The fleet with its start moved by whole days to the latest one whose period ends before
    `now`: the pipeline rejects records more than 7 days behind its clock (or 5 minutes ahead), so
    a date written in a file (or the default start) would stop working a week later."""
    return fleet.replace(start=latest_same_time_of_day(fleet.start, fleet.duration_s, now))


def load(name: str, *, anchor: bool = True, now: float | None = None) -> Scenario:
    """The scenario file, its start placed relative to now (anchor=False: as the file says;
    `now` defaults to the current time). The time of day is kept; only the date moves."""
    path = scenario_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no scenario {name!r}; available: {', '.join(available())}")
    return load_path(path, anchor=anchor, now=now)


def load_path(path: Path, *, anchor: bool = True, now: float | None = None) -> Scenario:
    """`load` of a file anywhere. Content that is not a valid scenario raises ValueError naming the
    file (wrong YAML, wrong types or values anywhere in it), never another error."""
    try:
        return _parse(path, anchor=anchor, now=now)
    except ValueError:
        raise
    except (yaml.YAMLError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"{path.name}: not a valid scenario: {type(exc).__name__}: {exc}") from exc


def _parse(path: Path, *, anchor: bool, now: float | None) -> Scenario:
    raw: Any = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: a scenario is a mapping, not {type(raw).__name__}")
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
                raise ValueError(
                    f"{path.name}: injection {injection.type} names vehicle {index} of a {fleet.vehicles}-vehicle fleet"
                )
    anchor_mode = str(raw.get("anchor", "now"))
    if anchor_mode not in ANCHORS:
        raise ValueError(f"{path.name}: anchor {anchor_mode!r} is not one of {', '.join(ANCHORS)}")
    test = dict(raw.get("test") or {})
    if "duration" in test:
        test["duration_s"] = parse_duration(test.pop("duration"))
    loaded = Scenario(
        name=path.stem,
        description=str(raw.get("description", "")).strip(),
        seed=int(raw.get("seed", 0)),
        fleet=fleet,
        injections=injections,
        geofences=list(raw.get("geofences") or []),
        thresholds=list(raw.get("thresholds") or []),
        expect=dict(raw.get("expect") or {}),
        test_overrides=test,
        in_make_test=bool(raw.get("in_make_test", True)),
        real_time_factor=raw.get("real_time_factor"),
        after_send=list(raw.get("after_send") or []),
        drain_timeout_s=parse_duration(raw.get("drain_timeout", "5m")),
        fixed_start="start" in (raw.get("fleet") or {}),
        anchor=anchor_mode,
        anchored_at=None if not anchor else (clock.now() if now is None else now),
    )
    if loaded.anchored_at is not None:
        loaded.fleet = anchored(loaded.fleet, loaded.anchored_at)
    return loaded
