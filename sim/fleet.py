"""The SimPy fleet: one reporter process per telemetry phase group, one duty process per driver.

Vehicles report GPS every `gps_interval_s` and diagnostics every `diagnostics_interval_s`,
spread evenly over the interval by index (vehicle i reports at second i % interval), so each
reporter process wakes for a whole group and builds its records in one loop. Drivers change duty
status on their schedule; each change is an HOS record and switches the vehicle's motion.

`Fleet.batches()` runs the simulation tick by tick and yields every tick's encoded records.
"""

from __future__ import annotations

import dataclasses
import gc
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson
import simpy

from handlers.domain.validation import DEFAULT_MAX_AGE_S
from sim import physics
from sim.catalog import CLASSES
from sim.config import SimConfig, parse_duration
from sim.duty import DAY, ENGINE_ON_ACTIVITIES, Segment, compliant_schedule, planned_schedule, shift_start_s
from sim.geography import CITY_BY_NAME, offset_point
from sim.identities import NamePool, build_vehicle, utc_offset_s
from sim.injections import Injection
from sim.physics import VehicleState, advance, set_activity
from sim.records import RecordPrefixes, hos_record, second_prefix
from sim.rounding import round1, round2, round5
from sim.routes import waypoint

KINDS = ("gps", "diagnostics", "hos")
DEPOT_SPREAD_KM = 3.0
MAX_BACKFILL_AGE_S = DEFAULT_MAX_AGE_S - 2 * 3600  # margin for the time a run takes to send and drain
_dumps = orjson.dumps
YOUNG_GENERATION = 100_000  # gc threshold 0 during a run (the default is 700)
NO_DTCS = ()  # serialised as [] like an empty list, without a new list per record


@dataclass
class TickBatch:
    """The records of one simulated tick: kind -> [(partition key, JSON bytes)]."""

    t: int  # simulated seconds since the start
    epoch_s: int
    records: dict = field(default_factory=lambda: {kind: [] for kind in KINDS})

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.records.values())

    @property
    def bytes(self) -> int:
        return sum(len(data) for items in self.records.values() for _, data in items)


