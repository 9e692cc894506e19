"""Soak test: a steady load for a long time, checking that nothing creeps.

    python -m loadtest.soak --duration 1800 [--rate 190] [--sample-every 10] [--warmup SECONDS]
        [--scenario soak] [--workers N] [--target local] [--report PATH] [--no-live]
        [--web-port PORT | --no-web] [--html-dir reports] [--no-accounting]

While it runs, a live web page (loadtest.live_page; its address is printed) shows the send rate
against the target, consumer lag per mapping, end-to-end latency percentiles, memory per process
with the fitted slope and the tolerance that decides the verdict, errors and DLQ depth; at the end
the same charts and the verdict are written to `reports/soak-<time>.html` (--html-dir).

Runs `python -m loadtest.load` in a child process at a fleet size giving `--rate` records/s, and every
`--sample-every` seconds samples: memory (PSS) of the stack's processes with their children, split
into shared-memory segments, local Lambda execution environments and the rest; DLQ depths; consumer
lag per stream. Verdict (exit 0 only if all hold, and the load run itself passed):
- memory flat, per service (rules in loadtest/soak_memory.py), after the warm-up: the first 20 % of the
  run, or the emulator's local data retention (FLEETTAP_LOCAL_RETENTION_S, read from
  `<state>/emulator.json`) plus a minute when that is longer (until then the emulator's memory grows
  with the data it holds, as AWS's storage would):
  - the service's own process (for "aws" the emulator without its Lambda environments; for
    PostgreSQL postmaster + backends without the shared segment): fitted growth
    <= max(16 MiB, 5 % of the median);
  - each Lambda environment on its own, from 60 s after it started (the same tolerance; one with
    fewer than 4 such samples is not judged): a late cold start is a new process, not growth;
  - shared memory within its bound: PostgreSQL's segment (buffer pool) <= shared_buffers + 25 %
    (`SHOW shared_buffers`); a segment with no known bound must be flat;
- Lambda environments bounded: no function runs more environments than the runtime allows one
  function (FLEETTAP_LAMBDA_MAX_ENVIRONMENTS of the emulator, default 4);
- lag flat: fitted growth of the worst stream lag and of end-to-end canary latency <= 2 s, after
  the first 20 % of the run;
- `--warmup SECONDS` lengthens every warm-up above to at least that (at most 90 % of the run), for
  a cold start longer than 20 % of the run; the report still shows the largest lag in it;
- DLQs do not grow;
- records accounted for (a local simulator run; `--no-accounting` skips it): once the load has
  stopped and the consumers caught up, every record sent is found in its stores, nothing missing and
  nothing doubled (loadtest.accounting: driver_logs, vehicle_history, the Parquet lake and the
  location state over the whole run; vehicle_locations and vehicle_diagnostics over the tail the
  emulator's retention still holds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from html import escape as html_escape
from pathlib import Path
from typing import Any

from harness import config
from harness.config import REPO_ROOT
from loadtest import live_charts
from loadtest.accounting import render as render_accounting
from loadtest.lifeline import exit_on_sigterm
from loadtest.live_page import LivePage
from loadtest.live_view import SNAPSHOT_VARIABLE, LiveView, read_snapshot, sample_of
from loadtest.probe import QueueProbe, function_lag_s, read_runtime_status, split_dlq, stream_lag_s
from loadtest.report import publish, render_summary
from loadtest.sampling import memory_detail, stack_processes, trend
from loadtest.soak_accounting import account_run
from loadtest.soak_memory import (
    RUNTIME_DEFAULT_MAX_ENVIRONMENTS,
    environment_limit,
    environments_bounded,
    judge_memory,
    render_memory,
    shm_bounds,
    working_set_bounds,
)
from loadtest.target import resolve_target

LAG_TOLERANCE_S = 2.0
WARMUP_FRACTION = 0.2
MAX_EXPLICIT_WARMUP_FRACTION = 0.9
# The emulator trims stored data older than its local retention (harness/emulator/patches/retention.py), so its
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
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, required=True, help="wall seconds")
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"records/s to sustain (default {DEFAULT_RATE:g}, the measured local capacity)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fleet setting override passed to loadtest.load (e.g. emit_initial_status=false)",
    )
    parser.add_argument("--sample-every", type=float, default=10.0)
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds at the start judged for nothing but DLQs (memory, lag, latency): a "
        "longer cold start than the default 20 %% of the run, e.g. a fleet that starts "
        "together reaches the predictive model's 20-minute window all at once",
    )
    parser.add_argument(
        "--scenario", default="soak", help="fleet settings, seed and injected faults; --rate sets the size"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--source", choices=("simulator", "fixed"), default="simulator")
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--endpoint")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--no-live", action="store_true")
    parser.add_argument(
        "--no-accounting",
        action="store_true",
        help="skip the end-of-run accounting (the pipeline settling, the records rebuilt and found in the stores)",
    )
    parser.add_argument("--web-port", type=int, default=0, help="port of the live page (default: a free one)")
    parser.add_argument("--no-web", action="store_true", help="no live web page")
    parser.add_argument(
        "--html-dir", type=Path, default=REPO_ROOT / "reports", help="where the HTML report goes (default reports/)"
    )
    return parser


def _load_command(args: argparse.Namespace, load_report: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "loadtest.load",
        "--scenario",
        args.scenario,
        "--target",
        args.target,
        "--workers",
        str(args.workers),
        "--duration",
        str(args.duration),
        "--vehicles",
        str(vehicles_for_rate(args.rate)),
        "--source",
        args.source,
        "--project",
        args.project,
        "--env",
        args.env,
        "--no-live",
        "--no-web",
        "--report",
        str(load_report),
    ]
    if args.endpoint:
        command += ["--endpoint", args.endpoint]
    for setting in args.set:
        command += ["--set", setting]
    return command


def sample_stack(
    state_dir: Path | None, queues: QueueProbe, processes: dict[str, int], started: float
) -> dict[str, Any]:
    measuring = time.perf_counter()
    detail = memory_detail(processes) if processes else {}
    sample: dict[str, Any] = {
        "t": round(time.time() - started, 2),
        "memory_ms": round((time.perf_counter() - measuring) * 1000, 1),
        "rss_mib": {service: d["total_mib"] for service, d in detail.items()},
        "memory": {
            service: {
                "main_mib": d["main_mib"],
                "shm_mib": d["shm_mib"],
                "environments": {
                    key: {
                        "function": e["function"],
                        "mib": e["mib"],
                        "started_t": None if e["started"] is None else round(e["started"] - started, 1),
                    }
                    for key, e in d["environments"].items()
                },
            }
            for service, d in detail.items()
        },
    }
    try:
        sample["queues"], sample["dlqs"] = split_dlq(queues.depths())
    except Exception as error:
        sample["error"] = f"sqs: {error}"
    status = read_runtime_status(state_dir)
    if status:
        sample["lag_s"] = stream_lag_s(status)
        sample["mapping_lag_s"] = function_lag_s(status)
        if status.get("emulator_gc"):  # the emulator's collector pauses so far (harness/emulator/gc_policy.py)
            sample["emulator_gc"] = status["emulator_gc"]
    return sample


def load_figures(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """The load run's live figures (its LiveView snapshot): total send rate, e2e percentiles,
    throttled and dropped records."""
    return sample_of(snapshot)["load"] if snapshot else None


def live_memory_verdict(
    samples: list[dict[str, Any]], args: argparse.Namespace, retention_s: float | None, bounds, limit
):
    """judge_memory over the samples so far, with the warm-up the final verdict uses."""
    if len(samples) < 2:
        return {}
    warmup = max(memory_warmup_fraction(samples, retention_s), explicit_warmup_fraction(samples, args.warmup))
    return judge_memory(samples, warmup, bounds, limit)


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


def explicit_warmup_fraction(samples: list[dict[str, Any]], warmup_s: float) -> float:
    """`--warmup` as a share of the sampled span (at most 90 %: something must be judged)."""
    span = (samples[-1]["t"] - samples[0]["t"]) if len(samples) > 1 else 0.0
    return min(MAX_EXPLICIT_WARMUP_FRACTION, warmup_s / span) if warmup_s > 0 and span > 0 else 0.0


def evaluate(
    samples: list[dict[str, Any]],
    load_report: dict[str, Any] | None,
    retention_s: float | None = None,
    *,
    shm_bounds: dict[str, dict[str, Any]] | None = None,
    environment_limit: int | None = RUNTIME_DEFAULT_MAX_ENVIRONMENTS,
    warmup_s: float = 0.0,
    records: dict[str, Any] | None = None,
    working_sets: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The soak's checks; `records` is the end-of-run accounting (loadtest.soak_accounting), judged
    when it ran."""
    explicit = explicit_warmup_fraction(samples, warmup_s)
    warmup = max(memory_warmup_fraction(samples, retention_s), explicit)
    flow_warmup = max(WARMUP_FRACTION, explicit)
    memory = judge_memory(samples, warmup, shm_bounds, environment_limit, working_sets)
    lag_points = [(x["t"], max(x["lag_s"].values(), default=0.0)) for x in samples if "lag_s" in x]
    lag = (
        trend("max stream lag s", lag_points, absolute=LAG_TOLERANCE_S, warmup_fraction=flow_warmup).as_dict()
        if lag_points
        else None
    )
    if lag is not None:
        # shown, not judged: how far the consumers fell behind while warming up
        cutoff = lag_points[0][0] + flow_warmup * (lag_points[-1][0] - lag_points[0][0])
        lag["warmup_max"] = round(max((y for t, y in lag_points if t < cutoff), default=0.0), 3)
        lag["max"] = round(max(y for _, y in lag_points), 3)
    e2e_points = [tuple(p) for p in (load_report or {}).get("e2e_timeline", [])]
    e2e = (
        trend("e2e latency s", e2e_points, absolute=LAG_TOLERANCE_S, warmup_fraction=flow_warmup).as_dict()
        if e2e_points
        else None
    )
    with_dlqs = [x["dlqs"] for x in samples if "dlqs" in x]
    dlq_growth = {q: with_dlqs[-1].get(q, 0) - with_dlqs[0].get(q, 0) for q in with_dlqs[-1]} if with_dlqs else {}
    checks = {
        "memory flat": all(m["flat"] for m in memory.values()) if memory else None,
        "environments bounded": environments_bounded(memory),
        "lag flat": None if lag is None else lag["flat"],
        "e2e latency flat": None if e2e is None else e2e["flat"],
        "DLQs do not grow": None if not with_dlqs else sum(dlq_growth.values()) <= 0,
        "load service levels": None if load_report is None else bool(load_report.get("passed")),
        "records accounted for": (records or {}).get("passed"),
    }
    return {
        "records": records,
        "memory": memory,
        "memory_warmup_fraction": round(warmup, 3),
        "emulator_retention_s": retention_s,
        "warmup_s": warmup_s,
        "flow_warmup_fraction": round(flow_warmup, 3),
        "shm_bounds": shm_bounds or {},
        "working_sets": working_sets or {},
        "environment_limit_per_function": environment_limit,
        "lag": lag,
        "e2e": e2e,
        "dlq_growth": dlq_growth,
        "checks": checks,
        "passed": all(v is not False for v in checks.values()) and any(v is not None for v in checks.values()),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    target = resolve_target(args.target, project=args.project, env=args.env, endpoint=args.endpoint)
    state_dir = target.state_dir
    processes = stack_processes(state_dir) if state_dir else {}
    bounds = shm_bounds(state_dir, processes)
    limit = environment_limit(processes.get("aws"))
    queues = QueueProbe(target.client("sqs"), target.prefix)
    out_dir = (state_dir or config.state_dir()) / "soak"
    out_dir.mkdir(parents=True, exist_ok=True)
    load_report_path = out_dir / f"load-{int(time.time())}.json"
    snapshot_path = load_report_path.with_suffix(".live.json")
    retention_s = emulator_retention_s(state_dir)
    page = None if args.no_web else LivePage(f"soak {args.rate:g} rec/s", port=args.web_port).start()
    started = time.time()
    child = subprocess.Popen(
        _load_command(args, load_report_path),
        cwd=REPO_ROOT,
        env={**os.environ, SNAPSHOT_VARIABLE: str(snapshot_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    samples: list[dict[str, Any]] = []
    deadline = started + args.duration * 2 + 120  # the load run stops itself; this is a backstop
    try:
        with LiveView(enabled=not args.no_live) as view:
            while child.poll() is None and time.time() < deadline:
                sample = sample_stack(state_dir, queues, processes, started)
                figures = load_figures(read_snapshot(snapshot_path))
                if figures:
                    sample["load"] = figures
                samples.append(sample)
                if page:
                    page.publish(
                        live_charts.sections(
                            samples, args.rate, live_memory_verdict(samples, args, retention_s, bounds, limit)
                        )
                    )
                view.update(
                    {
                        "title": f"soak {args.rate:g} rec/s",
                        "elapsed_s": sample["t"],
                        "rss_mib": sample["rss_mib"],
                        "dlqs": sample.get("dlqs", {}),
                        "queues": sample.get("queues", {}),
                        "lag": sample.get("lag_s", {}),
                    }
                )
                time.sleep(min(args.sample_every, max(0.1, deadline - time.time())))
    finally:  # also on SIGTERM / Ctrl-C: the load run must not go on sending without its soak
        if child.poll() is None:
            child.terminate()
    output = child.communicate(timeout=30)[0]
    load_ended = time.time()
    samples.append(sample_stack(state_dir, queues, processes, started))
    load_report = json.loads(load_report_path.read_text()) if load_report_path.exists() else None
    records = (
        {"skipped_because": "--no-accounting", "passed": None}
        if args.no_accounting
        else account_run(target, load_report, started, load_ended, retention_s)
    )
    verdict = evaluate(
        samples,
        load_report,
        retention_s,
        shm_bounds=bounds,
        working_sets=working_set_bounds(vehicles_for_rate(args.rate)),
        environment_limit=limit,
        warmup_s=args.warmup,
        records=records,
    )
    if page:
        page.publish(live_charts.sections(samples, args.rate, verdict["memory"]), finished=True)
    return {
        "live_page": page.url if page else None,
        "settings": {
            **{k: v for k, v in vars(args).items() if k not in ("report", "html_dir")},
            "vehicles": vehicles_for_rate(args.rate),
            "processes": processes,
        },
        "load_exit_code": child.returncode,
        "load_output_tail": output.splitlines()[-15:],
        "load_report": str(load_report_path),
        "load": load_summary(load_report),
        "samples": samples,
        **verdict,
    }


# The load report's time series: the soak keeps its own samples and fits e2e_timeline in evaluate().
LOAD_SERIES = ("probe_samples", "e2e_timeline")


def load_summary(load_report: dict[str, Any] | None) -> dict[str, Any] | None:
    """The load run's figures (records, rates, percentiles, service levels) without its time series,
    kept in the soak report: the load report itself lives in the stack's state directory, which
    `harness down` removes."""
    if load_report is None:
        return None
    return {key: value for key, value in load_report.items() if key not in LOAD_SERIES}


def render_load(load: dict[str, Any]) -> list[str]:
    """The load run's summary, indented under the soak's (its own verdict is the soak's last check)."""
    return ["load run:"] + [f"  {line}" for line in render_summary(load).splitlines()[:-1]]


def render(report: dict[str, Any]) -> str:
    lines = [
        f"soak {report['settings']['rate']:g} rec/s ({report['settings']['vehicles']:,} vehicles) "
        f"for {report['settings']['duration']:g} s, {len(report['samples'])} samples"
    ]
    if report.get("warmup_s"):
        lines.append(
            f"warm-up --warmup {report['warmup_s']:g} s: lag and latency judged after the first "
            f"{report['flow_warmup_fraction']:.0%} of the run, memory after {report['memory_warmup_fraction']:.0%}"
        )
    if report.get("emulator_retention_s"):
        lines.append(
            f"emulator local retention {report['emulator_retention_s']:g} s: memory judged after the "
            f"first {report['memory_warmup_fraction']:.0%} of the run"
        )
    lines += render_memory(report["memory"])
    costs = sorted(x["memory_ms"] for x in report["samples"] if "memory_ms" in x)
    if costs:
        lines.append(f"memory sampling: median {costs[len(costs) // 2]:.1f} ms, max {costs[-1]:.1f} ms per sample")
    for key in ("lag", "e2e"):
        if report[key]:
            t = report[key]
            lines.append(
                f"{t['name']:<24} median {t['median']:>7.3f}  growth {t['growth']:>7.3f} "
                f"(tolerance {t['tolerance']})  {'flat' if t['flat'] else 'GROWING'}"
                + (f"; max {t['max']:g}, {t['warmup_max']:g} in the warm-up" if "max" in t else "")
            )
    lines.append(f"DLQ growth: {report['dlq_growth'] or 'no DLQs found'}")
    if report.get("load"):
        lines += render_load(report["load"])
    records = report.get("records") or {}
    if records.get("rows"):
        lines.append(
            f"accounting (after {records['settle_s']:g} s settling, records rebuilt in {records['rebuild_s']:g} s):"
        )
        lines += [f"  {line}" for line in render_accounting(records)]
    elif records.get("skipped_because"):
        lines.append(f"accounting: not done ({records['skipped_because']})")
    lines += [
        f"{name:<22} {'n/a' if ok is None else ('PASS' if ok else 'FAIL')}" for name, ok in report["checks"].items()
    ]
    lines.append("PASS" if report["passed"] else "FAIL")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    exit_on_sigterm()
    report = run(args)
    html = write_html(report, args.html_dir)
    print(f"HTML report: {html}", file=sys.stderr)
    return publish(
        report, args.report or Path(report["load_report"]).with_name(f"soak-{int(time.time())}.json"), render(report)
    )


def write_html(report: dict[str, Any], directory: Path) -> Path:
    """The soak's charts and verdict as one self-contained page under `directory` (reports/)."""
    checks = "".join(
        f"<tr class='{'' if ok is None else ('pass' if ok else 'fail')}'><td>{name}</td>"
        f"<td>{'n/a' if ok is None else ('PASS' if ok else 'FAIL')}</td></tr>"
        for name, ok in report["checks"].items()
    )
    verdict = (
        f"<p class='{'pass' if report['passed'] else 'fail'}' id='verdict'>{'PASS' if report['passed'] else 'FAIL'}</p>"
        f"<table id='checks'>{checks}</table><pre>{html_escape(render(report))}</pre>"
    )
    settings = report["settings"]
    page = live_charts.report_html(
        f"soak {settings['rate']:g} rec/s for {settings['duration']:g} s",
        live_charts.sections(report["samples"], settings["rate"], report["memory"]),
        verdict,
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"soak-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.html"
    path.write_text(page)
    return path


if __name__ == "__main__":
    sys.exit(main())
