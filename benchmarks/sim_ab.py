"""Generator before/after in one run: `python -m benchmarks.sim_ab [--ref main] [--vehicles 60000] [--duration 120]`.

Runs `benchmarks.sim_bench.measure` twice side by side, at the same time, in two processes: one
imports the `sim` package as it is at git ref `--ref` (extracted with `git archive`), the other the
working tree's. Both build the same fleet (same seed) and generate the same records; the table
compares the CPU time of the steady-state run (`time.process_time`, so a loaded machine slows both
alike rather than skewing the ratio) and peak RSS. Record counts by kind must match, or it fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUNNER = """
import json, sys
sys.path[:0] = [{sim_root!r}, {root!r}]
import sim
assert sim.__file__.startswith({sim_root!r}), sim.__file__
from benchmarks.sim_bench import measure
print(json.dumps(measure({vehicles}, {duration}, seed={seed})))
"""


def extract_sim(ref: str, into: Path) -> Path:
    """The `sim` package at `ref`, unpacked under `into`; returns the directory to put on sys.path."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "sim"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_side_by_side(sim_roots: dict[str, Path], vehicles: int, duration: int, seed: int) -> dict[str, dict]:
    processes = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-c",
                RUNNER.format(sim_root=str(path), root=str(ROOT), vehicles=vehicles, duration=duration, seed=seed),
            ],
            cwd=str(path),
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, path in sim_roots.items()
    }
    results = {}
    for name, process in processes.items():
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"{name} run failed (exit {process.returncode})")
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git ref of the 'before' sim package")
    parser.add_argument("--vehicles", type=int, nargs="+", default=[60_000])
    parser.add_argument("--duration", type=int, default=120, help="simulated seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sim-ab-") as tmp:
        before_root = extract_sim(args.ref, Path(tmp))
        print(
            "| vehicles | records | before: CPU s | after: CPU s | ratio"
            " | simulated s per CPU s before / after | peak RSS MB before / after |"
        )
        print("|---|---|---|---|---|---|---|")
        for vehicles in args.vehicles:
            results = run_side_by_side({"before": before_root, "after": ROOT}, vehicles, args.duration, args.seed)
            before, after = results["before"], results["after"]
            if before["by_kind"] != after["by_kind"]:
                raise SystemExit(f"different records: before {before['by_kind']}, after {after['by_kind']}")
            print(
                f"| {vehicles:,} | {after['records']:,} | {before['run_cpu_s']:.2f} | {after['run_cpu_s']:.2f}"
                f" | {before['run_cpu_s'] / after['run_cpu_s']:.2f}"
                f" | {before['real_time_factor_cpu']} / {after['real_time_factor_cpu']}"
                f" | {before['peak_rss_mb']:,} / {after['peak_rss_mb']:,} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
