"""Run a scenario through the deployed wiring and check its outcomes (`make sim SCENARIO=...`).

    python -m scenario_runner --scenario hos-violation [--target local|aws] [--duration 2h] [--seed 7]
                      [--start 2026-11-23T00:00:00Z] [--rate 60] [--test] [--no-stack]

Local target: brings the embedded stack up if needed (`harness.services.up`) and applies the
Terraform stack to it (`harness.terraform.apply`). Then, for either target: observer queues on every
topic, the scenario's reference data seeded, the fleet streamed into Kinesis, the pipeline drained,
every expected outcome checked, a summary printed and an HTML report written under reports/.
Exit status 0 only when every outcome passed.

Timestamps: the pipeline accepts records up to 5 minutes ahead and 7 days behind its own clock, so
the simulated period is placed just before now: start = now - duration, or, for a scenario with a
fixed start, the same time of day on the latest day that ends before now, or, for a scenario with
`anchor: report-day`, on the DOT report day of the run (scenario_runner.report_anchor; its report run is started
with that run's firing time) (--start overrides). "Now" is sim.clock's: --now or FLEETTAP_NOW place
the run at another instant.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import EndpointConnectionError

from harness.config import ConfigError, StackNotRunning, read_stack, read_stack_data, state_dir
from scenario_runner import access_denials, alarms, report
from scenario_runner.drain import DrainReport, queue_backlog, queue_depths, stack_queue_prefix, wait_until_settled
from scenario_runner.observers import TopicObservers
from scenario_runner.outcomes import Observed, Outcome, check, passed
from scenario_runner.report_anchor import ReportDayPlacement, place_on_report_day
from scenario_runner.report_data import RunSeries, StoredData, latency_samples
from scenario_runner.scenario import Scenario, ScenarioError, UnknownScenario, load
from scenario_runner.seeding import seed_scenario
from sim import aws, clock
from sim.config import ending_now, latest_same_time_of_day, parse_duration  # noqa: F401 (re-exported)
from sim.fleet import Fleet
from sim.pacing import paced

TRACK_VEHICLES = 60
TRACK_EVERY_S = 60
POLL_EVERY_WALL_S = 2.0


@dataclass
class RunOptions:
    target: str = "local"
    env: str = "dev"
    duration_s: int | None = None
    seed: int | None = None
    start: str | None = None  # None: the simulated period ends now
    real_time_factor: float | None = None
    test_size: bool = False  # use the scenario's `test:` overrides
    manage_stack: bool = True  # local target: bring up and apply the stack first
    quiet_s: float = 20.0
    report_dir: Path = aws.REPO_ROOT / "reports"
    show_progress: bool = True
    fresh_state: bool = True  # local target: wipe run data first (harness.reset), see --keep-state
    now: float | None = None  # the run's instant (epoch s); None: sim.clock's now
    report_zones: tuple[str, ...] | None = None  # None: the deployed DOT function's REPORT_TIME_ZONES

    def instant(self) -> float:
        return self.now if self.now is not None else clock.now()


@dataclass
class RunResult:
    scenario: Scenario
    start: str
    stamp: str
    sink_stats: dict
    observed: Observed
    outcomes: list[Outcome]
    tracks: dict = field(default_factory=dict)
    latencies: dict = field(default_factory=dict)
    send_s: float = 0.0
    drain_s: float = 0.0
    sent_span_s: float = 0.0
    settled: bool = True
    report_path: Path | None = None
    sent_at: dict = field(default_factory=dict)  # simulated second -> wall time it was sent
    series: RunSeries | None = None  # send rate and lag over the run
    stored: StoredData | None = None  # what the stack stored (driver logs, positions) for the report
    first_sent_at: float | None = None  # wall time the first batch was sent

    @property
    def passed(self) -> bool:
        return self.settled and passed(self.outcomes)


def prepare(name: str, options: RunOptions) -> Scenario:
    now = options.instant()
    loaded = load(name, now=now)  # already anchored before now; placed again below for the run's duration
    if options.test_size:
        loaded = loaded.for_test()
    changes = {}
    if options.duration_s:
        changes["duration_s"] = options.duration_s
    duration_s = options.duration_s or loaded.fleet.duration_s
    if options.start:
        changes["start"] = options.start
    elif loaded.fixed_start:
        changes["start"] = latest_same_time_of_day(loaded.fleet.start, duration_s, now)
    else:
        changes["start"] = ending_now(duration_s, now)
    loaded.fleet = loaded.fleet.replace(**changes)
    if options.seed is not None:
        loaded.seed = options.seed
    if options.real_time_factor is not None:
        loaded.real_time_factor = options.real_time_factor
    return loaded


class StackFailed(RuntimeError):
    """The local stack could not be brought up or applied (exit status 3)."""


def ensure_local_stack(env: str, console=None) -> None:
    """The one bring-up for a scenario (`make sim` runs it through here): the stack up
    (`harness.services.up`, idempotent), Terraform init + apply against it (skipped when nothing
    changed since the last apply, a code update only when only the handlers did:
    `harness.terraform.ensure_applied`), the Aurora migrations and the reference data (thresholds,
    HOS rules, fuel benchmarks). Raises StackFailed with the reason."""
    import os

    from harness import migrate, seed, services, terraform  # the foundation's and infra's APIs
    from harness.config import ConfigError, StackNotRunning

    say = console.print if console is not None else (lambda text: print(text, file=sys.stderr))
    try:
        step = time.monotonic()
        info = services.up()
        os.environ.update(info.env())  # boto3 here and in child processes points at this stack
        say(f"services up ({time.monotonic() - step:.1f} s)")
        step = time.monotonic()
        terraform.init(env, info)
        decision = terraform.ensure_applied(env, info, on_progress=lambda line: say(f"  terraform: {line}"))
    except (services.ServiceError, StackNotRunning, ConfigError, terraform.TerraformError) as error:
        raise StackFailed(str(error)) from None
    say(f"infra: {decision.action} ({decision.reason}; {time.monotonic() - step:.1f} s)")
    step = time.monotonic()
    migrate.apply(info.postgres_dsn)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the result (--json)
        seeded = seed.main(["--env", env])
    if seeded not in (0, None):
        raise StackFailed("seeding the reference data failed (see above)")
    say(f"migrations and reference data ({time.monotonic() - step:.1f} s)")


def use_local_stack() -> None:
    """--no-stack: point boto3 (here and in child processes) at the stack already up in the state
    directory, unless AWS_ENDPOINT_URL already names the endpoint to use."""
    import os

    if not os.environ.get("AWS_ENDPOINT_URL"):
        os.environ.update(read_stack().env())


def run_scenario(
    loaded: Scenario,
    options: RunOptions,
    *,
    sink=None,
    after_send: Callable[[Scenario], None] | None = None,
    console=None,
) -> RunResult:
    from rich.console import Console

    console = console or Console(stderr=True)
    step = time.monotonic()
    if options.target == "local" and options.manage_stack:
        console.print("[bold]Bringing up and applying the local stack[/]")
        ensure_local_stack(options.env, console)
        console.print(f"stack ready ({time.monotonic() - step:.1f} s)")
    elif options.target == "local":
        use_local_stack()
    if loaded.anchor == "report-day" and not options.start:
        place_for_report(loaded, options, console)
    if sink is None:
        from sim.sinks.kinesis import KinesisSink

        kinesis = aws.client("kinesis")
        sink = KinesisSink(kinesis, aws.resolve_streams(kinesis, env=options.env))
    observers = TopicObservers.from_environment(env=options.env)
    log_mark = None
    try:
        step = time.monotonic()
        arns = observers.start()
        console.print(f"observing {len(arns)} topics ({time.monotonic() - step:.1f} s): {', '.join(sorted(arns))}")
        if options.target == "local" and options.fresh_state:
            step = time.monotonic()
            _reset_local_state(options.env, console)
            console.print(f"  ({time.monotonic() - step:.1f} s)")
        seeded = seed_scenario(loaded, env=options.env)
        if seeded:
            console.print(f"seeded {seeded}")
        # Function logs from here on are this run's: scanned at the end for calls AWS would refuse.
        log_mark = access_denials.LogMark.take(state_dir() / "logs") if options.target == "local" else None
        fleet = Fleet.build(loaded.fleet, seed=loaded.seed, injections=loaded.injections)
        series = RunSeries(state_dir() if options.target == "local" else None)
        tracks, sent_at, send_s = _send(fleet, sink, loaded, observers, options, console, series)
        if after_send is not None:
            after_send(loaded)
        began = time.monotonic()
        sqs = aws.client("sqs")

        def poll() -> int:
            series.sample(sink.stats.records)
            return observers.poll()

        def drained() -> bool:
            return wait_until_settled(
                poll,
                lambda: queue_backlog(sqs, stack_queue_prefix(env=options.env)),
                quiet_s=options.quiet_s,
                timeout_s=loaded.drain_timeout_s,
                on_wait=DrainReport(console, options.quiet_s, loaded.drain_timeout_s, sqs, options.env),
            )

        settled = drained()
        action_outcomes = []
        if loaded.after_send:
            # The actions stand for what happens once the day's telemetry is in (the nightly DOT
            # schedule), so they start only after the pipeline has processed every record.
            action_outcomes = [
                _after_send_action(action, console, loaded.drain_timeout_s, loaded.report_placement)
                for action in loaded.after_send
            ]
            settled = drained() and settled
        drain_s = time.monotonic() - began
        observed = gather(loaded, observers, sink, options)
        stored = _stored_for_report(loaded, options, console)
    finally:
        observers.stop()
    outcomes = check(loaded.expect, observed) + action_outcomes
    if log_mark is not None:
        denials = access_denials.scan(log_mark, aws.client("sqs"), stack_queue_prefix(env=options.env))
        outcomes.append(access_denials.outcome(denials))
    alarm_outcome = alarms.outcome(loaded.expect, observed.alarms)
    if alarm_outcome is not None:
        outcomes.append(alarm_outcome)
    if not settled:
        outcomes.append(Outcome("pipeline drained", False, f"still busy after {loaded.drain_timeout_s} s"))
    result = RunResult(
        loaded,
        loaded.fleet.start,
        time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
        _stats_dict(sink.stats),
        observed,
        outcomes,
        tracks,
        latencies(observed, sent_at, loaded.fleet.start_epoch_s, loaded.fleet.tick_s),
        send_s,
        drain_s,
        send_s,
        settled,
        sent_at=sent_at,
        series=series,
        stored=stored,
        first_sent_at=min(sent_at.values()) if sent_at else None,
    )
    result.report_path = report.write(result, options.report_dir)
    print_summary(result, console)
    return result


def _reset_local_state(env: str, console) -> None:
    from harness import reset

    project, _ = aws.project_and_env()
    summary = reset.reset(project, env)
    deleted = sum(summary["dynamodb_items_deleted"].values())
    console.print(
        f"fresh state: {deleted} DynamoDB items, {len(summary['postgres_tables_truncated'])} "
        f"Postgres tables, {summary['sqs_queues_emptied']} queues and Redis cleared; reference re-seeded"
    )


def _stored_for_report(loaded: Scenario, options: RunOptions, console) -> StoredData:
    """What the stack stored in the simulated period, for the report's grid and map; a failure to
    read it is a note in the report, not a failed run."""
    from scenario_runner.report_data import collect

    start = loaded.fleet.start_epoch_s
    try:
        return collect(options.env, start, start + loaded.fleet.duration_s)
    except Exception as error:  # the report must still be written
        console.print(f"[yellow]report: could not read stored data: {error}[/]")
        return StoredData(notes=[f"stored data not read: {error}"])


def _send(fleet: Fleet, sink, loaded: Scenario, observers, options, console, series: RunSeries | None = None):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    tracked = fleet.states[:TRACK_VEHICLES]
    tracks = {state.vehicle.vehicle_id: [] for state in tracked}
    sent_at: dict[int, float] = {}  # simulated second -> wall time it was sent
    began = time.monotonic()
    last_poll = began
    duration = loaded.fleet.duration_s
    series = series or RunSeries()
    series.sample(0)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not options.show_progress,
    ) as bar:
        task = bar.add_task(f"{loaded.name}", total=duration, stats="")
        for batch in paced(fleet.batches(), loaded.real_time_factor):
            sink.send(batch)
            sent_at[batch.t] = time.time()
            if len(sent_at) == 1:
                console.print(f"first record sent ({time.strftime('%H:%M:%S')})")
            if batch.t % TRACK_EVERY_S == 0:
                for state in tracked:
                    tracks[state.vehicle.vehicle_id].append((round(state.lat, 5), round(state.lon, 5)))
            if time.monotonic() - last_poll > POLL_EVERY_WALL_S:
                series.sample(sink.stats.records)
                observers.poll()
                last_poll = time.monotonic()
                seen = sum(len(m) for m in observers.messages.values())
                bar.update(task, completed=batch.t + 1, stats=f"{sink.stats.records} records, {seen} alerts")
        bar.update(task, completed=duration, stats=f"{sink.stats.records} records")
    series.sample(sink.stats.records)
    return tracks, sent_at, time.monotonic() - began


def place_for_report(loaded: Scenario, options: RunOptions, console) -> None:
    """Put the simulated period on the report day of the run (anchor "report-day")."""
    zones = options.report_zones or deployed_report_zones(options.env)
    placement = place_on_report_day(loaded.fleet.start, loaded.fleet.duration_s, options.instant(), zones)
    loaded.fleet = loaded.fleet.replace(start=placement.start)
    loaded.report_placement = placement
    console.print(
        f"report day {placement.day}: the fleet starts {placement.start}; "
        f"the report run fires as at {placement.fired_at_iso}"
    )


def deployed_report_zones(env: str, lambda_client=None) -> tuple[str, ...]:
    """The fleet time zones the deployed DOT reporting function decides its report day by."""
    name = aws.resource_name("dot-report", env=env)
    variables = (
        (lambda_client or aws.client("lambda"))
        .get_function_configuration(FunctionName=name)
        .get("Environment", {})
        .get("Variables", {})
    )
    zones = tuple(z for z in variables.get("REPORT_TIME_ZONES", "").split(",") if z)
    if not zones:
        raise LookupError(f"{name} has no REPORT_TIME_ZONES: apply the current infra/ first")
    return zones


def _execution_input(action: dict, placement: ReportDayPlacement | None) -> str:
    """The action's input; a report-day run gets the firing time, as the daily schedule's event has."""
    given = action.get("input", {})
    given = json.loads(given) if isinstance(given, str) else dict(given)
    if placement is None:
        return json.dumps(given)
    return json.dumps({"trigger": "scenario", "report_date": "yesterday", "time": placement.fired_at_iso, **given})


def _after_send_action(action: dict, console, timeout_s: float, placement: ReportDayPlacement | None = None) -> Outcome:
    """Run one after-send action to its end; the outcome says whether it succeeded."""
    if "start_execution" not in action:
        raise ValueError(f"unknown after_send action {action}")
    sfn = aws.client("stepfunctions")
    suffix = action["start_execution"]
    machines = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith(suffix)]
    if not machines:
        raise LookupError(f"no state machine ending in {suffix!r}")
    execution = sfn.start_execution(
        stateMachineArn=machines[0]["stateMachineArn"], input=_execution_input(action, placement)
    )["executionArn"]
    console.print(f"started {machines[0]['name']}")
    status, deadline = "RUNNING", time.monotonic() + timeout_s
    while status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(1.0)
        status = sfn.describe_execution(executionArn=execution)["status"]
    console.print(f"{machines[0]['name']}: {status}")
    return Outcome(f"execution {suffix}", status == "SUCCEEDED", f"{status} ({execution.rsplit(':', 1)[-1]})")


def gather(loaded: Scenario, observers: TopicObservers, sink, options: RunOptions) -> Observed:
    topics, alarm_changes = alarms.split(observers.messages)
    observed = Observed(topics=topics, sink=_stats_dict(sink.stats), alarms=alarm_changes)
    expect = loaded.expect
    if expect.get("dynamodb"):
        client = aws.client("dynamodb")
        for table in expect["dynamodb"]:
            observed.dynamodb[table] = _count_items(client, aws.resource_name(table, env=options.env))
    if expect.get("s3"):
        s3 = aws.client("s3")
        buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", []) if "report" in b["Name"]]
        for prefix in expect["s3"]:
            observed.s3[prefix] = sum(
                s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) for bucket in buckets
            )
    if expect.get("aurora"):
        observed.aurora.update(_aurora_counts(list(expect["aurora"])))
    if options.target == "local" and options.fresh_state:  # elsewhere DLQs may hold older messages
        observed.dead_letters = dead_letter_counts(aws.client("sqs"), stack_queue_prefix(env=options.env))
    return observed


def dead_letter_counts(sqs, prefix: str) -> dict:
    return {name[len(prefix) :]: depth for name, depth in queue_depths(sqs, prefix).items() if name.endswith("-dlq")}


def _count_items(client, table: str) -> int | None:
    try:
        total, kwargs = 0, {}
        while True:
            page = client.scan(TableName=table, Select="COUNT", **kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    except client.exceptions.ResourceNotFoundException:
        return None


def _aurora_counts(tables: list[str]) -> dict:
    """Row counts from the local Postgres in stack.json (Aurora locally)."""
    import psycopg
    from psycopg import sql

    pg = read_stack_data().get("postgres")
    if not pg:
        return {}
    counts = {}
    with psycopg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], password=pg["password"], dbname=pg["dbname"]
    ) as conn:
        for table in tables:
            counts[table] = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
    return counts


def latencies(observed: Observed, sent_at: dict, start_epoch_s: int, tick_s: int = 1) -> dict:
    """Per topic: p50/max seconds from sending the record a message names (by its ts) to seeing it."""
    return {
        topic: f"p50 {delays[len(delays) // 2]:.1f} s, max {delays[-1]:.1f} s (n={len(delays)})"
        for topic, delays in latency_samples(observed.topics, sent_at, start_epoch_s, tick_s).items()
    }


def _stats_dict(stats) -> dict:
    return {
        "records": stats.records,
        "bytes": stats.bytes,
        "by_kind": dict(stats.by_kind),
        "requests": stats.requests,
        "throttled": stats.throttled,
        "retries": stats.retries,
        "failed": stats.failed,
    }


def print_summary(result: RunResult, console) -> None:
    from rich.table import Table

    summary = Table(title=f"{result.scenario.name}: summary")
    summary.add_column("what")
    summary.add_column("value", justify="right")
    stats = result.sink_stats
    summary.add_row("records sent", str(stats["records"]))
    for kind, count in sorted(stats["by_kind"].items()):
        summary.add_row(f"  {kind}", str(count))
    summary.add_row("throttled / failed", f"{stats['throttled']} / {stats['failed']}")
    summary.add_row("send / drain", f"{result.send_s:.1f} s / {result.drain_s:.1f} s")
    for topic, messages in sorted(result.observed.topics.items()):
        summary.add_row(f"alerts {topic}", str(len(messages)))
    for topic, text in sorted(result.latencies.items()):
        summary.add_row(f"latency {topic}", text)
    for section in ("dynamodb", "aurora", "s3"):
        for name, count in sorted(getattr(result.observed, section).items()):
            summary.add_row(f"{section} {name}", str(count))
    console.print(summary)
    if result.observed.alarms:
        changes = Table(title="alarm state changes")
        for column in ("at", "alarm", "change", "reason"):
            changes.add_column(column)
        for change in result.observed.alarms:
            changes.add_row(
                change["at"] or "", change["alarm"], f"{change['old']} -> {change['new']}", change["reason"][:160]
            )
        console.print(changes)
    checks = Table(title="expected outcomes")
    for column in ("", "check", "detail"):
        checks.add_column(column)
    for outcome in result.outcomes:
        checks.add_row("[green]✓[/]" if outcome.ok else "[red]✗[/]", outcome.name, outcome.detail)
    console.print(checks)
    verdict = "[bold green]PASSED[/]" if result.passed else "[bold red]FAILED[/]"
    console.print(f"{verdict}  report: {result.report_path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--env", default=aws.DEFAULT_ENV)
    parser.add_argument("--duration", help="simulated duration, e.g. 90m, 2h")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--start", help="simulated start (ISO-8601 UTC); default: ends now")
    parser.add_argument("--rate", type=float, help="real-time factor (default: as fast as possible)")
    parser.add_argument("--test", action="store_true", help="the scenario's smaller test size")
    parser.add_argument("--no-stack", action="store_true", help="do not bring up/apply the local stack")
    parser.add_argument(
        "--now",
        type=clock.parse_instant,
        help=f"the run's instant, ISO-8601 with a zone (default: {clock.ENV_VAR} or the wall clock)",
    )
    parser.add_argument(
        "--keep-state",
        action="store_true",
        help="local target: keep what earlier runs left in the stack (default: start fresh)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the result as one JSON object on stdout (the rest goes to stderr)"
    )
    args = parser.parse_args(argv)
    began = time.time()
    try:
        options = RunOptions(
            target=args.target,
            env=args.env,
            duration_s=parse_duration(args.duration) if args.duration else None,
            seed=args.seed,
            start=args.start,
            real_time_factor=args.rate,
            test_size=args.test,
            manage_stack=not args.no_stack,
            fresh_state=not args.keep_state,
            now=args.now,
        )
        # The scenario is read and checked before anything is brought up or applied.
        loaded = prepare(args.scenario, options)
    except (UnknownScenario, ScenarioError, ValueError) as error:
        return _fail(EXIT_USAGE, error, args)
    try:
        result = run_scenario(loaded, options)
    except StackFailed as error:
        return _fail(EXIT_STACK, f"the local stack failed: {error}", args)
    except (StackNotRunning, ConfigError) as error:
        return _fail(EXIT_STACK if isinstance(error, StackNotRunning) else EXIT_USAGE, error, args)
    except (EndpointConnectionError, ConnectionError) as error:
        return _fail(EXIT_STACK, f"the stack stopped answering: {error}", args)
    code = EXIT_PASSED if result.passed else EXIT_MISSED
    if args.json:
        print(json.dumps(result_json(result, code, began), indent=2, default=str))
    return code


# Exit status, for CI (docs/contracts.md, "Exit codes").
EXIT_PASSED, EXIT_MISSED, EXIT_USAGE, EXIT_STACK = 0, 1, 2, 3


def _fail(code: int, error, args) -> int:
    print(f"scenario_runner: {error}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"scenario": args.scenario, "passed": False, "exit_code": code, "error": str(error)}))
    return code


def result_json(result: RunResult, code: int, began: float) -> dict:
    """The run as the runner's --json prints it."""
    return {
        "scenario": result.scenario.name,
        "passed": result.passed,
        "exit_code": code,
        "start": result.start,
        "outcomes": [{"name": o.name, "ok": o.ok, "detail": o.detail} for o in result.outcomes],
        "records": result.sink_stats,
        "alerts": {topic: len(messages) for topic, messages in sorted(result.observed.topics.items())},
        "latency": result.latencies,
        "send_s": round(result.send_s, 3),
        "drain_s": round(result.drain_s, 3),
        "settled": result.settled,
        "started_at": began,
        "first_record_sent_at": result.first_sent_at,
        "seconds_to_first_record": round(result.first_sent_at - began, 3) if result.first_sent_at else None,
        "report": str(result.report_path) if result.report_path else None,
    }


if __name__ == "__main__":
    sys.exit(main())
