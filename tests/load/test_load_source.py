"""Worker record sources: the simulator's scenario fleet split into disjoint shards."""

import orjson

from loadtest.source import FixedRecordSource, make_source


def _vehicles(source, seconds=60):
    seen = set()
    for batch in source.batches(seconds):
        for kind, items in batch.records.items():
            for key, data in items:
                body = orjson.loads(data)
                assert body["kind"] == kind and body["vehicle_id"] == key
                seen.add(key)
    return seen


def test_scenario_shards_are_disjoint_and_cover_the_fleet():
    overrides = {"vehicles": 40}
    shards = [
        make_source("simulator", scenario="fleet-234k", overrides=overrides, seed=None, shard=(i, 2)) for i in range(2)
    ]
    first, second = (_vehicles(s) for s in shards)
    assert first and second and not first & second
    assert len(first | second) == 40


def test_fixed_source_spreads_vehicles_over_the_interval():
    ticks = list(FixedRecordSource(60).batches(60))
    assert sum(len(t.records["gps"]) for t in ticks) == 120  # every 30 s
    assert sum(len(t.records["diagnostics"]) for t in ticks) == 60  # every 60 s
    assert max(len(t.records["gps"]) for t in ticks) == 2