class Fleet:
    def __init__(
        self,
        config: SimConfig,
        seed: int,
        shard: tuple[int, int],
        states: list[VehicleState],
        schedules: list[Iterator[Segment]],
        backfill: list[bool],
    ) -> None:
        self.config = config
        self.seed = seed
        self.shard = shard
        self.states = states
        self.start_epoch_s = config.start_epoch_s
        self.rng = random.Random(f"{seed}/run/{shard[0]}/{shard[1]}")
        self.env = simpy.Environment()
        self._pending = TickBatch(0, self.start_epoch_s)
        self._ts_cache = (-1, "")
        self._start_processes(schedules, backfill)

    # ---- building -------------------------------------------------------------------------
    @classmethod
    def build(
        cls, config: SimConfig, seed: int = 0, shard: tuple[int, int] = (0, 1), injections: Iterable[Injection] = ()
    ) -> Fleet:
        """Build the vehicles with global index i where i % shard[1] == shard[0]."""
        shard_index, shard_count = shard
        if not 0 <= shard_index < shard_count:
            raise ValueError(f"bad shard {shard}")
        injections = list(injections)
        names = NamePool(seed)
        identity_rng = random.Random()
        placement_rng = random.Random(f"{seed}/place/{shard_index}/{shard_count}")
        schedule_rng = random.Random(f"{seed}/duty/{shard_index}/{shard_count}")
        states, schedules, backfill = [], [], []
        for index in range(shard_index, config.vehicles, shard_count):
            vehicle = build_vehicle(
                index,
                seed,
                names,
                fleets=config.fleets,
                mix=config.vehicle_mix,
                cycle_60_7_share=config.cycle_60_7_share,
                rng=identity_rng,
            )
            mine = [injection for injection in injections if injection.selects(index)]
            vehicle = _with_cycle_override(vehicle, mine)
            terminal = CITY_BY_NAME[vehicle.home_terminal]
            lat, lon = offset_point(
                terminal.lat,
                terminal.lon,
                placement_rng.uniform(-1, 1) * DEPOT_SPREAD_KM,
                placement_rng.uniform(-1, 1) * DEPOT_SPREAD_KM,
            )
            state = VehicleState(vehicle, CLASSES[vehicle.vehicle_type], lat, lon, placement_rng)
            state.prefixes = RecordPrefixes(vehicle)
            schedule, has_history = _schedule_for(state, mine, config, schedule_rng)
            _apply_injections(state, mine)
            states.append(state)
            schedules.append(schedule)
            backfill.append(has_history or config.history_days > 0)
        return cls(config, seed, shard, states, schedules, backfill)

    def _start_processes(self, schedules: list[Iterator[Segment]], backfill: list[bool]) -> None:
        config, env = self.config, self.env
        for interval, report in (
            (config.gps_interval_s, self._report_gps),
            (config.diagnostics_interval_s, self._report_diagnostics),
        ):
            groups: dict[int, list[VehicleState]] = {}
            for state in self.states:
                groups.setdefault(state.vehicle.index % interval, []).append(state)
            for phase in sorted(groups):
                env.process(reporter(env, groups[phase], phase, interval, report))
        history_from = -self.config.history_days * DAY
        for state, schedule, emit_past in zip(self.states, schedules, backfill):
            upcoming = self._settle_past(state, schedule, emit_past, history_from)
            env.process(driver(env, self, state, upcoming))

    def _settle_past(
        self, state: VehicleState, schedule: Iterator[Segment], emit_past: bool, history_from: int
    ) -> Iterator[Segment]:
        """Replay the segments before t=0 and return the rest of the schedule.

        With history, past segments inside the history window are emitted (a log backfill);
        otherwise, if asked, the log since the last rest (the ELD's sync of the current duty
        period), so a consumer sees the rest that opened the driver's current period."""
        current: Segment | None = None
        since_rest: list[Segment] = []
        # A backfill never reaches past the pipeline's 7-day window (it rejects older records; the
        # period ends about now). A rest in effect at that edge is logged at the edge, so the log
        # still opens with the off-duty time that precedes the first shift.
        oldest_s = min(0, self.config.duration_s - MAX_BACKFILL_AGE_S)
        rest_at_edge: Segment | None = None
        for segment in schedule:
            if segment.start_s >= 0:
                break
            current = segment
            since_rest = [segment] if segment.activity == "rest" else since_rest + [segment]
            if emit_past and (segment.start_s >= history_from or self.config.history_days == 0):
                if segment.start_s < oldest_s:
                    rest_at_edge = segment if segment.status in ("OFF", "SB") else None
                    continue
                if rest_at_edge is not None and segment.start_s > oldest_s:
                    self._emit_hos(state, oldest_s, rest_at_edge.status)
                rest_at_edge = None
                self._emit_hos(state, segment.start_s, segment.status)
        else:
            return iter(())
        if rest_at_edge is not None:
            self._emit_hos(state, oldest_s, rest_at_edge.status)
        if current is not None:
            set_activity(state, current.status, current.activity, current.activity in ENGINE_ON_ACTIVITIES)
        if not emit_past and self.config.emit_initial_status:
            for past in since_rest:
                self._emit_hos(state, past.start_s, past.status)
            if not since_rest:
                self._emit_hos(state, 0, state.status)

        def rest() -> Iterator[Segment]:
            yield segment
            yield from schedule

        return rest()

    # ---- running --------------------------------------------------------------------------
    def batches(self, duration_s: int | None = None) -> Iterator[TickBatch]:
        """Advance the simulation tick by tick, yielding each tick's records (may be empty).

        Can be called again to continue where the previous call stopped."""
        duration_s = self.config.duration_s if duration_s is None else duration_s
        tick = self.config.tick_s
        begin = int(self.env.now)
        # The fleet's objects (vehicle states, schedules, simpy processes: millions at 234,000
        # vehicles) live for the whole run; each full collection walked all of them while the
        # records, which are what the collector is for, are freed by reference counting. Freezing
        # what exists now takes them out of every later collection: 25 % less CPU per simulated
        # second at 30,000 vehicles (docs/benchmarks.md, "Generator: garbage collection"). They are
        # unfrozen when the run ends, so a process that builds many fleets (tests) can free them.
        # A tick's records (one tracked tuple each, thousands per tick) outlive the default young
        # generation (700 objects), so each was walked once by a young collection before the sink
        # dropped it; a young generation larger than a tick's records lets most die unwalked.
        # The run makes no reference cycles (none found after 600 simulated s at 30,000 vehicles),
        # so collecting less often costs it no memory; a consumer that makes cyclic garbage between
        # ticks (a boto3 sink) has it collected after 100,000 new objects instead of 700.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(thresholds[0], YOUNG_GENERATION), *thresholds[1:])
        try:
            for t in range(begin, begin + duration_s, tick):
                self.env.run(until=t + tick)
                batch, self._pending = self._pending, TickBatch(t + tick, self.start_epoch_s + t + tick)
                batch.t, batch.epoch_s = t, self.start_epoch_s + t
                yield batch
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()

    # ---- record building (hot path) -------------------------------------------------------
    def _ts_prefix(self, now: int) -> str:
        cached_now, prefix = self._ts_cache
        if cached_now != now:
            prefix = second_prefix(self.start_epoch_s + now)
            self._ts_cache = (now, prefix)
        return prefix

    def _report_gps(self, group: list[VehicleState], now: int) -> None:
        ts_prefix = self._ts_prefix(now)
        base_ms = (self.start_epoch_s + now) * 1000
        out = self._pending.records["gps"].append
        rng = self.rng
        for state in group:
            advance(state, now, rng)
            prefixes = state.prefixes
            vehicle_id = prefixes.vehicle_id
            out(
                (
                    vehicle_id,
                    prefixes.gps
                    + _dumps(
                        {
                            "record_id": f"{vehicle_id}-g-{base_ms + prefixes.ms}",
                            "ts": ts_prefix + prefixes.ts_suffix,
                            "lat": round5(state.lat),
                            "lon": round5(state.lon),
                            "speed_kph": round1(state.speed),
                            "heading_deg": state.heading,
                        }
                    )[1:],
                )
            )

    def _report_diagnostics(self, group: list[VehicleState], now: int) -> None:
        ts_prefix = self._ts_prefix(now)
        base_ms = (self.start_epoch_s + now) * 1000
        out = self._pending.records["diagnostics"].append
        rng = self.rng
        for state in group:
            advance(state, now, rng)
            prefixes = state.prefixes
            vehicle_id = prefixes.vehicle_id
            dtcs = physics.trouble_codes(state, now) if state.conditions else NO_DTCS
            out(
                (
                    vehicle_id,
                    prefixes.diagnostics
                    + _dumps(
                        {
                            "record_id": f"{vehicle_id}-d-{base_ms + prefixes.ms}",
                            "ts": ts_prefix + prefixes.ts_suffix,
                            "signals": {
                                "engine_rpm": round(state.rpm),
                                "coolant_temp_c": round(state.coolant_c),  # 1 degC/bit (SPN 110, PID 05)
                                "fuel_level_pct": round1(state.fuel_l * 100.0 / state.vclass.tank_l),
                                "vehicle_speed_kph": round1(state.speed),
                                "engine_load_pct": round1(state.load),
                                "throttle_pct": round1(state.throttle),
                                "battery_v": round(state.battery_v * 20) / 20,  # 0.05 V/bit (SPN 168)
                                "odometer_km": round2(state.odometer_km),
                                "engine_hours": round2(state.engine_hours),
                                "fuel_used_l": round1(state.fuel_used_l),
                                "fuel_rate_lph": round2(state.fuel_rate),
                            },
                            "dtcs": dtcs,
                        }
                    )[1:],
                )
            )

    def change_duty(self, state: VehicleState, segment: Segment) -> None:
        now = self.env.now
        advance(state, now, self.rng)  # finish the old activity up to the change
        previous = state.status
        set_activity(state, segment.status, segment.activity, segment.activity in ENGINE_ON_ACTIVITIES)
        if segment.status != previous:
            self._emit_hos(state, now, segment.status)

    def _emit_hos(self, state: VehicleState, at_s: int, status: str) -> None:
        prefixes = state.prefixes
        epoch_ms = (self.start_epoch_s + at_s) * 1000 + prefixes.ms
        self._pending.records["hos"].append(
            (prefixes.vehicle_id, hos_record(prefixes, epoch_ms, status, state.lat, state.lon, state.odometer_km))
        )


