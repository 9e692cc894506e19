"""A sink that only counts: for measuring the generator itself."""

from __future__ import annotations

from sim.sinks.base import Sink


class NullSink(Sink):
    def send(self, batch) -> None:
        stats = self.stats
        for kind, items in batch.records.items():
            if items:
                stats.records += len(items)
                stats.by_kind[kind] = stats.by_kind.get(kind, 0) + len(items)
