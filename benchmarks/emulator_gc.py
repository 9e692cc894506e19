"""The emulator's collector pauses while it fills with retained telemetry: CPython's policy vs `freeze`
vs `periodic` (harness/emulator/gc_policy.py), in one run.

    python -m benchmarks.emulator_gc [--items 400000] [--rounds 1]

Each variant runs in its own process (collector state is per process), alternating: in-process moto
with the emulator's patches, one location-like table with a stream (the items and stream records a
soak retains), filled with `--items` PutItem calls. Prints the wall time per item, the full
collections' count, total and longest pause, and the ratios. Why it matters: the emulator's pauses
stop every request and poller, so they become Kinesis lag and end-to-end latency in a soak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

VARIANTS = ("default", "freeze", "periodic")


def _fill(items: int) -> dict:
    os.environ["FLEETTAP_LOCAL_RETENTION_S"] = "off"  # keep everything: the heap a soak's retention holds
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models import dynamodb_backends

    from harness.emulator import gc_policy, patches

    patches.apply_all()
    gc_policy.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="locations",
            KeySchema=[{"AttributeName": "vehicle_id", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "vehicle_id", "AttributeType": "S"},
                {"AttributeName": "ts", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        table = dynamodb_backends["123456789012"]["us-east-1"].tables["locations"]
        started = time.perf_counter()
        for i in range(items):
            table.put_item(
                {
                    "vehicle_id": {"S": f"V{i % 30000:06d}"},
                    "ts": {"S": f"2026-12-07T{i // 30000:08d}"},
                    "lat": {"N": "41.1234"},
                    "lon": {"N": "-87.5432"},
                    "speed_mph": {"N": "55.2"},
                    "heading": {"N": "120"},
                    "geohash": {"S": "dp3wjztv"},
                    "driver_id": {"S": "D000001"},
                    "expires_at": {"N": "1799999999"},
                }
            )
        elapsed = time.perf_counter() - started
    stats = gc_policy.pause_stats()
    full = stats["pauses"].get("2", {"count": 0, "total_s": 0.0, "longest_s": 0.0})
    all_s = sum(generation["total_s"] for generation in stats["pauses"].values())
    return {"us_per_item": elapsed / items * 1e6, "full": full, "all_s": all_s, "freezes": stats["freezes"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=400_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_fill(args.items)))
        return 0
    results: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            env = dict(os.environ, FLEETTAP_EMULATOR_GC=variant)
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.emulator_gc", "--items", str(args.items), "--child", variant],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            results[variant].append(result)
            full = result["full"]
            print(
                f"{variant:8s} {args.items:,} items: {result['us_per_item']:.1f} us/item, full collections "
                f"{full['count']}, paused {full['total_s']:.2f} s in them (all generations {result['all_s']:.2f} s), "
                f"longest {full['longest_s']:.3f} s, freezes {result['freezes']}"
            )
    default = results["default"][-1]
    for variant in VARIANTS[1:]:
        other = results[variant][-1]
        print(
            f"ratio default/{variant}: time per item {default['us_per_item'] / other['us_per_item']:.2f}x, "
            f"all collections' pauses {default['all_s'] / max(other['all_s'], 1e-6):.1f}x, "
            f"longest full-collection pause {default['full']['longest_s'] / max(other['full']['longest_s'], 1e-6):.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
