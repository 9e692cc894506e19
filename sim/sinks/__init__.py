"""Where generated records go: Kinesis, JSON Lines or Parquet files, stdout, or nowhere.

Every sink takes whole ticks (`send(batch)`), then `close()`; `stats` counts what it did.
"""

from __future__ import annotations

from sim.sinks.base import Sink, SinkStats
from sim.sinks.files import JsonLinesSink, ParquetSink, StdoutSink
from sim.sinks.null import NullSink


def open_sink(spec: str, **options) -> Sink:
    """A sink from a short spec: "null", "stdout", "jsonl:PATH", "parquet:PATH", "kinesis"."""
    kind, _, target = spec.partition(":")
    if kind == "null":
        return NullSink()
    if kind == "stdout":
        return StdoutSink()
    if kind == "jsonl":
        return JsonLinesSink(target)
    if kind == "parquet":
        return ParquetSink(target)
    if kind == "kinesis":
        from sim.sinks.kinesis import KinesisSink

        return KinesisSink.from_environment(**options)
    raise ValueError(f"unknown sink {spec!r}")


__all__ = ["Sink", "SinkStats", "NullSink", "JsonLinesSink", "ParquetSink", "StdoutSink", "open_sink"]
