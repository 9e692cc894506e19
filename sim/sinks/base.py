"""The sink interface and its counters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SinkStats:
    records: int = 0
    bytes: int = 0
    by_kind: dict = field(default_factory=dict)
    requests: int = 0
    throttled: int = 0  # records refused with a throughput error (then retried)
    retries: int = 0  # requests re-sent with only the failed records
    failed: int = 0  # records given up on after the last attempt

    def count(self, kind: str, items: list) -> None:
        self.records += len(items)
        self.bytes += sum(len(data) for _, data in items)
        self.by_kind[kind] = self.by_kind.get(kind, 0) + len(items)


class Sink:
    def __init__(self) -> None:
        self.stats = SinkStats()

    def send(self, batch) -> None:
        """Deliver one tick's records (fleet.TickBatch)."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
