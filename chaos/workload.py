"""The records of a run: the scenario's simulated fleet, tick by tick, as PutRecords-sized
`Outgoing` calls that the fault may change on their way, and what was sent."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from chaos.accounting import SentRecord
from chaos.config import ChaosConfig
from chaos.faults.base import Outgoing


def scenario(config: ChaosConfig, now: float):
    """The scenario, placed so its simulated period ends now (as `make sim` places it)."""
    from scenario_runner.run import RunOptions, prepare

    return prepare(
        config.scenario,
        RunOptions(duration_s=config.duration_s, seed=config.seed, test_size=config.test_size, now=now),
    )


def record_id(data: bytes) -> str | None:
    try:
        return orjson.loads(data).get("record_id")
    except (orjson.JSONDecodeError, AttributeError):
        return None


def outgoing(fleet, real_time_factor: float | None = None) -> Iterator[Outgoing]:
    """One `Outgoing` per kind per tick, the records as the simulator made them, paced at
    `real_time_factor` simulated seconds per wall second (None: as fast as possible)."""
    from sim.pacing import paced

    for batch in paced(fleet.batches(), real_time_factor):
        for kind, items in batch.records.items():
            if items:
                yield Outgoing(
                    kind, list(items), [SentRecord(kind, data, record_id(data)) for _, data in items], batch.t
                )
