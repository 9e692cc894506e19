"""What the local stack's fidelity costs, end to end: scenario time and pipeline throughput with
IAM/KMS/service-role enforcement on and off, in one run.

    python -m benchmarks.enforcement_overhead --on STATE_DIR --off STATE_DIR [--rounds 3]
        [--scenario hos-violation] [--throughput-records 3000]

Needs two applied dev stacks side by side (different FLEETTAP_STATE_DIR and ports), the second
started with FLEETTAP_IAM_ENFORCEMENT=off (`make up && make apply TARGET=local` in each); `make
status` in each says which is which, and this script checks it. Both stacks stay up throughout, so
each weighs on the other alike. In each round, alternating which goes first, it runs on each stack:
1. the scenario at its test size against the applied stack (`scenario_runner --test --no-stack`),
   wall time of the whole run (seeding, sending, draining, checks) and whether it passed;
2. `benchmarks.latency`'s throughput phase: N healthy diagnostics records put at once, records/s
   until the last stage of the diagnostics chain has delivered them all.
Prints each measurement, then the medians and the on/off ratios, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness.config import read_stack, read_stack_data


def _stack_env(state_dir: str) -> dict[str, str]:
    env = {**os.environ, **read_stack(state_dir).env()}
    env.pop("FLEETTAP_IAM_ENFORCEMENT", None)  # the stack's emulator decides, not this process
    return env


def _enforcement(state_dir: str) -> bool | None:
    """What the stack's emulator was started with (emulator.json, written by `make up`)."""
    settings = Path(state_dir) / "emulator.json"
    return json.loads(settings.read_text()).get("iam_enforcement") if settings.exists() else None


def _scenario(state_dir: str, scenario: str) -> dict:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "scenario_runner", "--scenario", scenario, "--env", "dev", "--test", "--no-stack"],
        env=_stack_env(state_dir),
        capture_output=True,
        text=True,
    )
    return {"wall_s": round(time.monotonic() - started, 1), "passed": done.returncode == 0}


def _throughput(state_dir: str, records: int) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.latency", "--records", "0", "--throughput-records", str(records)],
        env=_stack_env(state_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["throughput"]["records_per_s"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--on", required=True, help="state dir of the stack with enforcement on")
    parser.add_argument("--off", required=True, help="state dir of the stack started with FLEETTAP_IAM_ENFORCEMENT=off")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", default="hos-violation")
    parser.add_argument("--throughput-records", type=int, default=3000)
    args = parser.parse_args(argv)
    stacks = {"on": args.on, "off": args.off}
    for mode, directory in stacks.items():
        if not read_stack_data(directory):
            parser.error(f"no stack in {directory}: `make up && make apply TARGET=local` there first")
        if _enforcement(directory) is not (mode == "on"):
            parser.error(f"the stack in {directory} was not started with enforcement {mode}")
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    for round_number in range(args.rounds):
        order = ["on", "off"] if round_number % 2 == 0 else ["off", "on"]
        for mode in order:
            run = _scenario(stacks[mode], args.scenario)
            run["records_per_s"] = _throughput(stacks[mode], args.throughput_records)
            runs[mode].append(run)
            print(json.dumps({"round": round_number + 1, "enforcement": mode, **run}), flush=True)
    medians = {
        mode: {
            "scenario_wall_s": statistics.median(r["wall_s"] for r in found),
            "scenarios_passed": sum(r["passed"] for r in found),
            "records_per_s": statistics.median(r["records_per_s"] for r in found),
        }
        for mode, found in runs.items()
    }
    ratios = {
        "scenario_time_on_over_off": round(medians["on"]["scenario_wall_s"] / medians["off"]["scenario_wall_s"], 3),
        "throughput_on_over_off": round(medians["on"]["records_per_s"] / medians["off"]["records_per_s"], 3),
    }
    summary = {"scenario": args.scenario, "rounds": args.rounds, "medians": medians, "ratios": ratios}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
