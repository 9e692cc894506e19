"""SimPy fleet simulator library: identities, routes, duty schedules, physics, injections, records,
pacing, sinks and replay. It imports nothing from harness/ and knows no local stack: AWS sinks use
the endpoint they are given, else AWS_ENDPOINT_URL (tests/test_import_rules.py holds it to that).

Public API for other parts (scenario_runner, loadtest, capacity_planner, harness.model):

    from sim.config import SimConfig
    from sim.fleet import Fleet
    fleet = Fleet.build(SimConfig(vehicles=234_000), seed=7, shard=(0, 4))
    for batch in fleet.batches(duration_s=600):   # one TickBatch per simulated tick
        batch.records  # list of (kind, partition_key, json_bytes)
"""
