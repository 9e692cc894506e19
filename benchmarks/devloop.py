"""The edit-run loop: how long a repeated `make sim` spends before its first record is sent.

    python -m benchmarks.devloop [--scenario hos-violation] [--runs 2]

Uses the stack of the environment (FLEETTAP_STATE_DIR and the FLEETTAP_*_PORT variables), which must
have been applied once (`make up apply` or one `make sim`). Each measured run is
`make sim SCENARIO=... SIM_ARGS=--json`; the time is from starting `make` to the runner's
`first_record_sent_at` (so it includes make, `make build`, bring-up, the apply decision, migrations,
seeding and the reset of the previous run's data).

- unchanged: `make sim` again with nothing changed (the apply is skipped);
- after down/up: `make down && make up` (timed as well: the emulator saves and restores its
  state), then `make sim`.

Prints one line per run and the machine's load (`uptime`) before and after.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time

from harness.config import REPO_ROOT


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO_ROOT, capture_output=True, text=True)


def timed_sim(scenario: str) -> dict:
    began = time.time()
    result = make("sim", f"SCENARIO={scenario}", "SIM_ARGS=--json")
    end = time.time()
    start = result.stdout.find("{\n")
    if start < 0:
        raise SystemExit(f"make sim printed no result (exit {result.returncode}):\n{result.stderr[-3000:]}")
    printed = json.loads(result.stdout[start:])
    decision = next((line for line in result.stderr.splitlines() if line.startswith("infra: ")), "infra: ?")
    # The runner's step lines end in "(<seconds> s)" or "; <seconds> s)": services, apply decision,
    # migrations and seed, observers, reset.
    text = " ".join(result.stderr.split())
    steps = {
        name: float(match.group(1)) for name, pattern in STEP_PATTERNS.items() if (match := re.search(pattern, text))
    }
    return {
        "steps": steps,
        "first_record_s": printed["first_record_sent_at"] - began,
        "total_s": end - began,
        "passed": printed["passed"],
        "infra": decision.split(" (", 1)[0].removeprefix("infra: "),
    }


STEP_PATTERNS = {
    "services": r"services up \(([\d.]+) s\)",
    "apply decision": r"infra: \w[\w-]* \(.*?; ([\d.]+) s\)",
    "migrate+seed": r"migrations and reference data \(([\d.]+) s\)",
    "observers": r"observing \d+ topics \(([\d.]+) s\)",
    "reset": r"reference re-seeded \(([\d.]+) s\)",
}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _steps(figures: dict) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in figures["steps"].items()) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="hos-violation")
    parser.add_argument("--runs", type=int, default=2, help="measured runs of each kind")
    args = parser.parse_args(argv)
    print(f"load before: {uptime()}")
    timed_sim(args.scenario)  # leave a previous run's data behind, as a real loop does
    for run in range(args.runs):
        figures = timed_sim(args.scenario)
        print(
            f"unchanged      run {run + 1}: first record after {figures['first_record_s']:5.1f} s "
            f"(infra {figures['infra']}, whole run {figures['total_s']:.0f} s, passed {figures['passed']}; "
            f"steps {_steps(figures)})",
            flush=True,
        )
    for run in range(args.runs):
        began = time.time()
        make("down")
        down_s = time.time() - began
        began = time.time()
        up = make("up")
        up_s = time.time() - began
        if up.returncode != 0:
            raise SystemExit(f"make up failed:\n{up.stderr}")
        figures = timed_sim(args.scenario)
        print(
            f"after down/up  run {run + 1}: first record after {figures['first_record_s']:5.1f} s "
            f"(infra {figures['infra']}; make down {down_s:.1f} s, make up {up_s:.1f} s; "
            f"whole run {figures['total_s']:.0f} s, passed {figures['passed']}; steps {_steps(figures)})",
            flush=True,
        )
    print(f"load after: {uptime()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
