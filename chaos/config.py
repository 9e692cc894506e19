"""What one fault-suite run does: the workload, the faults and their timing, all seeded."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class ChaosConfig:
    """One `make chaos` (or test) invocation.

    The workload is a scenario of `scenarios/` streamed by the simulator (`sim/`), paced so that
    sending takes `send_span_s` wall seconds: long enough for service faults to land while records
    are in flight. Every run of the suite streams the same records (same seed), so a fault-free
    baseline run gives the side effects the records must produce exactly once.
    """

    faults: tuple[str, ...]  # names from chaos.faults.CATALOG (a name with "+" mixes faults)
    scenario: str = "engine-overheat"
    test_size: bool = True  # the scenario's `test:` size
    duration_s: int | None = None  # simulated duration override
    seed: int = 18
    env: str = "dev"
    send_span_s: float = 30.0  # wall seconds the sending takes
    fault_from: float = 0.25  # service faults start when the workload reaches this share of its time
    fault_to: float = 0.7  # ... and are healed when it reaches this share (always before the drain)
    fault_hold_s: float = 15.0  # ... but not sooner than this long after they started
    quiet_s: float = 12.0  # the pipeline counts as settled after this long without change
    drain_timeout_s: float = 300.0
    throttle_rate: float = 0.2  # emulator faults: share of matching calls refused
    poison_per_kind: int = 2  # poison records of each sort, per stream
    duplicate_share: float = 0.2  # delivery faults: share of batches sent twice / records held back
    late_days: float = 8.0  # "late" HOS copies are this many days old (beyond 7 d: a DLQ with TS_TOO_OLD)
    options: dict = field(default_factory=dict)  # per-fault extras, e.g. {"api_delay_s": 40}

    def with_faults(self, *faults: str) -> ChaosConfig:
        return replace(self, faults=tuple(faults))


BASELINE = "baseline"
