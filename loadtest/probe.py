"""What the target stack is doing while load runs, read without CloudWatch.

- Queue depths (and DLQ depths) from SQS `GetQueueAttributes` on the project's queues.
- Consumer lag per stream and processed alerts from the local runtime's status file
  (`<state_dir>/runtime/status.json`, written by harness/runtime/status_file.py).
- End-to-end latency from canaries: a sampled record counts as arrived when its item exists in
  DynamoDB (diagnostics -> vehicle_diagnostics, gps -> vehicle_locations, keyed by vehicle_id and
  the record's timestamp in epoch ms, as docs/contracts.md defines the tables).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANARY_TABLE_SUFFIX = {"diagnostics": "vehicle_diagnostics", "gps": "vehicle_locations"}


def ts_to_epoch_ms(ts: str) -> int:
    moment = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(round(moment.timestamp() * 1000))


class QueueProbe:
    def __init__(self, sqs: Any, prefix: str) -> None:
        self.sqs = sqs
        self.prefix = prefix
        self._urls: list[str] | None = None

    def urls(self) -> list[str]:
        if self._urls is None:
            self._urls = self.sqs.list_queues(QueueNamePrefix=self.prefix).get("QueueUrls", [])
        return self._urls

    def depths(self) -> dict[str, int]:
        depths: dict[str, int] = {}
        for url in self.urls():
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            depths[url.rsplit("/", 1)[-1]] = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
                attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
            )
        return depths


def split_dlq(depths: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    queues = {k: v for k, v in depths.items() if not k.endswith("-dlq")}
    dlqs = {k: v for k, v in depths.items() if k.endswith("-dlq")}
    return queues, dlqs


RUNTIME_STATUS_STALE_S = 10.0  # the runtime rewrites its status every 2 s


def read_runtime_status(state_dir: Path | None) -> dict[str, Any] | None:
    """`<state_dir>/runtime/status.json` written by the local runtime, if present and fresh."""
    if state_dir is None:
        return None
    path = Path(state_dir) / "runtime" / "status.json"
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if time.time() - float(document.get("written_at", 0)) > RUNTIME_STATUS_STALE_S:
        return None
    return document


def _arn_name(arn: str) -> str:
    """'arn:aws:kinesis:...:stream/fleettap-dev-gps' -> 'fleettap-dev-gps'; ':function:x' -> 'x'."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def stream_lag_s(status: dict[str, Any] | None) -> dict[str, float]:
    """Worst consumer lag per Kinesis stream (seconds behind latest, over shards and functions)."""
    lag: dict[str, float] = {}
    for row in (status or {}).get("mappings", []):
        behind = row.get("millis_behind_latest")
        if behind is None or ":kinesis:" not in str(row.get("source", "")):
            continue
        stream = _arn_name(str(row["source"]))
        lag[stream] = max(lag.get(stream, 0.0), float(behind) / 1000)
    return lag


def function_lag_s(status: dict[str, Any] | None) -> dict[str, float]:
    """Worst lag per Kinesis consumer, keyed "<stream> -> <function>": names the slow consumer."""
    lag: dict[str, float] = {}
    for row in (status or {}).get("mappings", []):
        behind = row.get("millis_behind_latest")
        if behind is None or ":kinesis:" not in str(row.get("source", "")):
            continue
        key = f"{_arn_name(str(row['source']))} -> {_arn_name(str(row.get('function', '')))}"
        lag[key] = max(lag.get(key, 0.0), float(behind) / 1000)
    return lag


def sqs_messages_done(status: dict[str, Any] | None, queue_suffix: str) -> int | None:
    """Messages the runtime's SQS pollers deleted (processed) from queues ending in `queue_suffix`."""

    def normal(name: str) -> str:  # Terraform may spell queue names with '-' or '_'
        return name.replace("-", "_")

    rows = [
        row
        for row in (status or {}).get("mappings", [])
        if ":sqs:" in str(row.get("source", ""))
        and normal(_arn_name(str(row["source"]))).endswith(normal(queue_suffix))
    ]
    if not rows:
        return None
    return sum(int(row.get("messages_deleted") or 0) for row in rows)


@dataclass
class CanaryTracker:
    """Polls DynamoDB for sampled records until they appear; latencies in seconds."""

    dynamodb: Any
    table_prefix: str
    timeout_s: float = 60.0
    max_pending: int = 200
    latencies: dict[str, list[float]] = field(default_factory=dict)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (sent_at, latency_s)
    missed: int = 0
    unavailable: str | None = None  # why latency cannot be measured (tables not deployed)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, canaries: list[dict[str, Any]]) -> None:
        with self._lock:
            if self.unavailable:
                return
            room = self.max_pending - len(self._pending)
            self._pending.extend(canaries[: max(0, room)])

    def pending(self) -> int:
        return len(self._pending)

    def poll_once(self, now: float | None = None) -> None:
        with self._lock:
            pending = list(self._pending)
        still: list[dict[str, Any]] = []
        for canary in pending:
            table = f"{self.table_prefix}{CANARY_TABLE_SUFFIX[canary['kind']]}"
            key = {"vehicle_id": {"S": canary["vehicle_id"]}, "timestamp": {"N": str(ts_to_epoch_ms(canary["ts"]))}}
            try:
                found = "Item" in self.dynamodb.get_item(TableName=table, Key=key, ProjectionExpression="vehicle_id")
            except Exception as error:
                if "ResourceNotFound" in type(error).__name__ or "ResourceNotFound" in str(error):
                    # Kinesis-only target: nothing consumes the records, so there is no latency.
                    with self._lock:
                        self.unavailable = f"table {table} not found"
                        self._pending = []
                    return
                found = False  # throttled or transient: not arrived yet
            seen_at = now or time.time()
            if found:
                latency = max(0.0, seen_at - canary["sent_at"])
                self.latencies.setdefault(canary["kind"], []).append(latency)
                self.timeline.append((canary["sent_at"], latency))
            elif seen_at - canary["sent_at"] > self.timeout_s:
                self.missed += 1
            else:
                still.append(canary)
        with self._lock:
            done = {id(c) for c in pending}
            self._pending = still + [c for c in self._pending if id(c) not in done]
