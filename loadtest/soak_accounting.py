"""After a soak's load run: let the pipeline settle, then account for every record it sent.

Contract: `account_run(target, load_report, run_started, load_ended, retention_s) -> dict`, the
accounting (loadtest.accounting: rows, passed) plus `settle_s` and `rebuild_s`, for a local
simulator run; when there is nothing to account for (TARGET=aws, the fixed filler source, no load
report), `{"skipped_because": <reason>, "passed": None}`.

Settling: every Kinesis consumer's lag (the runtime's status, loadtest.probe.stream_lag_s) at most
CAUGHT_UP_S in two samples in a row, then one Firehose buffer interval so the last diagnostics
reach the lake; at most SETTLE_TIMEOUT_S (what is still on its way by then counts as missing).
The records are then rebuilt (loadtest.sent_records) and the stores read (loadtest.held_records);
the tail counted in the emulator's telemetry tables is what its retention still holds, less a
margin for the time the reading takes.
"""

from __future__ import annotations

import time
from typing import Any

from loadtest import accounting
from loadtest.probe import read_runtime_status, stream_lag_s

CAUGHT_UP_S = 5.0
SETTLE_TIMEOUT_S = 600.0
SETTLE_POLL_S = 5.0
RETENTION_MARGIN_S = 120.0  # rebuilding and reading take time, during which the tail keeps ageing
DEFAULT_BUFFER_S = 60


def firehose_buffer_s(firehose: Any, prefix: str) -> int:
    """The diagnostics archive's buffering interval (infra/*.tfvars buffer_interval_s)."""
    try:
        stream = firehose.describe_delivery_stream(DeliveryStreamName=f"{prefix}diagnostics-archive")
    except firehose.exceptions.ResourceNotFoundException:  # no archive: nothing to wait for beyond the default
        return DEFAULT_BUFFER_S
    for destination in stream["DeliveryStreamDescription"].get("Destinations", []):
        hints = (destination.get("ExtendedS3DestinationDescription") or {}).get("BufferingHints") or {}
        if "IntervalInSeconds" in hints:
            return int(hints["IntervalInSeconds"])
    return DEFAULT_BUFFER_S


def settle(state_dir: Any, buffer_s: float, timeout_s: float = SETTLE_TIMEOUT_S, sleep=time.sleep) -> float:
    """Seconds waited until the consumers caught up and one buffer interval passed (or the timeout)."""
    started = time.time()
    caught_up = 0
    while time.time() - started < timeout_s and caught_up < 2:
        lag = stream_lag_s(read_runtime_status(state_dir))
        caught_up = caught_up + 1 if lag and max(lag.values()) <= CAUGHT_UP_S else 0
        if caught_up < 2:
            sleep(SETTLE_POLL_S)
    sleep(max(0.0, min(buffer_s + 15.0, timeout_s - (time.time() - started))))
    return round(time.time() - started, 1)


def account_run(
    target: Any, load_report: dict[str, Any] | None, run_started: float, load_ended: float, retention_s: float | None
) -> dict[str, Any]:
    settings = (load_report or {}).get("settings") or {}
    reason = (
        "not a local run"
        if target.kind != "local" or target.state_dir is None
        else "no load report"
        if not load_report
        else "the fixed filler source"
        if settings.get("source") != "simulator"
        else None
    )
    if reason:
        return {"skipped_because": reason, "passed": None}
    from harness.config import read_stack
    from loadtest.held_records import gather
    from loadtest.sent_records import rebuild

    stack = read_stack(target.state_dir)
    settle_s = settle(target.state_dir, firehose_buffer_s(stack.admin_client("firehose"), target.prefix))
    rebuilding = time.time()
    sent = rebuild(settings)
    rebuild_s = round(time.time() - rebuilding, 1)
    tail_s = sent.duration_s if not retention_s else retention_s - (time.time() - load_ended) - RETENTION_MARGIN_S
    held = gather(stack, target.prefix, sent, run_started, min(tail_s, sent.duration_s))
    return {**accounting.account(sent, held), "settle_s": settle_s, "rebuild_s": rebuild_s}


def main(argv: list[str] | None = None) -> int:
    """Account for a finished load run on the local stack: `python -m loadtest.soak_accounting
    <state>/soak/load-<time>.json`. The tails are counted only while the emulator still holds them."""
    import argparse
    import json
    import os
    from pathlib import Path

    from loadtest.accounting import render
    from loadtest.soak import emulator_retention_s
    from loadtest.target import resolve_target

    parser = argparse.ArgumentParser(prog="python -m loadtest.soak_accounting", description=main.__doc__)
    parser.add_argument("load_report", type=Path)
    parser.add_argument(
        "--started", type=float, help="epoch s the run started (default: the report time - duration - 120 s)"
    )
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    args = parser.parse_args(argv)
    report = json.loads(args.load_report.read_text())
    ended = os.path.getmtime(args.load_report)
    started = args.started or ended - float(report["settings"]["duration"]) - 120
    target = resolve_target("local", project=args.project, env=args.env)
    result = account_run(target, report, started, ended, emulator_retention_s(target.state_dir))
    print("\n".join(render(result) if result.get("rows") else [f"not accounted: {result['skipped_because']}"]))
    print("PASS" if result.get("passed") else "FAIL")
    return 0 if result.get("passed") else 1


if __name__ == "__main__":
    raise SystemExit(main())
