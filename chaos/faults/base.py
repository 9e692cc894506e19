"""The shape of a fault: what it does to the stream and to the running services.

A fault may change the records on their way to Kinesis (`transform`: duplicate, reorder, hold back,
add poison) and act on the stack while they flow (`inject` once the workload reaches `fault_from`
of its simulated time, `heal` once it reaches `fault_to` and at least `fault_hold_s` later, always
before the drain). Both default to doing nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from chaos.accounting import SentRecord
from chaos.config import ChaosConfig


@dataclass
class Outgoing:
    """One PutRecords worth of records of one kind: (partition key, bytes) pairs, and what each is."""

    kind: str
    items: list[tuple[str, bytes]]
    records: list[SentRecord]
    t: int = 0  # the simulated second of the tick it came from (0 for records a fault adds at the end)


@dataclass
class FaultContext:
    config: ChaosConfig
    rng: random.Random
    stack: object  # harness.config.StackInfo of the running stack
    state_dir: object  # its state directory (pathlib.Path)
    notes: list[str] = field(default_factory=list)


class Fault:
    """A fault that does nothing; subclasses override what they need."""

    name = "none"
    description = ""
    # True for faults on what the records cause (publishes, the external API): they start when the
    # first side effect is seen and hold `fault_hold_s`, even past the end of the sending.
    follows_effects = False

    def transform(self, batches: Iterator[Outgoing], ctx: FaultContext) -> Iterator[Outgoing]:
        return batches

    def inject(self, ctx: FaultContext) -> None:
        pass

    def heal(self, ctx: FaultContext) -> None:
        pass

    @property
    def acts_on_services(self) -> bool:
        return type(self).inject is not Fault.inject


class Mixed(Fault):
    """Several faults at once: transforms chained, injections started and healed together."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        self.name = "+".join(fault.name for fault in faults)
        self.follows_effects = all(fault.follows_effects for fault in faults)
        self.description = "; ".join(fault.description for fault in faults)

    def transform(self, batches: Iterator[Outgoing], ctx: FaultContext) -> Iterator[Outgoing]:
        for fault in self.faults:
            batches = fault.transform(batches, ctx)
        return batches

    def inject(self, ctx: FaultContext) -> None:
        for fault in self.faults:
            fault.inject(ctx)

    def heal(self, ctx: FaultContext) -> None:
        for fault in reversed(self.faults):
            fault.heal(ctx)
