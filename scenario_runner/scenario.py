"""Scenario files (scenarios/<name>.yaml): fleet settings, injected conditions, reference data to
seed, and the expected outcomes. See scenarios/README.md for the format."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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


class UnknownScenario(LookupError):
    """No scenario file of that name; the message lists the ones there are."""


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the field."""


def _field(path: Path, name: str, build: Callable[[], Any]) -> Any:
    """build(), with any error it raises re-raised as a ScenarioError naming the file and field."""
    try:
        return build()
    except ScenarioError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ScenarioError(f"{path.name}: {name}: {error}") from None


def _typed_fleet(values: Any) -> SimConfig:
    if values is not None and not isinstance(values, dict):
        raise TypeError(f"a mapping of fleet settings, not {type(values).__name__}")
    config = SimConfig.from_mapping(values)
    for setting in dataclasses.fields(SimConfig):
        value = getattr(config, setting.name)
        default = getattr(SimConfig(), setting.name)
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise TypeError(f"{setting.name} must be {expected.__name__}, not {value!r}")
    config.start_epoch_s  # noqa: B018 (a malformed start fails here, named)
    return config


def _mapping_list(values: Any, what: str) -> list:
    if values is None:
        return []
    if not isinstance(values, list):
        raise TypeError(f"a list of {what}, not {type(values).__name__}")
    return values


def load(name: str, *, anchor: bool = True, now: float | None = None) -> Scenario:
    """The scenario file, its start placed relative to now (anchor=False: as the file says;
    `now` defaults to the current time). The time of day is kept; only the date moves.
    Raises UnknownScenario (with the names there are) or ScenarioError (naming the field)."""
    path = scenario_path(name)
    if not path.exists():
        raise UnknownScenario(f"no scenario {name!r}; available: {', '.join(available())}")
    return load_path(path, anchor=anchor, now=now)


def load_path(path: Path, *, anchor: bool = True, now: float | None = None) -> Scenario:
    """`load` of a file anywhere. Content that is not a valid scenario raises ScenarioError (a
    ValueError) naming the file and, where it can, the field; never another error."""
    try:
        return _parse(path, anchor=anchor, now=now)
    except ValueError:
        raise
    except (yaml.YAMLError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise ScenarioError(f"{path.name}: not a valid scenario: {type(exc).__name__}: {exc}") from exc


def _parse(path: Path, *, anchor: bool, now: float | None) -> Scenario:
    try:
        raw: Any = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path.name}: a mapping of scenario fields, not {type(raw).__name__}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ScenarioError(f"{path.name}: unknown keys {unknown}; known: {', '.join(sorted(_KEYS))}")
    if raw.get("name", path.stem) != path.stem:
        raise ScenarioError(f"{path.name}: name: {raw.get('name')!r} differs from the file name")
    fleet = _field(path, "fleet", lambda: _typed_fleet(raw.get("fleet")))
    injections = [
        _field(path, f"inject[{index}]", lambda item=item: Injection.from_mapping(item))
        for index, item in enumerate(_field(path, "inject", lambda: _mapping_list(raw.get("inject"), "injections")))
    ]
    for index, injection in enumerate(injections):
        for vehicle in injection.vehicles or ():
            if vehicle >= fleet.vehicles:
                raise ScenarioError(
                    f"{path.name}: inject[{index}].vehicles: {injection.type} names vehicle {vehicle} "
                    f"of a {fleet.vehicles}-vehicle fleet"
                )
    anchor_mode = str(raw.get("anchor", "now"))
    if anchor_mode not in ANCHORS:
        raise ScenarioError(f"{path.name}: anchor: {anchor_mode!r} is not one of {', '.join(ANCHORS)}")
    test = dict(_field(path, "test", lambda: dict(raw.get("test") or {})))
    if "duration" in test:
        test["duration_s"] = _field(path, "test.duration", lambda: parse_duration(test.pop("duration")))
    rate = raw.get("real_time_factor")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
        raise ScenarioError(f"{path.name}: real_time_factor: a positive number, not {rate!r}")
    loaded = Scenario(
        name=path.stem,
        description=str(raw.get("description", "")).strip(),
        seed=_field(path, "seed", lambda: int(raw.get("seed", 0))),
        fleet=fleet,
        injections=injections,
        geofences=_field(path, "geofences", lambda: list(_mapping_list(raw.get("geofences"), "geofences"))),
        thresholds=_field(path, "thresholds", lambda: list(_mapping_list(raw.get("thresholds"), "thresholds"))),
        expect=_field(path, "expect", lambda: dict(raw.get("expect") or {})),
        test_overrides=test,
        in_make_test=bool(raw.get("in_make_test", True)),
        real_time_factor=rate,
        after_send=_field(path, "after_send", lambda: list(_mapping_list(raw.get("after_send"), "actions"))),
        drain_timeout_s=_field(path, "drain_timeout", lambda: parse_duration(raw.get("drain_timeout", "5m"))),
        fixed_start="start" in (raw.get("fleet") or {}),
        anchor=anchor_mode,
        anchored_at=None if not anchor else (clock.now() if now is None else now),
    )
    if loaded.anchored_at is not None:
        loaded.fleet = anchored(loaded.fleet, loaded.anchored_at)
    return loaded