# ---- SimPy actors ---------------------------------------------------------------------------
def reporter(
    env: simpy.Environment, group: list[VehicleState], phase: int, interval: int, report
) -> Iterator[simpy.Event]:
    """A telemetry phase group: every `interval` seconds, each vehicle in it sends a record."""
    if phase:
        yield env.timeout(phase)
    while True:
        report(group, env.now)
        yield env.timeout(interval)


def driver(
    env: simpy.Environment, fleet: Fleet, state: VehicleState, schedule: Iterator[Segment]
) -> Iterator[simpy.Event]:
    """A driver working through a duty schedule."""
    for segment in schedule:
        wait = segment.start_s - env.now
        if wait > 0:
            yield env.timeout(wait)
        fleet.change_duty(state, segment)


# ---- build helpers --------------------------------------------------------------------------
def _schedule_for(
    state: VehicleState, injections: list[Injection], config: SimConfig, rng: random.Random
) -> tuple[Iterator[Segment], bool]:
    """The driver's duty schedule and whether it carries its own history to backfill."""
    driver_ = state.vehicle.driver
    start = config.start_epoch_s
    offset = utc_offset_s(driver_.time_zone, start)
    for injection in injections:
        if injection.type == "hos_pattern":
            days = injection.pattern_days()
            if "at" in injection.params:  # the breaking day starts this long after the start
                day_start = parse_duration(injection.params["at"])
            else:  # or at a local hour on the first day
                day_start = shift_start_s(0, float(injection.params.get("local_hour", 6.0)), offset, start)
            first_start = day_start - (len(days) - 1) * DAY
            return planned_schedule(days, first_start), len(days) > 1
        if injection.type == "duty_plan":
            return _explicit_plan(injection), False
    first_day = -config.history_days - 1
    return compliant_schedule(rng, state.profile, first_day, offset, start), False


