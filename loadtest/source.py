"""Where a load worker's records come from.

The load tool never generates telemetry itself: it drives the simulator (`sim.fleet.Fleet`) for
one shard of the fleet. `FixedRecordSource` exists only so the orchestration can be tested in
seconds without the simulator; it repeats one contract-shaped record per vehicle and interval and
makes no attempt at realism (it is opt-in: `--source fixed`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

FIXED_START_EPOCH_S = 1_795_392_000  # 2026-11-23T00:00:00Z, the simulator's default start


class TickLike(Protocol):
    """What the simulator's `fleet.TickBatch` offers: `t` simulated seconds since the start and
    `records` kind -> [(partition key, JSON bytes)]; the simulator's sinks take it as is."""

    t: int
    records: dict[str, list[tuple[str, bytes]]]


class RecordSource(Protocol):
    def batches(self, duration_s: int) -> Iterator[TickLike]: ...


def simulator_source(
    scenario: str, overrides: dict[str, Any], seed: int | None, shard: tuple[int, int]
) -> RecordSource:
    """The scenario's fleet (settings, seed, injected conditions) with `overrides` applied, one shard."""
    from scenario_runner.scenario import load
    from sim.config import SimConfig
    from sim.fleet import Fleet

    loaded = load(scenario)
    config = SimConfig.from_mapping({**loaded.fleet.__dict__, **overrides})
    return Fleet.build(config, seed=loaded.seed if seed is None else seed, shard=shard, injections=loaded.injections)


@dataclass
class FixedTick:
    t: int
    records: dict[str, list[tuple[str, bytes]]]


class FixedRecordSource:
    """Test double: GPS every 30 s and diagnostics every 60 s per vehicle, spread over the interval."""

    def __init__(self, vehicles: int, shard: tuple[int, int] = (0, 1), record_bytes: int = 300) -> None:
        index, count = shard
        self.vehicle_ids = [v for v in range(vehicles) if v % count == index]
        self.record_bytes = record_bytes

    def _record(self, kind: str, vehicle: int, second: int) -> tuple[str, bytes]:
        vehicle_id = f"VH-{vehicle:06d}"
        ts = dt.datetime.fromtimestamp(FIXED_START_EPOCH_S + second, dt.UTC)
        body = {
            "schema": "fleettap.telemetry/1",
            "kind": kind,
            "record_id": f"{vehicle_id}-{kind}-{second}",
            "vehicle_id": vehicle_id,
            "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "pad": "",
        }
        body["pad"] = "x" * max(0, self.record_bytes - len(json.dumps(body)))
        return vehicle_id, json.dumps(body).encode()

    def batches(self, duration_s: int) -> Iterator[FixedTick]:
        for second in range(int(duration_s)):
            yield FixedTick(
                second,
                {
                    "gps": [self._record("gps", v, second) for v in self.vehicle_ids if v % 30 == second % 30],
                    "diagnostics": [
                        self._record("diagnostics", v, second) for v in self.vehicle_ids if v % 60 == second % 60
                    ],
                    "hos": [],
                },
            )


def make_source(
    kind: str, *, scenario: str, overrides: dict[str, Any], seed: int | None, shard: tuple[int, int]
) -> RecordSource:
    if kind == "simulator":
        return simulator_source(scenario, overrides, seed, shard)
    if kind == "fixed":
        return FixedRecordSource(int(overrides.get("vehicles", 100)), shard)
    raise ValueError(f"unknown record source {kind!r}")
