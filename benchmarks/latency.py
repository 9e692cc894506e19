"""Latency and throughput of the deployed pipeline on the local stack:
`python -m benchmarks.latency [--records 1000] [--rate 50] [--throughput-records 3000]`.

Needs a running stack with the dev stack applied (`make up && make apply TARGET=local`).

1. Latency: `--records` overheating diagnostics records (one per vehicle, coolant 121 °C, which the
   default thresholds grade critical) are put on the diagnostics stream with PutRecords at
   `--rate` records/s. Each travels Kinesis -> processor -> vehicle_diagnostics -> stream ->
   anomaly detector -> vehicle-alerts -> SQS. A benchmark queue subscribed to vehicle-alerts with
   the fleet-manager subscription's settings (all severities, envelope delivery) receives the
   alert at the same moment as the deployed queues (moto delivers SNS -> SQS synchronously); the
   latency is SQS `SentTimestamp` minus the moment the PutRecords call that carried it returned.
   The benchmark queue is drained while the records are put, as a consumer would drain it (moto's
   SendMessage costs O(messages in the queue), so a queue left to fill would slow the very
   deliveries being measured).
2. Throughput: `--throughput-records` healthy diagnostics records are put as fast as PutRecords
   allows; records/s = count / time until the anomaly detector's DynamoDB-stream mapping (the
   last stage of the diagnostics chain) has delivered all of them, read from the runtime's
   status file (written every 2 s, so the figure is conservative by up to 2 s).
Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.config import state_dir
from harness.runtime.aws_clients import client
from harness.runtime.cli_support import resolve_endpoint
from harness.runtime.delivery_policies import allow_topic_to_send
from harness.runtime.status_file import status_path
from harness.runtime.telemetry_samples import diagnostics

BENCH_VEHICLE_BASE = 900_000  # vehicle ids no scenario uses


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    rank = max(0, math.ceil(fraction * len(ordered)) - 1)
    return ordered[rank]


def find_stream(kinesis: Any, suffix: str) -> str:
    for name in kinesis.list_streams()["StreamNames"]:
        if name.endswith(suffix):
            return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    raise SystemExit(f"no Kinesis stream ending in {suffix!r}: is the stack applied?")


def find_topic(sns: Any, suffix: str) -> str:
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].endswith(suffix):
                return topic["TopicArn"]
    raise SystemExit(f"no SNS topic ending in {suffix!r}")


def put_paced(kinesis: Any, stream_arn: str, records: list[dict], rate: float, chunk: int) -> dict[str, float]:
    """PutRecords in chunks at `rate` records/s; returns vehicle_id -> time the call returned."""
    put_at: dict[str, float] = {}
    started = time.time()
    for offset in range(0, len(records), chunk):
        batch = records[offset : offset + chunk]
        due = started + offset / rate
        if due > time.time():
            time.sleep(due - time.time())
        response = kinesis.put_records(
            StreamARN=stream_arn,
            Records=[{"Data": json.dumps(r).encode(), "PartitionKey": r["vehicle_id"]} for r in batch],
        )
        if response.get("FailedRecordCount"):
            raise RuntimeError(f"{response['FailedRecordCount']} records rejected by PutRecords")
        returned = time.time()
        for record in batch:
            put_at[record["vehicle_id"]] = returned
    return put_at


def collect_alerts(
    sqs: Any, queue_url: str, wanted: set[str], timeout_s: float, puts_done: threading.Event | None = None
) -> dict[str, float]:
    """vehicle_id -> SentTimestamp (s) of its first alert in the benchmark queue; waits up to
    `timeout_s` after `puts_done` is set (at once when it is None)."""
    arrived: dict[str, float] = {}
    deadline = None
    while len(arrived) < len(wanted):
        if puts_done is None or puts_done.is_set():
            if deadline is None:
                deadline = time.time() + timeout_s
            elif time.time() >= deadline:
                break
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["SentTimestamp"]
        )
        messages = response.get("Messages", [])
        for message in messages:
            alert = json.loads(json.loads(message["Body"])["Message"])
            vehicle = alert.get("vehicle_id")
            if vehicle in wanted and vehicle not in arrived:
                arrived[vehicle] = int(message["Attributes"]["SentTimestamp"]) / 1000
        if messages:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
    return arrived


def measure_latency(endpoint: str, region: str, count: int, rate: float) -> dict[str, Any]:
    kinesis, sns, sqs = (client(s, endpoint, region) for s in ("kinesis", "sns", "sqs"))
    stream_arn = find_stream(kinesis, "-diagnostics")
    topic_arn = find_topic(sns, "-vehicle-alerts")
    queue_url = sqs.create_queue(QueueName=f"bench-alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_topic_to_send(sqs, queue_url, queue_arn, topic_arn)
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    try:
        now = dt.datetime.now(dt.UTC)
        # Fresh vehicles every run: the detector de-duplicates alerts per vehicle and rule.
        offset = uuid.uuid4().int % 40_000
        records = [
            diagnostics(BENCH_VEHICLE_BASE + (offset + i) % 49_000, now, coolant_temp_c=121.0) for i in range(count)
        ]
        wanted = {record["vehicle_id"] for record in records}
        puts_done = threading.Event()
        with ThreadPoolExecutor(max_workers=1) as collector:
            collecting = collector.submit(
                collect_alerts, client("sqs", endpoint, region), queue_url, wanted, 120, puts_done
            )
            try:
                put_at = put_paced(kinesis, stream_arn, records, rate, chunk=max(1, int(rate / 10)))
            finally:
                puts_done.set()
            arrived = collecting.result()
    finally:
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=queue_url)
    latencies = [arrived[v] - put_at[v] for v in arrived]
    if not latencies:
        return {"records": count, "alerts": 0}
    return {
        "records": count,
        "rate_rps": rate,
        "alerts": len(latencies),
        "p50_s": round(percentile(latencies, 0.50), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
    }


def _anomaly_delivered(status_file) -> int:
    if not status_file.exists():
        return 0
    rows = json.loads(status_file.read_text()).get("mappings", [])
    return sum(
        r.get("records_delivered", 0)
        for r in rows
        if ":dynamodb:" in r["source"] and r["function"].endswith("-anomaly")
    )


def measure_throughput(endpoint: str, region: str, count: int, status_file) -> dict[str, Any]:
    kinesis = client("kinesis", endpoint, region)
    stream_arn = find_stream(kinesis, "-diagnostics")
    baseline = _anomaly_delivered(status_file)
    now = dt.datetime.now(dt.UTC)
    records = [
        diagnostics(BENCH_VEHICLE_BASE + 50_000 + i % 20_000, now + dt.timedelta(milliseconds=i)) for i in range(count)
    ]
    started = time.time()
    for offset in range(0, count, 500):
        batch = records[offset : offset + 500]
        kinesis.put_records(
            StreamARN=stream_arn,
            Records=[{"Data": json.dumps(r).encode(), "PartitionKey": r["vehicle_id"]} for r in batch],
        )
    put_s = time.time() - started
    deadline = started + 600
    while _anomaly_delivered(status_file) - baseline < count and time.time() < deadline:
        time.sleep(0.5)
    elapsed = time.time() - started
    delivered = _anomaly_delivered(status_file) - baseline
    return {
        "records": count,
        "put_s": round(put_s, 2),
        "pipeline_s": round(elapsed, 2),
        "delivered_to_last_stage": delivered,
        "records_per_s": round(delivered / elapsed, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1000, help="0 skips the latency run")
    parser.add_argument("--rate", type=float, default=50.0, help="records/s for the latency run")
    parser.add_argument("--throughput-records", type=int, default=3000, help="0 skips the throughput run")
    parser.add_argument("--state-dir")
    parser.add_argument("--endpoint")
    args = parser.parse_args(argv)
    endpoint, region = resolve_endpoint(args.state_dir, args.endpoint)
    summary = {"latency": measure_latency(endpoint, region, args.records, args.rate)} if args.records else {}
    if args.throughput_records:
        summary["throughput"] = measure_throughput(
            endpoint, region, args.throughput_records, status_path(state_dir(args.state_dir))
        )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
