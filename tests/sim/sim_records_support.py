"""Record helpers shared by the simulator tests (a module of its own: `conftest` is not an
importable name when several test folders each have one)."""

from __future__ import annotations

import orjson

from sim.fleet import Fleet

BUSY_START = "2026-11-23T15:00:00Z"  # mid-morning in the US: most vehicles are working


def run_records(fleet: Fleet, duration_s: int | None = None) -> list[tuple[str, str, bytes]]:
    """(kind, partition key, bytes) of every record the fleet produces, in order."""
    out = []
    for batch in fleet.batches(duration_s):
        for kind, items in batch.records.items():
            out.extend((kind, key, data) for key, data in items)
    return out


def decoded(records: list[tuple[str, str, bytes]], kind: str | None = None) -> list[dict]:
    return [orjson.loads(data) for k, _, data in records if kind is None or k == kind]
