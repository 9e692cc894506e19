"""Replay a recorded run (JSON Lines, optionally .gz, or Parquet) into a sink, by default the
deployed Kinesis streams: `python -m sim.replay FILE [--sink kinesis|stdout|null] [--endpoint-url URL]`.
The endpoint is --endpoint-url, else AWS_ENDPOINT_URL, else AWS itself (`make replay` passes the
local stack's).

Records are re-sent byte for byte with their original partition keys, in recorded order, in
batches of up to `--batch` records per kind.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from sim.fleet import KINDS, TickBatch
from sim.pacing import pump
from sim.sinks import open_sink

DEFAULT_BATCH = 2000


def read_records(path: str | Path) -> Iterator[tuple[int, str, str, bytes]]:
    """(t, kind, partition key, data) per recorded record; t is the tick (or running index)."""
    path = Path(path)
    if path.suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group).to_pydict()
            yield from zip(table["t"], table["kind"], table["partition_key"], table["data"])
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as lines:
        for number, line in enumerate(lines):
            line = line.rstrip(b"\n")
            if not line:
                continue
            record = orjson.loads(line)
            yield number, record["kind"], record["vehicle_id"], line


def batches_from(records: Iterator[tuple[int, str, str, bytes]], batch_size: int) -> Iterator[TickBatch]:
    batch = TickBatch(0, 0)
    size = 0
    for t, kind, key, data in records:
        if size >= batch_size:
            yield batch
            batch, size = TickBatch(t, 0), 0
        batch.records[kind].append((key, data))
        size += 1
    if size:
        yield batch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--sink", default="kinesis", help="kinesis | stdout | null | jsonl:PATH")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--endpoint-url", help="AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
    args = parser.parse_args(argv)
    sink = open_sink(args.sink, endpoint=args.endpoint_url) if args.sink == "kinesis" else open_sink(args.sink)
    with sink:
        pump(batches_from(read_records(args.file), args.batch), sink)
    by_kind = ", ".join(f"{kind} {sink.stats.by_kind.get(kind, 0)}" for kind in KINDS)
    print(
        f"replayed {sink.stats.records} records ({by_kind}); throttled {sink.stats.throttled}, "
        f"failed {sink.stats.failed}",
        file=sys.stderr,
        flush=True,
    )
    return 0 if not sink.stats.failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
