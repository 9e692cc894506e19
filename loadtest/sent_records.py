"""What a load run sent, rebuilt from its report: the simulator is deterministic for a given
scenario, seed, fleet settings and shard layout (each shard has its own placement and duty random
streams, sim.fleet.Fleet.build), so the records are rebuilt shard by shard as the run's workers
built them (loadtest.load: shard = machine * workers + worker of machines * workers) instead of
being recorded while sending.

Contract: `rebuild(settings) -> accounting.SentRecords` for a load report's `settings` of a
simulator run; a run of the fixed filler source is a ValueError (nothing to account for). Costs
one pass of the generator over the run (about 10 s of one core per million records).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from loadtest.accounting import SentRecords
from loadtest.source import make_source
from sim.config import parse_utc


def rebuild(settings: dict[str, Any]) -> SentRecords:
    if settings.get("source", "simulator") != "simulator":
        raise ValueError(f"only a simulator run can be accounted for, not the {settings.get('source')!r} source")
    fleet = dict(settings["fleet_settings"])
    machine, _machines = settings["shard"]
    workers, total = int(settings["workers"]), int(settings["total_shards"])
    duration_s = int(settings["duration"])
    sent = SentRecords(
        start_ms=parse_utc(fleet["start"]) * 1000, duration_s=duration_s, vehicles=int(fleet["vehicles"])
    )
    last_fix: dict[str, bytes] = {}
    for worker in range(workers):
        source = make_source(
            "simulator",
            scenario=settings["scenario"],
            overrides=fleet,
            seed=settings.get("seed"),
            shard=(machine * workers + worker, total),
        )
        for batch in source.batches(duration_s):
            for kind, items in batch.records.items():
                if items:
                    sent.per_second.setdefault(kind, Counter())[batch.t] += len(items)
            for vehicle_id, data in batch.records.get("gps", ()):
                last_fix[vehicle_id] = data
            for _key, data in batch.records.get("hos", ()):
                record = orjson.loads(data)
                sent.hos_keys.add((record["driver_id"], _ts_ms(record)))
    for vehicle_id, data in last_fix.items():
        sent.last_fix_ms[vehicle_id] = _ts_ms(orjson.loads(data))
    return sent


def _ts_ms(record: dict[str, Any]) -> int:
    from handlers.domain.telemetry import iso_to_epoch_ms

    return record["ts_ms"] if "ts_ms" in record else iso_to_epoch_ms(record["ts"])