def _explicit_plan(injection: Injection) -> Iterator[Segment]:
    at = parse_duration(injection.params.get("at", 0))
    yield Segment(at - DAY, "OFF", "rest")
    for status, activity, duration in injection.duty_plan():
        yield Segment(at, status, activity)
        at += duration
    yield Segment(at, "OFF", "rest")


def _apply_injections(state: VehicleState, injections: list[Injection]) -> None:
    for injection in injections:
        if injection.type == "route":
            points = [waypoint(value) for value in injection.params["waypoints"]]
            state.lat, state.lon = points[0]
            state.route = points[1:]
        elif injection.type == "excess_idle":
            state.idle_when_stopped = True
        elif injection.type == "aggressive_driving":
            state.aggressive = True
        elif injection.type not in ("hos_pattern", "duty_plan", "ruleset"):
            state.conditions.append(injection.condition())


def _with_cycle_override(vehicle, injections: list[Injection]):
    """The driver's rule set and cycle as the scenario sets them (a `ruleset` injection wins)."""
    for injection in injections:
        if injection.type == "ruleset":
            ruleset, cycle = injection.ruleset()
            return dataclasses.replace(
                vehicle, driver=dataclasses.replace(vehicle.driver, ruleset=ruleset, cycle=cycle)
            )
    for injection in injections:
        cycle = injection.params.get("cycle")
        if injection.type == "hos_pattern" and injection.params.get("pattern") == "CYCLE_70_8":
            cycle = cycle or "70/8"
        if cycle:
            return dataclasses.replace(vehicle, driver=dataclasses.replace(vehicle.driver, cycle=cycle))
    return vehicle
