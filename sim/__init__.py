"""SimPy fleet simulator: identities, routes, duty schedules, physics, sinks and the scenario runner.

Public API for other parts (load testing, capacity planning):

    from sim.config import SimConfig
    from sim.fleet import Fleet
    fleet = Fleet.build(SimConfig(vehicles=234_000), seed=7, shard=(0, 4))
    for batch in fleet.batches(duration_s=600):   # one TickBatch per simulated tick
        batch.records  # list of (kind, partition_key, json_bytes)
"""
