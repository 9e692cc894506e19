"""The generator's output for fixed seeds, pinned as digests.

`test_sim_records` checks that one seed gives the same bytes twice in one process; these digests
check that the bytes stay the same across changes to the generator (speed-ups of the hot path must
not change a single record). The digests were computed on main at cbf1fad, before the generator
optimizations of issue #19. A deliberate change to the records (a new field, a different model)
changes them: recompute with `python -m tests.sim.test_sim_pinned_output` and say why in the commit.
"""

from __future__ import annotations

import hashlib

from sim.config import SimConfig
from sim.fleet import Fleet
from sim.injections import Injection
from tests.sim.sim_records_support import BUSY_START

INJECTIONS = (
    {"type": "cooling_failure", "vehicles": [1], "ramp": "10m"},
    {"type": "dtc_storm", "vehicles": [2], "ramp": 0},
    {"type": "battery_decline", "vehicles": [3], "ramp": "5m"},
    {"type": "injector_wear", "vehicles": [4], "ramp": "20m"},
    {"type": "excess_idle", "vehicles": [5]},
    {"type": "aggressive_driving", "vehicles": [6]},
    {"type": "route", "vehicles": [7], "waypoints": [[32.7767, -96.7970], [32.7555, -97.3308]]},
)

# name -> (config, seed, expected (records, sha256 of every tick's t and records in order))
CASES = {
    "busy_with_faults": (
        SimConfig(vehicles=300, duration_s=2400, start=BUSY_START),
        7,
        (37307, "3eb0f00ade4cda4c45c2f0a5b61469a69f4e0677ff92cbcbacf0fc6bd5cbe8fb"),
    ),
    "midnight_with_history": (
        SimConfig(vehicles=120, duration_s=1800, history_days=2, fleets=3),
        3,
        (10866, "4c626f0bd0620c83e982285f2b863e7d2e9fbf494f44176b3ffc3463a444e788"),
    ),
}


def output_digest(config: SimConfig, seed: int) -> tuple[int, str]:
    """(record count, sha256) over every tick's time and every record's kind, key and bytes."""
    fleet = Fleet.build(config, seed=seed, injections=[Injection.from_mapping(item) for item in INJECTIONS])
    digest = hashlib.sha256()
    count = 0
    for batch in fleet.batches():
        digest.update(f"t={batch.t} epoch={batch.epoch_s}\n".encode())
        for kind, items in batch.records.items():
            for key, data in items:
                digest.update(f"{kind} {key} ".encode() + data + b"\n")
                count += 1
    return count, digest.hexdigest()


def test_busy_fleet_with_faults_gives_the_pinned_bytes():
    config, seed, expected = CASES["busy_with_faults"]
    assert output_digest(config, seed) == expected


def test_fleet_with_history_gives_the_pinned_bytes():
    config, seed, expected = CASES["midnight_with_history"]
    assert output_digest(config, seed) == expected


if __name__ == "__main__":
    for name, (config, seed, _) in CASES.items():
        print(name, output_digest(config, seed))
