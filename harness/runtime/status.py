"""`python -m harness.runtime.status [--json]`: what the local runtime runs right now.

Functions (from the Lambda API), event source mappings with the poller numbers the emulator
writes to `<state_dir>/runtime/status.json` (lag per shard as MillisBehindLatest, invocations,
function errors, discarded records, and where the last batches' time went: age of a batch's
oldest record when the poller saw it, batching window spent, invoke), every queue's depth
(visible / in flight), and the CloudWatch alarms (DescribeAlarms: state, since when, reason) with
the local evaluator's notes (time compression, alarms it cannot evaluate or whose metric has no
local source) and its latest state changes.
The foundation's `harness status` can call `collect()` or `main()`.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from harness.config import state_dir
from harness.runtime.aws_clients import client
from harness.runtime.cli_support import resolve_endpoint
from harness.runtime.status_file import status_path


def source_label(arn: str) -> str:
    if ":dynamodb:" in arn:
        return arn.split(":table/")[1].split("/")[0] + " (stream)"
    if "/consumer/" in arn:  # enhanced fan-out: stream/<name>/consumer/<consumer>[:<created>]
        stream, consumer = arn.split(":stream/", 1)[1].split("/consumer/", 1)
        return f"{stream} (consumer {consumer.split(':')[0]})"
    return arn.split(":")[-1]


def collect(explicit_state_dir: str | None = None, endpoint: str | None = None) -> dict[str, Any]:
    endpoint, region = resolve_endpoint(explicit_state_dir, endpoint)
    lam, sqs = client("lambda", endpoint, region), client("sqs", endpoint, region)
    functions = [
        {
            "name": f["FunctionName"],
            "handler": f.get("Handler"),
            "memory_mb": f.get("MemorySize"),
            "timeout_s": f.get("Timeout"),
        }
        for page in lam.get_paginator("list_functions").paginate()
        for f in page["Functions"]
    ]
    mappings = [
        {
            "uuid": m["UUID"],
            "source": source_label(m["EventSourceArn"]),
            "source_arn": m["EventSourceArn"],
            "function": m["FunctionArn"].split(":")[-1],
            "state": m.get("State"),
            "batch_size": m.get("BatchSize"),
        }
        for page in lam.get_paginator("list_event_source_mappings").paginate()
        for m in page["EventSourceMappings"]
    ]
    pollers_file = status_path(state_dir(explicit_state_dir))
    pollers: dict[str, Any] = json.loads(pollers_file.read_text()) if pollers_file.exists() else {}
    by_uuid: dict[str, list] = {}
    for row in pollers.get("mappings", []):
        by_uuid.setdefault(row["uuid"], []).append(row)
    for mapping in mappings:
        mapping["pollers"] = by_uuid.get(mapping["uuid"], [])
    queues = []
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queues.append(
            {
                "name": url.rsplit("/", 1)[1],
                "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
                "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            }
        )
    age = time.time() - pollers["written_at"] if pollers.get("written_at") else None
    settings_file = state_dir(explicit_state_dir) / "emulator.json"
    settings = json.loads(settings_file.read_text()) if settings_file.exists() else {}
    cloudwatch = client("cloudwatch", endpoint, region)
    alarms = [
        {
            "name": a["AlarmName"],
            "state": a["StateValue"],
            "since": a.get("StateUpdatedTimestamp"),
            "reason": a.get("StateReason", ""),
        }
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
        for a in page["MetricAlarms"]
    ]
    return {
        "alarms": alarms,
        "alarm_evaluation": pollers.get("alarms") or {},
        "endpoint": endpoint,
        "iam_enforcement": settings.get("iam_enforcement"),
        "functions": functions,
        "mappings": mappings,
        "queues": queues,
        "runtime_status_age_s": age,
    }


def render(status: dict[str, Any]) -> str:
    lines = [f"emulator {status['endpoint']}"]
    age = status["runtime_status_age_s"]
    lines.append(
        "runtime: "
        + (
            "no status file (runtime not running?)"
            if age is None
            else f"status written {age:.0f} s ago" + (" (STALE)" if age > 10 else "")
        )
    )
    enforcement = status.get("iam_enforcement")
    lines.append(
        "IAM enforcement: "
        + {
            True: "on (each function runs with its execution role's credentials; its calls are authorized)",
            False: "OFF (FLEETTAP_IAM_ENFORCEMENT=off: role credentials, nothing authorized)",
        }.get(enforcement, "unknown (emulator started before it was recorded)")
    )
    lines.append(f"\nfunctions ({len(status['functions'])})")
    for f in sorted(status["functions"], key=lambda f: f["name"]):
        lines.append(f"  {f['name']:<40} {f['handler']:<45} {f['memory_mb']:>5} MB {f['timeout_s']:>4} s")
    lines.append(f"\nevent source mappings ({len(status['mappings'])})")
    for m in sorted(status["mappings"], key=lambda m: m["function"]):
        lines.append(f"  {m['source']:<40} -> {m['function']:<32} {m['state'] or '':<8} batch {m['batch_size']}")
        for p in m["pollers"]:
            if p.get("state_reason"):
                lines.append(f"      {p['shard']:<24} {p['state_reason']}")
            if "millis_behind_latest" in p:
                lines.append(
                    f"      {p['shard']:<24} lag {p['millis_behind_latest']:>7} ms  delivered "
                    f"{p['records_delivered']:>7}  invokes {p['invocations']:>6}  errors "
                    f"{p['function_errors']:>4}  discarded {p['discarded_records']:>4}  "
                    f"throttled {p.get('throttles', 0):>4}"
                )
                t = p.get("batch_timings") or {}
                if t:
                    lines.append(
                        f"      last {t['batches']} batches ({t['records_per_batch']} records each), ms p50/p95: "
                        f"seen {t['seen_p50_ms']:.0f}/{t['seen_p95_ms']:.0f}  window "
                        f"{t['gather_p50_ms']:.0f}/{t['gather_p95_ms']:.0f}  invoke "
                        f"{t['deliver_p50_ms']:.0f}/{t['deliver_p95_ms']:.0f}"
                    )
            else:
                lines.append(
                    f"      queue poller  invokes {p['invocations']:>6}  errors {p['function_errors']:>4}"
                    f"  deleted {p['messages_deleted']:>7}  throttled {p.get('throttles', 0):>4}"
                )
    lines.append(f"\nqueues ({len(status['queues'])})")
    for q in sorted(status["queues"], key=lambda q: q["name"]):
        lines.append(f"  {q['name']:<48} visible {q['visible']:>6}  in flight {q['in_flight']:>6}")
    lines.extend(render_alarms(status.get("alarms") or [], status.get("alarm_evaluation") or {}))
    return "\n".join(lines)


def render_alarms(alarms: list[dict[str, Any]], evaluation: dict[str, Any]) -> list[str]:
    compression = evaluation.get("time_compression", 1)
    clock = "real time" if compression in (1, 1.0) else f"time compressed x{compression}"
    lines = [f"\nalarms ({len(alarms)}, evaluated locally, {clock})"]
    notes = evaluation.get("notes") or {}
    for alarm in sorted(alarms, key=lambda a: a["name"]):
        since = alarm["since"].strftime("%H:%M:%S") if hasattr(alarm["since"], "strftime") else ""
        lines.append(f"  {alarm['name']:<48} {alarm['state']:<17} since {since}")
        lines.append(f"      {alarm['reason'][:150]}")
        if alarm["name"] in notes:
            lines.append(f"      local: {notes[alarm['name']]}")
    changes = evaluation.get("changes") or []
    if changes:
        lines.append("  recent state changes")
        for change in changes[-10:]:
            lines.append(f"    {change['at'][11:19]}  {change['alarm']:<48} {change['old']} -> {change['new']}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir")
    parser.add_argument("--endpoint")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    status = collect(args.state_dir, args.endpoint)
    print(json.dumps(status, indent=2, default=str) if args.json else render(status))


if __name__ == "__main__":
    main()
