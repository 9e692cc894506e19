"""Prod Lambda cost per million pipeline records per function, from measured CPU per record.

    python -m benchmarks.lambda_cost [--env prod]

For the capacity planner's cost table: call `cost_per_million_records(env)` (a list of
`FunctionCost`), or read the data it starts from, `benchmarks/data/lambda_cpu_per_record.json`
(written by `python -m benchmarks.pipeline_cpu --write-measured` during a local load run: the CPU
ms each function's execution environments spent per Kinesis record that entered the pipeline).

The model, per function (memory from infra/<env>.tfvars `<key>_memory`, batch size from
tap_stack.tf `locals.capacity.<env>.kinesis_batch_size`):
- Lambda gives a function CPU in proportion to its memory, one full vCPU at 1,769 MB
  (AWS Lambda developer guide, "Configuring memory"); below that a CPU-bound millisecond measured on
  one core here takes 1769/memory ms. So billed duration per record >= cpu_ms x max(1, 1769/memory).
  This is a floor: time spent waiting on Redis, PostgreSQL, DynamoDB or the network is billed too
  and is not CPU; the local core is not Lambda's core (the measured machine's model is recorded).
- compute: duration_s x memory_GB x PRICE_PER_GB_S per record; requests: PRICE_PER_REQUEST per
  invocation, at one invocation per full batch of the function's own stream (Kinesis consumers;
  the others are invoked per SQS batch or per alert, so their request charge is not modelled).
- "per million records" counts every record entering the pipeline (gps, diagnostics and HOS).
Prices: us-east-1, x86, on-demand, without the free tier (AWS Lambda pricing page, 2026).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from capacity_planner.tfvars import load_tfvars, stack_capacity_locals

REPO = Path(__file__).resolve().parents[1]
MEASURED_PATH = REPO / "benchmarks" / "data" / "lambda_cpu_per_record.json"
PRICE_PER_GB_S = 0.0000166667
PRICE_PER_REQUEST = 0.20 / 1_000_000
FULL_VCPU_MB = 1769
# Kinesis-triggered function keys -> the share of pipeline records their stream carries (a vehicle
# sends GPS every 30 s, diagnostics every 60 s and ~12 HOS changes a day: contracts.md).
_GPS, _DIAGNOSTICS, _HOS = 1 / 30, 1 / 60, 12 / 86_400
_ALL = _GPS + _DIAGNOSTICS + _HOS
KINESIS_CONSUMERS = {
    "processor": _DIAGNOSTICS / _ALL,
    "predictive": _DIAGNOSTICS / _ALL,
    "fuel": _DIAGNOSTICS / _ALL,
    "hos": _HOS / _ALL,
    "location": _GPS / _ALL,
}


@dataclass(frozen=True)
class FunctionCost:
    function: str  # tfvars key, e.g. "processor"
    memory_mb: int
    cpu_ms_per_record: float  # measured locally
    billed_ms_per_record: float  # floor, scaled by the memory's CPU share
    compute_usd_per_million: float
    request_usd_per_million: float

    @property
    def usd_per_million(self) -> float:
        return self.compute_usd_per_million + self.request_usd_per_million


def function_key(local_name: str, keys: list[str]) -> str | None:
    """'fleettap-dev-driver-notifier' -> 'driver_notifier' (the tfvars key it ends with)."""
    normalized = local_name.replace("-", "_")
    matches = [key for key in keys if normalized.endswith("_" + key)]
    return max(matches, key=len) if matches else None


def measured(path: Path = MEASURED_PATH) -> dict[str, Any]:
    """The measured data file (see the module docstring)."""
    return json.loads(path.read_text())


def cost_per_million_records(env: str = "prod", data: dict[str, Any] | None = None) -> list[FunctionCost]:
    """Cost per million pipeline records of each measured function at `env`'s memory and batch size."""
    data = data if data is not None else measured()
    tfvars = load_tfvars(REPO / "infra" / f"{env}.tfvars")
    memories = {key[: -len("_memory")]: int(value) for key, value in tfvars.items() if key.endswith("_memory")}
    capacity = stack_capacity_locals((REPO / "infra" / "tap_stack.tf").read_text(), env)
    batch = int(capacity.get("kinesis_batch_size") or 100)
    rows = []
    for local_name, cpu_ms in sorted(data["cpu_ms_per_record"].items()):
        key = function_key(local_name, list(memories))
        if key is None:
            continue
        memory = memories[key]
        billed_ms = cpu_ms * max(1.0, FULL_VCPU_MB / memory)
        compute = billed_ms / 1000 * memory / 1024 * PRICE_PER_GB_S * 1_000_000
        # One invocation per full batch of its own stream's records.
        requests = PRICE_PER_REQUEST * KINESIS_CONSUMERS.get(key, 0.0) / batch * 1_000_000
        rows.append(FunctionCost(key, memory, round(cpu_ms, 4), round(billed_ms, 4), compute, requests))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = cost_per_million_records(args.env)
    if args.json:
        print(json.dumps([asdict(r) | {"usd_per_million": r.usd_per_million} for r in rows], indent=2))
        return
    print(f"{'function':16} {'MB':>5} {'CPU ms/rec':>10} {'billed ms/rec':>13} {'USD / 1M records':>16}")
    for row in rows:
        print(
            f"{row.function:16} {row.memory_mb:>5} {row.cpu_ms_per_record:>10.4f} {row.billed_ms_per_record:>13.4f} "
            f"{row.usd_per_million:>16.4f}"
        )
    print(f"{'total':16} {'':>5} {'':>10} {'':>13} {sum(r.usd_per_million for r in rows):>16.4f}")


if __name__ == "__main__":
    main()
