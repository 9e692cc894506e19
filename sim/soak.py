"""Soak test: a steady load for a long time, checking that nothing creeps.

    python -m sim.soak --duration 1800 [--rate 190] [--sample-every 10] [--scenario soak]
        [--workers N] [--target local] [--report PATH] [--no-live]

Runs `python -m sim.load` in a child process at a fleet size giving `--rate` records/s, and every
`--sample-every` seconds samples: RSS of the stack's processes (with their children), DLQ depths,
consumer lag per stream. Verdict (exit 0 only if all hold, and the load run itself passed):
- memory flat: fitted growth after warm-up <= max(16 MiB, 5% of the median) per process; warm-up is
  the first 20 % of the run, or the emulator's local data retention (FLEETTAP_LOCAL_RETENTION_S,
  read from `<state>/emulator.json`) plus a minute when that is longer: until then the emulator's
  memory grows with the data it holds, as AWS's storage would;
- lag flat: fitted growth of the worst stream lag and of end-to-end canary latency <= 2 s;
- DLQs do not grow.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sim.live_view import LiveView
from sim.load_probe import QueueProbe, read_runtime_status, split_dlq, stream_lag_s
from sim.load_target import REPO_ROOT, resolve_target
from sim.soak_sampling import memory_sample, stack_processes, trend

MEMORY_TOLERANCE_MIB = 16.0
MEMORY_TOLERANCE_FRACTION = 0.05
LAG_TOLERANCE_S = 2.0
WARMUP_FRACTION = 0.2
# The emulator trims stored data older than its local retention (harness/emulator/compat.py), so its
# memory rises for one retention period and then holds; memory is judged after that.
RETENTION_SETTLE_S = 60.0
# Records/s one vehicle sends (contracts.md): GPS every 30 s, diagnostics every 60 s, and ~12 HOS
# changes a day.
RECORDS_PER_VEHICLE_S = 1 / 30 + 1 / 60 + 12 / 86_400
# Default soak rate: 72 % of the largest rate the embedded local stack (dev sizing) sustained end
# to end in 3-minute sweeps on the shared 2-core machine (264 records/s; docs/benchmarks.md, "Load,
# soak and capacity"); a busier machine sustains less, so a failing soak at this rate needs the
# load average read with it.
DEFAULT_RATE = 190.0


def vehicles_for_rate(rate: float) -> int:
    return max(1, round(rate / RECORDS_PER_VEHICLE_S))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, required=True, help="wall seconds")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE,
                        help=f"records/s to sustain (default {DEFAULT_RATE:g}, the measured local capacity)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="fleet setting override passed to sim.load (e.g. emit_initial_status=false)")
    parser.add_argument("--sample-every", type=float, default=10.0)
    parser.add_argument("--scenario", default="soak", help="fleet settings, seed and injected faults; --rate sets the size")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--source", choices=("simulator", "fixed"), default="simulator")
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--endpoint")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--no-live", action="store_true")
    return parser


def _load_command(args: argparse.Namespace, load_report: Path) -> list[str]:
    command = [sys.executable, "-m", "sim.load", "--scenario", args.scenario, "--target", args.target,
               "--workers", str(args.workers), "--duration", str(args.duration),
               "--vehicles", str(vehicles_for_rate(args.rate)), "--source", args.source,
               "--project", args.project, "--env", args.env, "--no-live", "--report", str(load_report)]
    if args.endpoint:
        command += ["--endpoint", args.endpoint]
    for setting in args.set:
        command += ["--set", setting]
    return command


def sample_stack(state_dir: Path | None, queues: QueueProbe, processes: dict[str, int],
                 started: float) -> dict[str, Any]:
    sample: dict[str, Any] = {"t": round(time.time() - started, 2),
                              "rss_mib": memory_sample(processes) if processes else {}}
    try:
        sample["queues"], sample["dlqs"] = split_dlq(queues.depths())
    except Exception as error:
        sample["error"] = f"sqs: {error}"
    status = read_runtime_status(state_dir)
    if status:
        sample["lag_s"] = stream_lag_s(status)
    return sample


def emulator_retention_s(state_dir: Path | None) -> float | None:
    """The local data retention the stack's emulator runs with (`<state>/emulator.json`, written by
    `python -m harness.emulator`; FLEETTAP_LOCAL_RETENTION_S), or None when unknown or off."""
    try:
        value = json.loads((state_dir / "emulator.json").read_text()).get("local_retention_s")
    except (TypeError, OSError, ValueError):
        return None
    return float(value) if value else None


def memory_warmup_fraction(samples: list[dict[str, Any]], retention_s: float | None) -> float:
    """Share of the run before memory is judged: the first 20 %, or longer, until the emulator's
    stored data has reached its steady state (the retention plus a minute), at most 80 %."""
    span = (samples[-1]["t"] - samples[0]["t"]) if len(samples) > 1 else 0.0
    if not retention_s or span <= 0:
        return WARMUP_FRACTION
    return min(0.8, max(WARMUP_FRACTION, (retention_s + RETENTION_SETTLE_S) / span))


def evaluate(samples: list[dict[str, Any]], load_report: dict[str, Any] | None,
             retention_s: float | None = None) -> dict[str, Any]:
    memory = {}
    warmup = memory_warmup_fraction(samples, retention_s)
    for service in sorted({s for sample in samples for s in sample["rss_mib"]}):
        points = [(x["t"], x["rss_mib"][service]) for x in samples if service in x["rss_mib"]]
        memory[service] = trend(f"rss {service} MiB", points, absolute=MEMORY_TOLERANCE_MIB,
                                relative=MEMORY_TOLERANCE_FRACTION, warmup_fraction=warmup).as_dict()
    lag_points = [(x["t"], max(x["lag_s"].values(), default=0.0)) for x in samples if "lag_s" in x]
    lag = trend("max stream lag s", lag_points, absolute=LAG_TOLERANCE_S).as_dict() if lag_points else None
    e2e_points = [tuple(p) for p in (load_report or {}).get("e2e_timeline", [])]
    e2e = trend("e2e latency s", e2e_points, absolute=LAG_TOLERANCE_S).as_dict() if e2e_points else None
    with_dlqs = [x["dlqs"] for x in samples if "dlqs" in x]
    dlq_growth = ({q: with_dlqs[-1].get(q, 0) - with_dlqs[0].get(q, 0) for q in with_dlqs[-1]}
                  if with_dlqs else {})
    checks = {
        "memory flat": all(m["flat"] for m in memory.values()) if memory else None,
        "lag flat": None if lag is None else lag["flat"],
        "e2e latency flat": None if e2e is None else e2e["flat"],
        "DLQs do not grow": None if not with_dlqs else sum(dlq_growth.values()) <= 0,
        "load service levels": None if load_report is None else bool(load_report.get("passed")),
    }
    return {"memory": memory, "memory_warmup_fraction": round(warmup, 3), "emulator_retention_s": retention_s,
            "lag": lag, "e2e": e2e, "dlq_growth": dlq_growth, "checks": checks,
            "passed": all(v is not False for v in checks.values()) and any(v is not None for v in checks.values())}


def run(args: argparse.Namespace) -> dict[str, Any]:
    target = resolve_target(args.target, project=args.project, env=args.env, endpoint=args.endpoint)
    state_dir = target.state_dir
    processes = stack_processes(state_dir) if state_dir else {}
    queues = QueueProbe(target.client("sqs"), target.prefix)
    out_dir = (state_dir or REPO_ROOT / ".local") / "soak"
    out_dir.mkdir(parents=True, exist_ok=True)
    load_report_path = out_dir / f"load-{int(time.time())}.json"
    started = time.time()
    child = subprocess.Popen(_load_command(args, load_report_path), cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples: list[dict[str, Any]] = []
    deadline = started + args.duration * 2 + 120  # the load run stops itself; this is a backstop
    with LiveView(enabled=not args.no_live) as view:
        while child.poll() is None and time.time() < deadline:
            sample = sample_stack(state_dir, queues, processes, started)
            samples.append(sample)
            view.update({"title": f"soak {args.rate:g} rec/s", "elapsed_s": sample["t"],
                         "rss_mib": sample["rss_mib"], "dlqs": sample.get("dlqs", {}),
                         "queues": sample.get("queues", {}), "lag": sample.get("lag_s", {})})
            time.sleep(min(args.sample_every, max(0.1, deadline - time.time())))
    if child.poll() is None:
        child.terminate()
    output = child.communicate(timeout=30)[0]
    samples.append(sample_stack(state_dir, queues, processes, started))
    load_report = json.loads(load_report_path.read_text()) if load_report_path.exists() else None
    verdict = evaluate(samples, load_report, emulator_retention_s(state_dir))
    return {"settings": {**{k: v for k, v in vars(args).items() if k != "report"},
                         "vehicles": vehicles_for_rate(args.rate), "processes": processes},
            "load_exit_code": child.returncode, "load_output_tail": output.splitlines()[-15:],
            "load_report": str(load_report_path), "samples": samples, **verdict}


def render(report: dict[str, Any]) -> str:
    lines = [f"soak {report['settings']['rate']:g} rec/s ({report['settings']['vehicles']:,} vehicles) "
             f"for {report['settings']['duration']:g} s, {len(report['samples'])} samples"]
    if report.get("emulator_retention_s"):
        lines.append(f"emulator local retention {report['emulator_retention_s']:g} s: memory judged after the "
                     f"first {report['memory_warmup_fraction']:.0%} of the run")
    for service, m in report["memory"].items():
        lines.append(f"rss {service:<16} median {m['median']:>9.1f} MiB  growth {m['growth']:>8.2f} "
                     f"(tolerance {m['tolerance']:.1f})  {'flat' if m['flat'] else 'GROWING'}")
    for key in ("lag", "e2e"):
        if report[key]:
            t = report[key]
            lines.append(f"{t['name']:<24} median {t['median']:>7.3f}  growth {t['growth']:>7.3f} "
                         f"(tolerance {t['tolerance']})  {'flat' if t['flat'] else 'GROWING'}")
    lines.append(f"DLQ growth: {report['dlq_growth'] or 'no DLQs found'}")
    lines += [f"{name:<22} {'n/a' if ok is None else ('PASS' if ok else 'FAIL')}"
              for name, ok in report["checks"].items()]
    lines.append("PASS" if report["passed"] else "FAIL")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    report = run(args)
    path = args.report or Path(report["load_report"]).with_name(f"soak-{int(time.time())}.json")
    path.write_text(json.dumps(report, indent=2, default=str))
    print(render(report))
    print(f"report: {path}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
