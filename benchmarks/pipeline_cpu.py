"""CPU per pipeline record of each part of a running local stack, and per Lambda function.

    python -m benchmarks.pipeline_cpu --seconds 120 [--state-dir DIR] [--json PATH] [--write-measured]

Run it while load flows (`make soak`, `make load`): it reads the CPU counters (utime+stime, /proc)
of the stack's processes at the start and end of the window:
- the emulator process on its own (its threads: moto, the runtime's pollers, the Firehose reader);
- each local Lambda function: the sum over its execution environments (worker_main.py children of
  the emulator, `loadtest.sampling`; an environment that exits inside the window loses its share);
- Redis, PostgreSQL (postmaster and backends), the mock API;
- the load generator (processes running `loadtest`), when one runs;
and the pipeline records in the window: the records read from the Kinesis streams (per stream, the
largest `records_delivered` among its mappings in `<state>/runtime/status.json`).

Prints ms of CPU per pipeline record per part and per function, with `uptime`. With
--write-measured the per-function figures go to `benchmarks/data/lambda_cpu_per_record.json`, which
`benchmarks.lambda_cost` turns into prod cost per million records.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.config import state_dir as resolve_state_dir
from loadtest.sampling import ENVIRONMENT_SCRIPT, children_map, descendants, stack_processes

CLK_TCK = os.sysconf("SC_CLK_TCK")
MEASURED_PATH = Path(__file__).resolve().parent / "data" / "lambda_cpu_per_record.json"
_CODE_DIR = re.compile(r"^(?P<name>.+)-[0-9a-f]{16}$")


def _cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _function_of(pid: int) -> str | None:
    argv = [a for a in _cmdline(pid) if a]
    if not any(a.endswith(ENVIRONMENT_SCRIPT) for a in argv) or len(argv) < 2:
        return None
    match = _CODE_DIR.match(Path(argv[-2]).name)
    return match.group("name") if match else None


def snapshot(state: Path) -> dict[str, dict[int, float]]:
    """part -> {pid: CPU seconds} for every process of the stack (and the load generator)."""
    children = children_map()
    parts: dict[str, dict[int, float]] = defaultdict(dict)
    for service, pid in stack_processes(state).items():
        tree = [pid, *descendants(pid, children)]
        for member in tree:
            function = _function_of(member) if member != pid else None
            part = f"lambda:{function}" if function else service
            cpu = _cpu_s(member)
            if cpu is not None:
                parts[part][member] = cpu
    for entry in os.listdir("/proc"):
        if entry.isdigit() and any("loadtest" in arg for arg in _cmdline(int(entry))):
            cpu = _cpu_s(int(entry))
            if cpu is not None:
                parts["load generator"][int(entry)] = cpu
    return parts


def pipeline_records(state: Path) -> dict[str, int]:
    """Kinesis stream -> records read from it so far (its busiest mapping's count)."""
    document = json.loads((state / "runtime" / "status.json").read_text())
    per_stream: dict[str, int] = {}
    for row in document.get("mappings", []):
        source = row.get("source", "")
        if ":kinesis:" in source:
            per_stream[source] = max(per_stream.get(source, 0), int(row.get("records_delivered") or 0))
    return per_stream


def measure(state: Path, seconds: float) -> dict[str, Any]:
    uptime_before = _uptime()
    records_before, cpu_before = pipeline_records(state), snapshot(state)
    time.sleep(seconds)
    records_after, cpu_after = pipeline_records(state), snapshot(state)
    records = sum(records_after.get(k, 0) - records_before.get(k, 0) for k in records_after)
    per_part: dict[str, float] = {}
    for part, pids in cpu_after.items():
        before = cpu_before.get(part, {})
        # A process that started inside the window counts from 0; one that ended is lost.
        per_part[part] = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
    return {
        "seconds": seconds,
        "records": records,
        "records_per_s": round(records / seconds, 1),
        "cpu_s": {k: round(v, 3) for k, v in sorted(per_part.items())},
        "ms_per_record": {k: round(v / records * 1000, 4) if records else None for k, v in sorted(per_part.items())},
        "uptime_before": uptime_before,
        "uptime_after": _uptime(),
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['records']} pipeline records in {result['seconds']:.0f} s ({result['records_per_s']}/s)"]
    total = 0.0
    for part, value in sorted(result["ms_per_record"].items(), key=lambda kv: -(kv[1] or 0)):
        lines.append(f"  {part:40} {value if value is not None else '-':>8} ms CPU/record")
        total += value or 0.0
    lambdas = sum(v or 0.0 for k, v in result["ms_per_record"].items() if k.startswith("lambda:"))
    lines.append(f"  {'all Lambda environments':40} {lambdas:8.4f}")
    lines.append(f"  {'total':40} {total:8.4f}")
    lines.append(f"load: {result['uptime_before']} -> {result['uptime_after']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--state-dir")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write-measured", action="store_true")
    args = parser.parse_args()
    state = resolve_state_dir(args.state_dir)
    result = measure(Path(state), args.seconds)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.write_measured:
        functions = {
            part.split(":", 1)[1]: value
            for part, value in result["ms_per_record"].items()
            if part.startswith("lambda:") and value is not None
        }
        MEASURED_PATH.parent.mkdir(parents=True, exist_ok=True)
        MEASURED_PATH.write_text(
            json.dumps(
                {
                    "what": "local CPU ms per pipeline record (Kinesis record) per Lambda function",
                    "command": f"python -m benchmarks.pipeline_cpu --seconds {args.seconds:g} --write-measured",
                    "records_per_s": result["records_per_s"],
                    "uptime": result["uptime_after"],
                    "cpu_ms_per_record": functions,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {MEASURED_PATH}")


if __name__ == "__main__":
    main()
