"""Find the largest fleet a stack sustains in real time: load runs at growing fleet sizes.

    python -m loadtest.sweep [--sizes 100,200,400,800] [--duration 120] [--scenario fleet-234k]
        [--workers 1] [--target local] [--report PATH]

Without --sizes the ladder is DEFAULT_SIZES (2,000 vehicles, about 100 records/s, up to the whole
234,000-vehicle fleet): `make load` on the local stack runs this, so it finds the stack's ceiling
instead of sending the whole fleet at a stack that cannot take it (`make load TARGET=aws`, or a
SCENARIO or VEHICLES given, runs loadtest.load as before). The last line printed is the ceiling:
the largest sustained size and the records/s it was sent at.

Before each size the stack is left to drain (runtime lag 0 and work queues empty, bounded by
--drain-timeout). A size is *sustained* when the workers kept the schedule (sent >= 95% of
target), consumer lag did not grow (fitted growth after warm-up <= --lag-tolerance s) and every
end-to-end canary arrived. The report names the consumer with the worst lag and the CPU share
of each process, which says where the stack saturates. Stops after the first size that is not
sustained (unless --keep-going).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from loadtest import load
from loadtest.lifeline import exit_on_sigterm
from loadtest.probe import QueueProbe, read_runtime_status, split_dlq, stream_lag_s
from loadtest.sampling import trend
from loadtest.target import resolve_target

# Vehicles; at the default rates a vehicle sends about 0.05 records/s (5,257 vehicles: 263.6/s).
DEFAULT_SIZES = (2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 60_000, 100_000, 160_000, 234_000)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.sweep", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in DEFAULT_SIZES),
        help="comma-separated fleet sizes, ascending (default: %(default)s)",
    )
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--scenario", default="fleet-234k")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--source", choices=("simulator", "fixed"), default="simulator")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="fleet setting override passed to loadtest.load"
    )
    parser.add_argument("--lag-tolerance", type=float, default=2.0)
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--keep-going", action="store_true")
    parser.add_argument("--report", type=Path)
    return parser


def drained(status: dict[str, Any] | None, work_depths: dict[str, int] | None) -> bool:
    """Drained only on evidence: a fresh runtime status with no lag on any stream, and empty work
    queues. A missing or stale status (a runtime too busy to rewrite it) is no evidence of anything."""
    if status is None or work_depths is None:
        return False
    return max(stream_lag_s(status).values(), default=0.0) == 0.0 and sum(work_depths.values()) == 0


def wait_for_drain(target: Any, timeout_s: float) -> tuple[float, bool]:
    """(seconds waited, drained): until lag is 0 on every stream and the work queues are empty."""
    started = time.time()
    queues = QueueProbe(target.client("sqs"), target.prefix)
    while time.time() - started < timeout_s:
        try:
            work: dict[str, int] | None = split_dlq(queues.depths())[0]
        except Exception:
            work = None
        if drained(read_runtime_status(target.state_dir), work):
            return time.time() - started, True
        time.sleep(2.0)
    return time.time() - started, False


def summarize(size: int, report: dict[str, Any], lag_tolerance: float) -> dict[str, Any]:
    samples = report["probe_samples"]
    start = samples[0]["at"] if samples else 0.0
    lag_points = [(s["at"] - start, max(s["lag_s"].values(), default=0.0)) for s in samples if "lag_s" in s]
    lag_trend = trend("max stream lag s", lag_points, absolute=lag_tolerance).as_dict() if lag_points else None
    sent_ok = next(s for s in report["slos"] if s["name"] == "sent rate / target")["status"] == "PASS"
    e2e_all = [v for kind in report["e2e_s"].values() for v in [kind["p95"]] if v is not None]
    last_function_lag = next((s["function_lag_s"] for s in reversed(samples) if "function_lag_s" in s), {})
    worst = max(last_function_lag.items(), key=lambda item: item[1], default=(None, 0.0))
    sustained = (
        sent_ok and (lag_trend is None or lag_trend["flat"]) and report["e2e_missed"] == 0 and bool(report["e2e_s"])
    )
    return {
        "vehicles": size,
        "target_per_s": report["rates"]["target_per_s"],
        "sent_per_s": report["rates"]["sent_per_s"],
        "e2e_p50_s": {k: v["p50"] for k, v in report["e2e_s"].items()},
        "e2e_p95_s": {k: v["p95"] for k, v in report["e2e_s"].items()},
        "e2e_p95_max_s": max(e2e_all) if e2e_all else None,
        "e2e_missed": report["e2e_missed"],
        "lag_trend": lag_trend,
        "worst_consumer_at_end": {"mapping": worst[0], "lag_s": worst[1]},
        "cpu_pct_median": {k: v["p50"] for k, v in report["cpu_pct"].items()},
        "dlq_growth": sum(report["dlq_growth"].values()),
        "sustained": sustained,
        "loadavg": report["settings"].get("loadavg_end"),
    }


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'vehicles':>9} {'target/s':>9} {'sent/s':>8} {'e2e p95 s':>10} {'lag growth s':>12} "
        f"{'DLQ+':>5}  sustained  worst consumer (lag s); CPU % of a core"
    ]
    for row in rows:
        growth = row["lag_trend"]["growth"] if row["lag_trend"] else None
        cpu = ", ".join(
            f"{k} {v:.0f}"
            for k, v in sorted(row["cpu_pct_median"].items(), key=lambda kv: -(kv[1] or 0))
            if v is not None
        )
        worst = row["worst_consumer_at_end"]
        lines.append(
            f"{row['vehicles']:>9,} {row['target_per_s']:>9} {row['sent_per_s']:>8} "
            f"{str(row['e2e_p95_max_s']):>10} {str(growth):>12} {row['dlq_growth']:>5}  "
            f"{'yes' if row['sustained'] else 'NO ':<9}  {worst['mapping']} ({worst['lag_s']}); {cpu}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    exit_on_sigterm()  # the running size's load workers are daemons: they stop with this process
    target = resolve_target(args.target, project="fleettap", env="dev")
    rows: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        drained_s, was_drained = wait_for_drain(target, args.drain_timeout) if args.target == "local" else (0.0, True)
        if not was_drained:
            print(
                f"warning: the stack had not drained after {drained_s:.0f} s; {size:,} vehicles start "
                "on a backlog (or without a fresh runtime status)",
                flush=True,
            )
        load_args = load.build_parser().parse_args(
            [
                "--scenario",
                args.scenario,
                "--target",
                args.target,
                "--workers",
                str(args.workers),
                "--duration",
                str(args.duration),
                "--vehicles",
                str(size),
                "--source",
                args.source,
                "--no-live",
                # one step of many: no live page or HTML report per step (the sweep prints its table)
                "--no-web",
                *[item for setting in args.set for item in ("--set", setting)],
            ]
        )
        report = load.run(load_args)
        row = summarize(size, report, args.lag_tolerance)
        row["drained_before_s"], row["drained_before"] = round(drained_s, 1), was_drained
        rows.append(row)
        print(render([row]).splitlines()[-1], flush=True)
        if not row["sustained"] and not args.keep_going:
            break
    path = args.report or (target.state_dir or Path(".")) / "load" / f"sweep-{int(time.time())}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2, default=str))
    print(render(rows))
    sustained = [r for r in rows if r["sustained"]]
    print(f"report: {path}")
    print(ceiling_line(rows))
    return 0 if sustained else 1


def ceiling_line(rows: list[dict[str, Any]]) -> str:
    """The sweep's verdict: the largest sustained size, its rate, and the first size that was not."""
    sustained = [r for r in rows if r["sustained"]]
    failed = next((r for r in rows if not r["sustained"]), None)
    beyond = f"; {failed['vehicles']:,} vehicles ({failed['sent_per_s']} records/s sent) was not" if failed else ""
    if not sustained:
        return f"ceiling: below {rows[0]['vehicles']:,} vehicles (no size sustained){beyond}" if rows else "no size run"
    best = max(sustained, key=lambda r: r["vehicles"])
    return (
        f"ceiling: {best['vehicles']:,} vehicles sustained, {best['sent_per_s']} records/s "
        f"(e2e p95 {best['e2e_p95_max_s']} s){beyond}"
    )


if __name__ == "__main__":
    sys.exit(main())
