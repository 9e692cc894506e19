"""CPU of one GetQueueAttributes on a queue holding many messages, moto's counting vs the emulator's
one-clock counting (harness/emulator/patches/sqs.py), in one run, alternating.

    python -m benchmarks.sqs_queue_depth [--messages 5000] [--calls 20]

In-process moto (`mock_aws`); the three count patches are applied and undone between rounds.
Prints ms of CPU per `Queue.attributes` (what GetQueueAttributes computes) for each round and the
ratio. Why it matters: a queue nobody consumes locally (driver_training_queue in dev) only grows, and
the soak's sampler and the local alarms read every queue's depth every few seconds.
"""

from __future__ import annotations

import argparse
import time

import boto3
from moto import mock_aws
from moto.sqs.models import sqs_backends

from harness.emulator.patches import sqs as sqs_patches

PATCHES = (
    sqs_patches.visible_count_one_clock,
    sqs_patches.in_flight_count_one_clock,
    sqs_patches.delayed_count_one_clock,
)


def _switch(on: bool) -> None:
    for counted in PATCHES:
        if on and not counted.patch.is_applied:
            counted.patch.apply()
        elif not on and counted.patch.is_applied:
            counted.patch.undo()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        url = sqs.create_queue(QueueName="depth")["QueueUrl"]
        for start in range(0, args.messages, 10):
            entries = [{"Id": str(i), "MessageBody": "x" * 200} for i in range(min(10, args.messages - start))]
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
        queue = sqs_backends["123456789012"]["us-east-1"].queues["depth"]
        figures: dict[str, list[float]] = {"moto": [], "one clock": []}
        try:
            for on in (False, True, False, True):
                _switch(on)
                started = time.process_time()
                for _ in range(args.calls):
                    queue.attributes  # noqa: B018 - the property is the work measured
                per_call = 1000 * (time.process_time() - started) / args.calls
                figures["one clock" if on else "moto"].append(per_call)
                label = "one clock" if on else "moto"
                print(f"{label:9}  {per_call:8.2f} ms CPU per GetQueueAttributes, {args.messages} messages")
        finally:
            _switch(False)
    ratio = min(figures["moto"]) / max(min(figures["one clock"]), 1e-9)
    print(f"moto / one clock: {ratio:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
