"""One fault run on the local stack, and the suite: a fault-free baseline, then each fault.

A run: the stack's run data reset (`harness.reset`), observer queues on every topic, the
scenario's reference data seeded, the fleet streamed through the fault's transform into Kinesis
while its service fault is injected and healed on a timeline, the pipeline drained, the stores,
topics, API and DLQs read (`chaos.effects`), and the records accounted (`chaos.accounting`).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from chaos import effects, table, workload
from chaos.accounting import Row, account
from chaos.config import BASELINE, ChaosConfig
from chaos.faults import Fault, FaultContext, build
from chaos.faults.emulator import control
from chaos.faults.external_api import mock_control, notifications
from sim import aws

POLL_EVERY_S = 2.0


@dataclass
class SuiteResult:
    config: ChaosConfig
    rows: list[Row] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def stack_info():
    from harness.config import read_stack

    return read_stack()


class Progress:
    """How far the sending got (share of the workload's simulated time), for the fault timeline:
    under load the sending runs late, so faults follow the records, not the wall clock."""

    def __init__(self) -> None:
        self._share = 0.0
        self._done = False
        self._changed = threading.Condition()
        self.effects_seen = threading.Event()  # the first side effect reached a topic observer

    def wait_for_effects(self, timeout_s: float) -> None:
        self.effects_seen.wait(timeout_s)

    def advance(self, share: float) -> None:
        with self._changed:
            if share > self._share:
                self._share = share
                self._changed.notify_all()

    def finish(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def wait_for(self, share: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._done or self._share >= share)


def _timeline(fault: Fault, ctx: FaultContext, progress: Progress, errors: list) -> threading.Thread:
    """Inject at `fault_from` of the workload, heal at `fault_to` but no sooner than `fault_hold_s`
    after injecting (heal runs even when inject failed)."""

    def run() -> None:
        if fault.follows_effects:
            progress.wait_for_effects(ctx.config.drain_timeout_s)
        else:
            progress.wait_for(ctx.config.fault_from)
        try:
            began = time.monotonic()
            fault.inject(ctx)
            if not fault.follows_effects:
                progress.wait_for(ctx.config.fault_to)
            time.sleep(max(0.0, ctx.config.fault_hold_s - (time.monotonic() - began)))
        except Exception as error:  # reported in the row; heal still runs
            errors.append(f"inject: {error!r}")
        finally:
            try:
                fault.heal(ctx)
            except Exception as error:
                errors.append(f"heal: {error!r}")

    thread = threading.Thread(target=run, name=f"chaos-{fault.name}", daemon=True)
    thread.start()
    return thread


def _runtime_counters(state_dir) -> tuple[int, int]:
    """(a change counter of the local runtime's pollers, records its ESMs discarded) from status.json."""
    import json

    from harness.runtime.status_file import status_path

    try:
        mappings = json.loads(status_path(state_dir).read_text()).get("mappings", [])
    except (OSError, ValueError):
        return 0, 0
    activity = sum(int(m.get("invocations") or 0) + int(m.get("records_delivered") or 0) for m in mappings)
    return activity, sum(int(m.get("discarded_records") or 0) for m in mappings)


def _activity(stack, state_dir, env: str) -> Callable[[], int]:
    """A number that changes while the pipeline works: queue depths, the pollers' counters, and the
    asynchronous effects (SNS -> Lambda report writer, the notifier's API calls), which are not in
    the pollers' counters."""
    from scenario_runner.drain import queue_backlog, stack_queue_prefix

    sqs, s3 = aws.client("sqs"), aws.client("s3")
    prefix = stack_queue_prefix(env=env)

    def activity() -> int:
        return (
            queue_backlog(sqs, prefix)
            + _runtime_counters(state_dir)[0]
            + effects.report_versions(s3)
            + len(notifications(stack.mock_api_url))
        )

    return activity


def pending_messages(prefix: str) -> dict[str, int]:
    """The stack's consumer queues (DLQs and the runner's observer queues aside) that still hold
    messages, visible or in flight: queue name -> messages."""
    from scenario_runner.drain import queue_depths

    return {
        name: depth
        for name, depth in queue_depths(aws.client("sqs"), prefix).items()
        if depth and "dlq" not in name.lower() and "simobs-" not in name
    }


def settle_before_suite(config: ChaosConfig, log: Callable[[str], None] = print) -> bool:
    """Wait until the stack is idle before the first run: an interrupted earlier invocation (or a
    scenario) can leave records in the streams and retries in the pollers, and their effects would
    land in the baseline after its reset (a restored emulator resumes its pollers' checkpoints)."""
    from scenario_runner.drain import wait_until_settled

    stack = stack_info()
    began = time.monotonic()
    settled = wait_until_settled(
        lambda: 0,
        _activity(stack, Path(stack.state_dir), config.env),
        quiet_s=config.quiet_s,
        timeout_s=config.drain_timeout_s,
    )
    log(f"stack {'idle' if settled else 'STILL BUSY'} after {time.monotonic() - began:.0f} s; the runs begin")
    return settled


def run_fault(
    name: str, config: ChaosConfig, baseline: Counter | None, log: Callable[[str], None] = print
) -> tuple[Row, Counter]:
    """One run of fault `name` (or the baseline); returns its row and the side effects it saw."""
    from harness import reset
    from scenario_runner.drain import stack_queue_prefix, wait_until_settled
    from scenario_runner.observers import TopicObservers
    from scenario_runner.seeding import seed_scenario
    from sim.fleet import Fleet
    from sim.sinks.kinesis import KinesisSink

    stack = stack_info()
    state_dir = Path(stack.state_dir)
    control(stack.aws_endpoint, "DELETE")
    mock_control(stack.mock_api_url, "/admin/reset")
    project, _ = aws.project_and_env()
    reset.reset(project, config.env)
    # S3 stores LastModified to the second: a second's margin, and the reset wrote no report.
    run_began = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    fault = Fault() if name == BASELINE else build(name)
    ctx = FaultContext(config, random.Random(config.seed), stack, state_dir)
    observers = TopicObservers.from_environment(env=config.env)
    observers.start()
    errors: list[str] = []
    try:
        loaded = workload.scenario(config, time.time())
        seed_scenario(loaded, env=config.env)
        fleet = Fleet.build(loaded.fleet, seed=loaded.seed, injections=loaded.injections)
        kinesis = aws.client("kinesis")
        sink = KinesisSink(kinesis, aws.resolve_streams(kinesis, env=config.env), raise_on_failure=False)
        _, discarded_before = _runtime_counters(state_dir)
        factor = loaded.fleet.duration_s / config.send_span_s if config.send_span_s else None
        progress = Progress()
        timeline = _timeline(fault, ctx, progress, errors) if fault.acts_on_services else None
        sent = []
        began = last_poll = time.monotonic()
        try:
            for out in fault.transform(workload.outgoing(fleet, factor), ctx):
                sink.put(out.kind, out.items)
                sent.extend(out.records)
                progress.advance(out.t / loaded.fleet.duration_s)
                if time.monotonic() - last_poll > POLL_EVERY_S:
                    if observers.poll():
                        progress.effects_seen.set()
                    last_poll = time.monotonic()
        finally:
            progress.finish()
        send_s = time.monotonic() - began
        while timeline is not None and timeline.is_alive():  # a fault on the effects may start after the send
            if observers.poll():
                progress.effects_seen.set()
            timeline.join(1.0)
        settled = wait_until_settled(
            observers.poll,
            _activity(stack, state_dir, config.env),
            quiet_s=config.quiet_s,
            timeout_s=config.drain_timeout_s,
        )
        observed = effects.gather(stack, config.env, observers.messages, since=run_began)
        queued = pending_messages(stack_queue_prefix(env=config.env))
    finally:
        observers.stop()
        control(stack.aws_endpoint, "DELETE")
    row = account(name, sent, observed, baseline)
    _, discarded_after = _runtime_counters(state_dir)
    row.notes.extend(ctx.notes + errors)
    if sink.stats.failed:
        row.notes.append(f"simulator gave up on {sink.stats.failed} records")
    if discarded_after > discarded_before:
        row.notes.append(f"ESMs discarded {discarded_after - discarded_before} records")
    if not settled:
        row.notes.append(f"pipeline still busy after {config.drain_timeout_s:g} s")
    if queued:
        # Messages a consumer failed wait out the queue's visibility timeout (540 s) before their
        # retry: effects still to come, not lost ("effects missing" counts them until they land).
        row.notes.append("still queued at the end: " + ", ".join(f"{name} {n}" for name, n in sorted(queued.items())))
    row.notes.append(f"send {send_s:.0f} s")
    log(
        f"{name}: sent {row.sent}, once {row.exactly_once}, dlq {row.dead_lettered}, "
        f"lost {row.lost}, doubled {row.doubled}; {table.details(row)}"
    )
    return row, observed.effects


def split_run(name: str, default_scenario: str) -> tuple[str, str]:
    """ "fault@scenario" -> (fault, scenario); a bare fault runs on `default_scenario`."""
    fault, _, scenario = name.partition("@")
    return fault, scenario or default_scenario


def run_suite(config: ChaosConfig, log: Callable[[str], None] = print) -> SuiteResult:
    """Per workload scenario a fault-free baseline, then every fault of `config.faults` against it
    (a name "fault@scenario" runs on that scenario)."""
    result = SuiteResult(config)
    baselines: dict[str, Counter] = {}
    settle_before_suite(config, log)
    for name in config.faults:
        fault, scenario = split_run(name, config.scenario)
        run_config = replace(config, scenario=scenario)
        label = fault if scenario == config.scenario else f"{fault}@{scenario}"
        if scenario not in baselines:
            began = time.monotonic()
            base_row, baselines[scenario] = run_fault(BASELINE, run_config, None, log)
            base_row.fault = BASELINE if scenario == config.scenario else f"{BASELINE}@{scenario}"
            result.rows.append(base_row)
            result.seconds[base_row.fault] = time.monotonic() - began
        began = time.monotonic()
        row, _ = run_fault(fault, run_config, baselines[scenario], log)
        row.fault = label
        result.rows.append(row)
        result.seconds[label] = time.monotonic() - began
    return result
