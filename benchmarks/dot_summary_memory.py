"""Memory of reading a DOT map run's result file at fleet scale: whole (`json.loads`) vs streamed
(`handlers.common.json_stream`), in one run:

    python -m benchmarks.dot_summary_memory [--drivers 234000] [--shard 100]

Builds the SUCCEEDED_0.json the emulator's ResultWriter writes (one record per child execution, its
Output the JSON string of the shard's per-driver results, as report_driver returns them), then reads
it both ways the way publish_summary consumes it (every per-driver result visited once) and prints
the file size, the peak of Python allocations (tracemalloc) and the time of each, and their ratios.
The file's own bytes are not counted in either peak (an S3 body is read in chunks by the stream).
"""

from __future__ import annotations

import argparse
import io
import json
import time
import tracemalloc

from handlers.common import json_stream


def result_file(drivers: int, shard: int) -> bytes:
    rows = []
    for child, start in enumerate(range(0, drivers, shard)):
        results = [
            {
                "driver_id": f"BD-bench-{n:06d}",
                "report_date": "2026-12-04",
                "fleet_id": "BENCH-fleet",
                "status": "violations" if n % 10 == 0 else "compliant",
                "violation_count": 1 if n % 10 == 0 else 0,
                "violation_rules": ["11_hour_driving"] if n % 10 == 0 else [],
                "report_key": f"dot-reports/date=2026-12-04/BD-bench-{n:06d}.pdf",
                "eld_key": f"eld/2026-12-04/BD-bench-{n:06d}.csv",
            }
            for n in range(start, min(start + shard, drivers))
        ]
        rows.append(
            {
                "ExecutionArn": f"arn:aws:states:us-east-1:123456789012:execution:dot:{child}",
                "Name": str(child),
                "Input": "{}",
                "Status": "SUCCEEDED",
                "Output": json.dumps(results),
            }
        )
    return json.dumps(rows).encode()


def _visit(records) -> int:
    count = 0
    for record in records:
        for result in json.loads(record.get("Output") or "null"):
            count += bool(result.get("driver_id"))
    return count


def measure(body: bytes, streamed: bool) -> tuple[int, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    records = json_stream.array_items(io.BytesIO(body)) if streamed else json.loads(body)
    count = _visit(records)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count, peak / 2**20, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dot_summary_memory", description=__doc__)
    parser.add_argument("--drivers", type=int, default=234_000)
    parser.add_argument("--shard", type=int, default=100)
    args = parser.parse_args(argv)
    body = result_file(args.drivers, args.shard)
    print(f"result file: {len(body) / 2**20:.1f} MiB for {args.drivers:,} drivers in shards of {args.shard}")
    whole = measure(body, streamed=False)
    streamed = measure(body, streamed=True)
    for name, (count, peak, seconds) in (("json.loads", whole), ("streamed", streamed)):
        print(f"{name:>10}: {count:,} results, peak {peak:,.1f} MiB allocated, {seconds:.2f} s")
    print(f"ratio whole/streamed: peak {whole[1] / streamed[1]:.1f}x, time {whole[2] / streamed[2]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
