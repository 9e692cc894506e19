"""Average Kinesis record size per stream, measured on the simulator's own records.

Kinesis bills data + partition key against the shard limits, so both are counted. A busy hour
(mid-morning US central, most trucks driving, DTCs possible) is sampled so the size is the one the
streams carry at peak.
"""

from __future__ import annotations

from collections import Counter

BUSY_START = "2026-11-23T15:00:00Z"


def measured_record_bytes(vehicles: int = 2_000, duration_s: int = 120, seed: int = 1) -> dict[str, int]:
    """kind -> mean bytes (rounded up) over `duration_s` simulated seconds of `vehicles` vehicles."""
    from sim.config import SimConfig
    from sim.fleet import Fleet

    fleet = Fleet.build(SimConfig(vehicles=vehicles, start=BUSY_START), seed=seed)
    counts: Counter = Counter()
    sizes: Counter = Counter()
    for batch in fleet.batches(duration_s):
        for kind, items in batch.records.items():
            counts[kind] += len(items)
            sizes[kind] += sum(len(key) + len(data) for key, data in items)
    return {kind: -(-sizes[kind] // counts[kind]) for kind in counts if counts[kind]}
