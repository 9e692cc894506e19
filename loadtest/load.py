"""Load test: the simulator split over worker processes, sending to Kinesis on a wall-clock schedule.

    python -m loadtest.load --scenario fleet-234k --target local|aws [--workers N] [--shard i/N]
        [--duration S] [--rate-factor F] [--vehicles V] [--report PATH] [--no-live]

Each worker is one shard of the fleet (`Fleet.build(config, seed, shard=(k, total))`); with
`--shard i/N` this machine runs shards i*W .. i*W+W-1 of N*W, so N machines split one fleet.
Prints a live view while running, then a table and a JSON report (percentiles, service-level
verdicts, see loadtest/report.py). Exit code 0 when every measured service level passes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from harness.config import REPO_ROOT, state_dir
from loadtest import live_charts
from loadtest.lifeline import exit_on_sigterm, exit_with_parent
from loadtest.live_page import LivePage
from loadtest.live_view import LiveView
from loadtest.probe import (
    CanaryTracker,
    QueueProbe,
    function_lag_s,
    read_runtime_status,
    split_dlq,
    sqs_messages_done,
    stream_lag_s,
)
from loadtest.report import LoadAggregate, build_report, percentile, publish, render_summary
from loadtest.sampling import cpu_percent, cpu_sample, stack_processes
from loadtest.target import Target, resolve_target
from loadtest.worker import WorkerSpec, run_worker

START_GRACE_S = 0.5  # between "all workers ready" and the first due batch
E2E_DRAIN_S = 30.0  # how long to wait for the last canaries after sending stops


def parse_shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    shard = (int(index), int(count))
    if not 0 <= shard[0] < shard[1]:
        raise argparse.ArgumentTypeError(f"shard must be i/N with 0 <= i < N, got {text!r}")
    return shard


def _stream_override(text: str) -> tuple[str, str]:
    kind, _, name = text.partition("=")
    if kind not in ("gps", "diagnostics", "hos") or not name:
        raise argparse.ArgumentTypeError("expected gps|diagnostics|hos=STREAM_NAME")
    return kind, name


def _fleet_setting(text: str) -> tuple[str, Any]:
    import yaml

    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError("expected KEY=VALUE")
    parsed = yaml.safe_load(value)
    # YAML turns timestamps into datetime objects; the simulator's settings take the text.
    return key, value if hasattr(parsed, "isoformat") else parsed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario",
        default="fleet-234k",
        help="scenarios/<name>.yaml or a .yaml path: fleet settings, seed, injected conditions",
    )
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--shard", type=parse_shard, default=(0, 1), help="this machine's part, i/N")
    parser.add_argument("--duration", type=float, default=60.0, help="simulated seconds to send")
    parser.add_argument("--rate-factor", type=float, default=1.0, help="simulated seconds per wall second")
    parser.add_argument("--vehicles", type=int, help="override the scenario's fleet size")
    parser.add_argument(
        "--set",
        type=_fleet_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a fleet setting of the scenario (YAML value), e.g. "
        "emit_initial_status=false for a steady state without the power-up burst",
    )
    parser.add_argument("--seed", type=int, help="default: the scenario's seed")
    parser.add_argument(
        "--source",
        choices=("simulator", "fixed"),
        default="simulator",
        help="fixed = contract-shaped filler records, for harness tests only",
    )
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--endpoint", help="AWS endpoint (local: default from stack.json)")
    parser.add_argument(
        "--stream", type=_stream_override, action="append", default=[], metavar="KIND=NAME", help="stream name override"
    )
    parser.add_argument("--probe-every", type=float, default=2.0, help="seconds between stack probes")
    parser.add_argument("--no-e2e", action="store_true", help="skip canary end-to-end latency")
    parser.add_argument("--no-live", action="store_true", help="no live view (CI, logs)")
    parser.add_argument("--web-port", type=int, default=0, help="port of the live web page (default: a free one)")
    parser.add_argument("--no-web", action="store_true", help="no live web page and no HTML report")
    parser.add_argument(
        "--html-dir", type=Path, default=REPO_ROOT / "reports", help="where the HTML report goes (default reports/)"
    )
    parser.add_argument("--report", type=Path, help="report JSON path (default <state>/load/...)")
    return parser


def _worker_main(spec: WorkerSpec, reports: Any, ready: Any, start_value: Any, start_event: Any) -> None:
    exit_with_parent()

    def wait_for_start() -> float:
        ready.put(spec.worker)
        start_event.wait()
        return start_value.value

    try:
        run_worker(spec, reports, wait_for_start)
    except Exception as error:  # report instead of dying silently, so the coordinator can stop
        reports.put({"worker": spec.worker, "error": f"{type(error).__name__}: {error}"})
        raise


class StackProbe:
    """Queue/DLQ depths and runtime status, tolerant of a stack that is not (fully) there."""

    def __init__(self, target: Target) -> None:
        self.queues = QueueProbe(target.client("sqs"), target.prefix)
        self.state_dir = target.state_dir
        self.alert_queue_suffix = "fleet_manager_queue"
        self.errors: list[str] = []
        self._last_alerts: tuple[float, int] | None = None
        # CPU of the stack's own processes (local target) and of this machine's load workers.
        self.processes = stack_processes(target.state_dir) if target.state_dir else {}
        self._last_cpu: tuple[float, dict[str, float]] | None = None

    def watch(self, name: str, pid: int) -> None:
        self.processes[name] = pid

    def sample(self) -> dict[str, Any]:
        sample: dict[str, Any] = {"at": time.time()}
        try:
            sample["queues"], sample["dlqs"] = split_dlq(self.queues.depths())
        except Exception as error:
            self.errors.append(f"sqs: {error}")
        cpu = cpu_sample(self.processes)
        if self._last_cpu:
            at, before = self._last_cpu
            sample["cpu_pct"] = {k: round(v, 1) for k, v in cpu_percent(before, cpu, sample["at"] - at).items()}
        self._last_cpu = (sample["at"], cpu)
        status = read_runtime_status(self.state_dir)
        if status:
            sample["lag_s"] = stream_lag_s(status)
            sample["function_lag_s"] = function_lag_s(status)
            # Every alert reaches fleet_manager_queue (no filter), so its throughput is the alert rate.
            alerts = sqs_messages_done(status, self.alert_queue_suffix)
            if alerts is not None:
                if self._last_alerts:
                    at, count = self._last_alerts
                    sample["alert_rate"] = (alerts - count) / max(1e-6, sample["at"] - at)
                self._last_alerts = (sample["at"], alerts)
        return sample


def run(args: argparse.Namespace) -> dict[str, Any]:
    target = resolve_target(
        args.target, project=args.project, env=args.env, endpoint=args.endpoint, streams=dict(args.stream)
    )
    stream_names = _stream_names(target)
    overrides: dict[str, Any] = dict(args.set)
    if args.vehicles:
        overrides["vehicles"] = args.vehicles
    fleet_settings: dict[str, Any] = dict(overrides)
    if args.source == "simulator":
        from scenario_runner.scenario import load as load_scenario
        from sim.config import SimConfig

        scenario = load_scenario(args.scenario)  # fails here, not in every worker, when invalid
        fleet_settings = SimConfig.from_mapping({**scenario.fleet.__dict__, **overrides}).__dict__
    machine, machines = args.shard
    total_shards = machines * args.workers
    context = multiprocessing.get_context("spawn")
    reports, ready = context.Queue(), context.Queue()
    start_value, start_event = context.Value("d", 0.0), context.Event()
    specs = [
        WorkerSpec(
            worker=w,
            shard=(machine * args.workers + w, total_shards),
            source=args.source,
            scenario=args.scenario,
            overrides=overrides,
            seed=args.seed,
            duration_s=int(args.duration),
            rate_factor=args.rate_factor,
            stream_names=stream_names,
            endpoint=target.endpoint,
            region=target.region,
        )
        for w in range(args.workers)
    ]
    processes = [
        context.Process(
            target=_worker_main,
            args=(s, reports, ready, start_value, start_event),
            name=f"load-worker-{s.worker}",
            daemon=True,
        )
        for s in specs
    ]
    for process in processes:
        process.start()
    probe = StackProbe(target)
    for process in processes:
        probe.watch(process.name, process.pid)
    first_sample = probe.sample()
    build_started = time.time()
    loadavg_start = os.getloadavg()
    for _ in specs:
        _wait_ready(ready, processes)
    start_value.value = time.time() + START_GRACE_S
    start_event.set()
    aggregate = LoadAggregate(start_value.value, args.duration, args.rate_factor)
    tracker = None if args.no_e2e else CanaryTracker(target.client("dynamodb"), target.prefix)
    stop_canaries = threading.Event()
    if tracker:
        threading.Thread(target=_poll_canaries, args=(tracker, stop_canaries), daemon=True).start()
    errors: list[str] = []
    deadline = start_value.value + args.duration / args.rate_factor * 3 + 60
    next_probe = 0.0
    snapshot: dict[str, Any] = {"title": f"load {args.scenario} -> {args.target}"}
    page = None if args.no_web else LivePage(f"load {args.scenario} -> {args.target}", port=args.web_port).start()
    with LiveView(enabled=not args.no_live, page=page) as view:
        while len(aggregate.done_workers) < len(specs) and time.time() < deadline:
            _drain(reports, aggregate, tracker, errors, snapshot)
            if errors or not any(p.is_alive() for p in processes):
                _drain(reports, aggregate, tracker, errors, snapshot)
                break
            if time.time() >= next_probe:
                sample = probe.sample()
                aggregate.samples.append(sample)
                snapshot.update(
                    queues=sample.get("queues", {}), dlqs=sample.get("dlqs", {}), lag=sample.get("lag_s", {})
                )
                if "alert_rate" in sample:
                    snapshot["alert_rate"] = sample["alert_rate"]
                next_probe = time.time() + args.probe_every
            _refresh(snapshot, aggregate, tracker)
            view.update(snapshot)
        drain_until = time.time() + (E2E_DRAIN_S if tracker else 0)
        while tracker and tracker.pending() and time.time() < drain_until:
            _refresh(snapshot, aggregate, tracker)
            view.update(snapshot)
            time.sleep(0.5)
    stop_canaries.set()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
    last_sample = probe.sample()
    aggregate.samples.append(last_sample)
    settings = {k: v for k, v in vars(args).items() if k not in ("report", "stream", "set")}
    settings["fleet_settings"] = fleet_settings
    # Other work on the machine skews a local run: keep the load averages with the numbers.
    settings["loadavg_start"], settings["loadavg_end"] = loadavg_start, os.getloadavg()
    settings.update(
        target_endpoint=target.endpoint,
        total_shards=total_shards,
        vehicles=fleet_settings.get("vehicles"),
        build_s=round(start_value.value - build_started, 2),
    )
    e2e_measurable = tracker is not None and tracker.unavailable is None
    report = build_report(
        aggregate,
        e2e=tracker.latencies if e2e_measurable else None,
        e2e_missed=tracker.missed + tracker.pending() if e2e_measurable else 0,
        dlq_start=first_sample.get("dlqs", {}),
        dlq_end=last_sample.get("dlqs", {}),
        settings=settings,
    )
    report["errors"] = errors + probe.errors[:20]
    if tracker and tracker.unavailable:
        report["e2e_unavailable"] = tracker.unavailable
    if tracker:
        report["e2e_timeline"] = [
            (round(at - aggregate.start_at, 2), round(latency, 3)) for at, latency in tracker.timeline
        ]
    if errors or len(aggregate.done_workers) < len(specs):
        report["passed"] = False
    if page is not None:
        report["html_report"] = str(write_html(report, view.samples, args.html_dir, page))
        page.stop()  # the report holds the charts now; a sweep runs many loads in one process
    return report


def write_html(report: dict[str, Any], samples: list[dict[str, Any]], directory: Path, page: LivePage) -> Path:
    """The live page's charts and the printed summary as reports/load-<time>.html; the live page
    shows the run as finished."""
    from html import escape

    parts = live_charts.sections(samples)
    page.publish(parts, finished=True)
    verdict = (
        f"<p class='{'pass' if report['passed'] else 'fail'}' id='verdict'>{'PASS' if report['passed'] else 'FAIL'}</p>"
        f"<pre>{escape(render_summary(report))}</pre>"
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"load-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.html"
    path.write_text(live_charts.report_html(page.title, parts, verdict))
    return path


def _stream_names(target: Target) -> dict[str, str]:
    """`<project>-<env>-<kind>` when that stream exists, else sim.aws.resolve_streams (custom
    names); --stream overrides win."""
    from botocore.exceptions import ClientError

    from sim import aws

    names = dict(target.stream_overrides)
    kinesis = target.client("kinesis")
    for kind in ("gps", "diagnostics", "hos"):
        if kind in names:
            continue
        try:
            kinesis.describe_stream_summary(StreamName=f"{target.prefix}{kind}")
            names[kind] = f"{target.prefix}{kind}"
        except ClientError:
            return {**aws.resolve_streams(kinesis, target.project, target.env), **dict(target.stream_overrides)}
    return names


def _wait_ready(ready: Any, processes: list) -> None:
    while True:
        try:
            ready.get(timeout=1.0)
            return
        except queue.Empty:
            if not all(p.is_alive() for p in processes):
                raise SystemExit("a load worker died while building its fleet shard") from None


def _poll_canaries(tracker: CanaryTracker, stop: threading.Event) -> None:
    while not stop.is_set():
        tracker.poll_once()
        stop.wait(0.2)


def _drain(
    reports: Any, aggregate: LoadAggregate, tracker: CanaryTracker | None, errors: list[str], snapshot: dict[str, Any]
) -> None:
    deadline = time.time() + 0.5
    while time.time() < deadline:
        try:
            message = reports.get(timeout=0.1)
        except queue.Empty:
            return
        if "error" in message:
            errors.append(f"worker {message['worker']}: {message['error']}")
            continue
        aggregate.add(message)
        if tracker:
            tracker.add(message["canaries"])
        recent = snapshot.setdefault("_recent", {})
        for kind, count in message["sent"].items():
            recent.setdefault(kind, []).append((message["at"], count))


def _refresh(snapshot: dict[str, Any], aggregate: LoadAggregate, tracker: CanaryTracker | None) -> None:
    now = time.time()
    streams = {}
    for kind, samples in snapshot.get("_recent", {}).items():
        samples[:] = [(at, n) for at, n in samples if now - at <= 5.0]
        # Counts reported after the first sample in the window, over the time they span.
        span = samples[-1][0] - samples[0][0] if len(samples) > 1 else 0.0
        rate = sum(n for _, n in samples[1:]) / span if span > 0 else None
        streams[kind] = {"rate": rate, "sent": aggregate.sent[kind], "generated": aggregate.generated[kind]}
    snapshot.update(
        elapsed_s=now - aggregate.start_at,
        streams=streams,
        throttled=aggregate.throttled,
        dropped=aggregate.dropped,
        behind_s=max(aggregate.behind_s.values(), default=0.0),
    )
    if tracker:
        values = [v for vs in tracker.latencies.values() for v in vs]
        snapshot.update(
            e2e_p50_s=percentile(values, 50),
            e2e_p95_s=percentile(values, 95),
            e2e_p99_s=percentile(values, 99),
            e2e_pending=tracker.pending(),
        )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    exit_on_sigterm()  # then multiprocessing's exit handler stops the daemon workers
    report = run(args)
    return publish(
        report, args.report or state_dir() / "load" / f"report-{int(time.time())}.json", render_summary(report)
    )


if __name__ == "__main__":
    sys.exit(main())
