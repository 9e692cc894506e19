"""The DOT daily report at fleet scale on the local stack:
`python -m benchmarks.dot_full_scale --drivers 234000 [--fail 3] [--state-dir DIR] [--seed-threads 4]`.

Needs a running, applied local stack (`make up && make apply TARGET=local ENV=dev`, or a private one:
`FLEETTAP_STATE_DIR=...`), with Lambda's timeout, memory and concurrency enforced (the default).

1. Seeds `--drivers` drivers of a new fleet, written to the stores directly (not streamed): a row each
   in Aurora `drivers` (home terminals spread over the deployed REPORT_TIME_ZONES) and a day of
   duty-status records each in DynamoDB `driver_logs` (BatchWriteItem): ON, driving, OFF on the report
   day in the driver's zone, every 10th driver with 12 h of driving (an 11-hour violation).
   `--fail K` adds K drivers whose home terminal zone does not exist: their reports fail, are retried
   and end in the failures report, and the day completes for the others.
2. Starts the deployed DOT state machine for that fleet and day and waits for it.
3. Prints wall time, the map run (child executions = shards), the summary, and from the function's
   log (REPORT lines) the number of invocations, their durations and Max Memory Used, with the
   function's configured timeout, memory and reserved concurrency, and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from harness.config import read_stack

BAD_ZONE = "Mars/Olympus_Mons"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dot_full_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--drivers", type=int, default=234_000)
    parser.add_argument("--fail", type=int, default=3, help="drivers whose report fails (unknown home zone)")
    parser.add_argument("--state-dir", default=os.environ.get("FLEETTAP_STATE_DIR"))
    parser.add_argument("--seed-threads", type=int, default=4)
    parser.add_argument("--timeout-s", type=float, default=86_400, help="give up waiting after this long")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def _client(info, service: str):
    return info.admin_client(service)


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def _items(driver_id: str, fleet: str, zone: str, day: dt.date, violating: bool) -> list[dict]:
    tz = ZoneInfo(zone) if zone != BAD_ZONE else ZoneInfo("UTC")
    shifts = (("ON", 6, 0), ("D", 6, 15), ("OFF", 18, 30) if violating else ("OFF", 14, 0))
    out = []
    for status, hh, mm in shifts:
        at = dt.datetime.combine(day, dt.time(hh, mm), tz)
        out.append(
            {
                "PutRequest": {
                    "Item": {
                        "driver_id": {"S": driver_id},
                        "event_time": {"N": str(int(at.timestamp() * 1000))},
                        "vehicle_id": {"S": f"VH-{driver_id[-6:]}"},
                        "fleet_id": {"S": fleet},
                        "status": {"S": status},
                        "cycle": {"S": "70/8"},
                        "time_zone": {"S": zone},
                        "ruleset": {"S": "us-property"},
                    }
                }
            }
        )
    return out


def seed(info, table: str, fleet: str, day: dt.date, zones: list[str], drivers: int, fail: int, threads: int) -> list:
    ids = [f"BD-{fleet[-6:]}-{i:06d}" for i in range(drivers + fail)]
    zone_of = {d: (BAD_ZONE if i >= drivers else zones[i % len(zones)]) for i, d in enumerate(ids)}
    with psycopg.connect(info.postgres_dsn, autocommit=True) as conn, conn.cursor() as cur:
        with cur.copy("COPY drivers (driver_id, fleet_id, name, home_time_zone) FROM STDIN") as copy:
            for d in ids:
                copy.write_row((d, fleet, f"Bench {d}", zone_of[d]))
    ddb = _client(info, "dynamodb")
    requests = [r for i, d in enumerate(ids) for r in _items(d, fleet, zone_of[d], day, i % 10 == 0)]
    batches = [requests[i : i + 25] for i in range(0, len(requests), 25)]

    def write(batch: list) -> None:
        pending = {table: batch}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(write, batches))
    return ids


def _reports(log: Path, offset: int) -> list[tuple[float, float]]:
    """(duration ms, max memory used MB) of each REPORT line written after `offset`."""
    out = []
    with log.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            text = line.decode(errors="replace")
            if "REPORT RequestId" in text and "Max Memory Used" in text:
                duration = float(text.split("Duration: ")[1].split(" ")[0])
                memory = float(text.split("Max Memory Used: ")[1].split(" ")[0])
                out.append((duration, memory))
    return out


def _summary(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "n": len(values),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max": round(ordered[-1], 1),
    }


def _memory_by_step(reports: list[tuple[float, float]]) -> dict:
    """Max Memory Used per step of the one dot_report function, for a run that completed: its first
    REPORT line is gather's and its last publish_summary's (each runs once, before and after every
    shard); the rest are report_driver's. Max Memory Used is the environment's high-water mark, so the
    environment that ran the gather reports the gather's peak for its later report_driver calls too:
    the median is report_driver's own, the max is that environment's."""
    if len(reports) < 3:
        return {}
    drivers = [m for _, m in reports[1:-1]]
    return {
        "gather": reports[0][1],
        "report_driver_median": statistics.median(drivers),
        "report_driver_max": max(drivers),
        "publish_summary": reports[-1][1],
    }


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    info = read_stack(Path(args.state_dir) if args.state_dir else None)
    sfn, lam = _client(info, "stepfunctions"), _client(info, "lambda")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith("-dot-reporting"))
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"])
    drivers_map = definition["States"]["ReportDrivers"]
    batch = drivers_map["ItemBatcher"]["MaxItemsPerBatch"]
    prefix = machine["name"].removesuffix("-dot-reporting")
    function = lam.get_function(FunctionName=f"{prefix}-dot-report")
    config = function["Configuration"]
    env = config["Environment"]["Variables"]
    zones = env["REPORT_TIME_ZONES"].split(",")
    reserved = function.get("Concurrency", {}).get("ReservedConcurrentExecutions")
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    fleet = f"BENCH-{uuid.uuid4().hex[:6]}"
    load_before = _load()

    started = time.monotonic()
    seed(info, env["DRIVER_LOGS_TABLE"], fleet, day, zones, args.drivers, args.fail, args.seed_threads)
    seed_s = time.monotonic() - started
    print(f"seeded {args.drivers + args.fail} drivers ({args.fail} failing) in {seed_s:.0f} s", flush=True)

    log = Path(info.state_dir) / "logs" / f"{config['FunctionName']}.log"
    offset = log.stat().st_size if log.exists() else 0
    started = time.monotonic()
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        name=f"bench-{fleet}",
        input=json.dumps({"report_date": day.isoformat(), "fleet_id": fleet}),
    )["executionArn"]
    peak_load, last_progress = 0.0, started
    while True:
        done = sfn.describe_execution(executionArn=execution)
        peak_load = max(peak_load, os.getloadavg()[0])
        if done["status"] != "RUNNING":
            break
        if time.monotonic() - started > args.timeout_s:  # partial: stop it, report how far it got
            sfn.stop_execution(executionArn=execution, error="BenchmarkTimeout", cause="--timeout-s reached")
            break
        if time.monotonic() - last_progress >= 60:
            last_progress = time.monotonic()
            so_far = _reports(log, offset) if log.exists() else []
            print(
                f"{time.monotonic() - started:.0f} s: {len(so_far)} invocations, max memory "
                f"{max((m for _, m in so_far), default=0):.0f} MB, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        time.sleep(5)
    wall_s = time.monotonic() - started
    reports = _reports(log, offset) if log.exists() else []
    output = json.loads(done.get("output") or "{}")
    total = args.drivers + args.fail
    result = {
        "drivers": args.drivers,
        "failing_drivers": args.fail,
        "report_date": day.isoformat(),
        "status": done["status"],
        "error": done.get("error"),
        "wall_s": round(wall_s, 1),
        "drivers_per_s": round(total / wall_s, 2) if wall_s else None,
        "seed_s": round(seed_s, 1),
        "child_executions": math.ceil(total / batch),
        "shard_size": batch,
        "map_max_concurrency": drivers_map.get("MaxConcurrency"),
        "driver_concurrency": drivers_map["ItemProcessor"]["States"]["ReportShard"].get("MaxConcurrency"),
        "summary": output,
        "function": {
            "name": config["FunctionName"],
            "timeout_s": config["Timeout"],
            "memory_mb": config["MemorySize"],
            "reserved_concurrency": reserved,
            "invocations": len(reports),
            "duration_ms": _summary([d for d, _ in reports]),
            "gather_ms": reports[0][0] if reports else None,
            "publish_summary_ms": reports[-1][0] if reports else None,
            "max_memory_used_mb": max((m for _, m in reports), default=None),
            "max_memory_used_mb_by_step": _memory_by_step(reports) if done["status"] == "SUCCEEDED" else {},
        },
        "load_before": load_before,
        "peak_load_1m": round(peak_load, 2),
        "load_after": _load(),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if done["status"] == "SUCCEEDED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
