"""CPU per record of the emulator's hot operations with the fast paths on and off, in one run.

    python -m benchmarks.fast_paths [--rounds 3] [--json PATH]

Starts two emulators side by side (`python -m harness.emulator --no-runtime` on free ports), one
with FLEETTAP_FAST_PATHS=on (json.dumps answers, cheroot keep-alive server) and one with it off
(moto's serializer, werkzeug), and in each round, alternating which goes first, makes the same
calls against each with payloads shaped like the fleet's:
- Kinesis PutRecords x500 (gps-sized JSON), GetRecords x100, DescribeStreamSummary (a request's
  fixed cost), DynamoDB BatchWriteItem x25 on a stream table (diagnostics-like) and on a table with
  a GSI (locations-like), DynamoDB Streams GetRecords x100;
- the client side as the Lambda environments make it (botocore parameter validation off when the
  fast paths are on, `harness.runtime.lambda_sdk_config`; one pooled client, so the keep-alive
  server keeps its connection).
Server CPU is the emulator process's utime+stime from /proc; client CPU is this process's
process_time. Then, in this process, a poller's shard read: `direct_reads` against boto3 over HTTP
to an in-process server (both sides are the emulator's CPU in the real stack).

Prints per operation: ms of server and client CPU per call and per record, on and off, and the
off/on ratio; then the emulator's CPU per pipeline record modelled from them with the pipeline's
mix (docs/benchmarks.md: 1/3 diagnostics read by 4 Kinesis readers and 1 stream reader, 2/3 gps
read by 1, one BatchWriteItem per 25 records), and `uptime` before and after.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

CLK_TCK = os.sysconf("SC_CLK_TCK")
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class Emulator:
    def __init__(self, fast: bool) -> None:
        self.fast = fast
        self.port = _free_port()
        self.state = tempfile.mkdtemp(prefix=f"fastpaths-{'on' if fast else 'off'}-")
        env = {**os.environ, "FLEETTAP_FAST_PATHS": "on" if fast else "off"}
        env.pop("AWS_ENDPOINT_URL", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harness.emulator",
                "--no-runtime",
                "--port",
                str(self.port),
                "--state-dir",
                self.state,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"emulator on port {self.port} did not start")
        config = Config(
            retries={"max_attempts": 1}, parameter_validation=not fast, max_pool_connections=4, read_timeout=120
        )
        self.clients: dict[str, Any] = {}
        for service in ("kinesis", "dynamodb", "dynamodbstreams"):
            self.clients[service] = boto3.client(
                service,
                endpoint_url=f"http://127.0.0.1:{self.port}",
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=config,
            )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


# ------------------------------------------------------------------------------ payloads


def _gps(index: int) -> bytes:
    record = {
        "vehicle_id": f"VH-{index:06d}",
        "type": "gps",
        "ts": "2026-12-06T22:00:00.000Z",
        "lat": 41.0 + random.random(),
        "lon": -87.0 - random.random(),
        "speed_kph": round(random.uniform(0, 110), 1),
        "heading": random.randint(0, 359),
        "odometer_km": round(random.uniform(1000, 400000), 1),
        "ignition": True,
        "fleet_id": "FL-0042",
        "driver_id": f"DR-{index:06d}",
        "hdop": 0.9,
        "satellites": 11,
    }
    return json.dumps(record).encode()


def _diagnostics_item(index: int) -> dict[str, Any]:
    signals = {name: {"N": str(round(random.uniform(0, 200), 2))} for name in _SIGNALS}
    return {
        "vehicle_id": {"S": f"VH-{index % 5000:06d}"},
        "ts": {"S": f"2026-12-06T22:{index // 600 % 60:02d}:{index // 10 % 60:02d}.{index % 1000:03d}Z"},
        "signals": {"M": signals},
        "fleet_id": {"S": "FL-0042"},
        "expires_at": {"N": "1796600000"},
    }


_SIGNALS = (
    "rpm coolant_c oil_pressure_kpa battery_v fuel_pct throttle_pct engine_load_pct "
    "intake_air_c def_pct brake_wear_pct tire_pressure_kpa"
).split()


def _location_item(index: int) -> dict[str, Any]:
    return {
        "vehicle_id": {"S": f"VH-{index:06d}"},
        "ts": {"S": "2026-12-06T22:00:00.000Z"},
        "lat": {"N": "41.8781"},
        "lon": {"N": "-87.6298"},
        "geohash5": {"S": f"dp3w{index % 32}"},
        "speed_kph": {"N": "63.2"},
        "heading": {"N": "181"},
        "odometer_km": {"N": "123456.7"},
        "fleet_id": {"S": "FL-0042"},
        "driver_id": {"S": f"DR-{index:06d}"},
        "ignition": {"BOOL": True},
        "expires_at": {"N": "1796600000"},
        "source": {"S": "gps"},
    }


# ------------------------------------------------------------------------------ setup and calls


class Workload:
    """The resources on one emulator and the calls to measure (each returns its record count)."""

    def __init__(self, emulator: Emulator) -> None:
        self.kinesis = emulator.clients["kinesis"]
        self.dynamodb = emulator.clients["dynamodb"]
        self.streams = emulator.clients["dynamodbstreams"]
        self.kinesis.create_stream(StreamName="bench-gps", ShardCount=1)
        self.arn = self.kinesis.describe_stream_summary(StreamName="bench-gps")["StreamDescriptionSummary"]["StreamARN"]
        self.shard = "shardId-000000000000"
        self.dynamodb.create_table(
            TableName="bench-diagnostics",
            KeySchema=[{"AttributeName": "vehicle_id", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "vehicle_id", "AttributeType": "S"},
                {"AttributeName": "ts", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        self.dynamodb.create_table(
            TableName="bench-locations",
            KeySchema=[{"AttributeName": "vehicle_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "vehicle_id", "AttributeType": "S"},
                {"AttributeName": "geohash5", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-geohash",
                    "KeySchema": [{"AttributeName": "geohash5", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.stream_arn = self.dynamodb.describe_table(TableName="bench-diagnostics")["Table"]["LatestStreamArn"]
        stream_shard = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]
        self.stream_shard = stream_shard["ShardId"]
        self._put_index = 0
        self._item_index = 0
        self._kinesis_iterator: str | None = None
        self._stream_iterator: str | None = None

    def put_records(self) -> int:
        start = self._put_index
        self._put_index += 500
        records = [{"Data": _gps(i), "PartitionKey": f"VH-{i:06d}"} for i in range(start, start + 500)]
        self.kinesis.put_records(StreamARN=self.arn, Records=records)
        return 500

    def get_records(self) -> int:
        if self._kinesis_iterator is None:
            self._kinesis_iterator = self.kinesis.get_shard_iterator(
                StreamARN=self.arn, ShardId=self.shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        page = self.kinesis.get_records(StreamARN=self.arn, ShardIterator=self._kinesis_iterator, Limit=100)
        self._kinesis_iterator = page["NextShardIterator"]
        return len(page["Records"])

    def describe(self) -> int:
        self.kinesis.describe_stream_summary(StreamARN=self.arn)
        return 1

    def batch_write_stream_table(self) -> int:
        start = self._item_index
        self._item_index += 25
        items = [{"PutRequest": {"Item": _diagnostics_item(i)}} for i in range(start, start + 25)]
        self.dynamodb.batch_write_item(RequestItems={"bench-diagnostics": items})
        return 25

    def batch_write_gsi_table(self) -> int:
        start = self._item_index
        self._item_index += 25
        items = [{"PutRequest": {"Item": _location_item(i)}} for i in range(start, start + 25)]
        self.dynamodb.batch_write_item(RequestItems={"bench-locations": items})
        return 25

    def stream_get_records(self) -> int:
        if self._stream_iterator is None:
            self._stream_iterator = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=self.stream_shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        page = self.streams.get_records(ShardIterator=self._stream_iterator, Limit=100)
        self._stream_iterator = page["NextShardIterator"]
        return len(page["Records"])


# (operation, calls per round); order matters: reads follow the writes that fill them.
OPERATIONS: list[tuple[str, int]] = [
    ("describe", 60),
    ("put_records", 12),
    ("get_records", 40),
    ("batch_write_stream_table", 40),
    ("batch_write_gsi_table", 40),
    ("stream_get_records", 8),
]


def _measure(emulator: Emulator, workload: Workload, operation: str, calls: int) -> dict[str, float]:
    call: Callable[[], int] = getattr(workload, operation)
    server_before, client_before = _cpu_s(emulator.process.pid), time.process_time()
    records = sum(call() for _ in range(calls))
    server = _cpu_s(emulator.process.pid) - server_before
    client = time.process_time() - client_before
    return {"calls": calls, "records": records, "server_s": server, "client_s": client}


# ------------------------------------------------------------------------------ poller reads


def _poller_reads(records: int = 2000, reads: int = 40) -> dict[str, dict[str, float]]:
    """A poller's Kinesis and Streams shard reads in the emulator's process: direct vs over HTTP.

    One in-process emulator (patches applied, moto's werkzeug server as the pollers used); CPU is
    this process's, so both the HTTP server's and the client's share are counted, as they are in
    the running emulator."""
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from harness.emulator import patches
    from harness.emulator.retry_replay import ReplayingMotoServer
    from harness.runtime.pollers.stream_sources import DynamoDBStreamSource, KinesisSource

    patches.apply_all()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ReplayingMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"

    fake = Emulator.__new__(Emulator)
    fake.clients = {
        service: boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        for service in ("kinesis", "dynamodb", "dynamodbstreams")
    }
    workload = Workload(fake)
    for _ in range(records // 500):
        workload.put_records()
    for _ in range(records // 25):
        workload.batch_write_stream_table()
    kinesis = KinesisSource(workload.arn, workload.shard, endpoint, REGION)
    stream = DynamoDBStreamSource(workload.stream_arn, workload.stream_shard, endpoint, REGION)
    results: dict[str, dict[str, float]] = {}
    for name, source in (("kinesis_read_x100", kinesis), ("stream_read_x100", stream)):
        for mode in ("on", "off"):
            os.environ["FLEETTAP_FAST_PATHS"] = mode
            iterator = source.iterator("TRIM_HORIZON", 0.0)
            before = time.process_time()
            got = 0
            for _ in range(reads):
                batch, next_iterator, _ = source.fetch(iterator, 100)
                got += len(batch)
                iterator = next_iterator or iterator
                if not batch:
                    iterator = source.iterator("TRIM_HORIZON", 0.0)
            spent = time.process_time() - before
            results.setdefault(name, {})[mode] = spent / got * 1000 if got else float("nan")
    os.environ.pop("FLEETTAP_FAST_PATHS", None)
    server.stop()
    return results


# ------------------------------------------------------------------------------ report


def _per_record_ms(rows: list[dict[str, float]], key: str) -> float:
    return sum(r[key] for r in rows) / max(1, sum(r["records"] for r in rows)) * 1000


def _per_call_ms(rows: list[dict[str, float]], key: str) -> float:
    return sum(r[key] for r in rows) / max(1, sum(r["calls"] for r in rows)) * 1000


def _model(per_record: dict[str, dict[str, float]], poller: dict[str, dict[str, float]], mode: str) -> float:
    """Emulator ms of CPU per pipeline record (hops as in the module docstring)."""
    put = per_record["put_records"][f"server_{mode}"]
    writes = (
        per_record["batch_write_stream_table"][f"server_{mode}"]
        + 2 * per_record["batch_write_gsi_table"][f"server_{mode}"]
    ) / 3
    kinesis_reads = 2 * poller["kinesis_read_x100"][mode]  # avg 2 readers per record (4 x 1/3 + 1 x 2/3)
    stream_reads = poller["stream_read_x100"][mode] / 3
    return put + writes + kinesis_reads + stream_reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    random.seed(7)
    load_before = _uptime()
    emulators = {"on": Emulator(fast=True), "off": Emulator(fast=False)}
    try:
        workloads = {mode: Workload(emulator) for mode, emulator in emulators.items()}
        rows: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_index in range(args.rounds):
            order = ("on", "off") if round_index % 2 == 0 else ("off", "on")
            for operation, calls in OPERATIONS:
                for mode in order:
                    rows.setdefault((operation, mode), []).append(
                        _measure(emulators[mode], workloads[mode], operation, calls)
                    )
    finally:
        for emulator in emulators.values():
            emulator.stop()
    poller = _poller_reads()
    load_after = _uptime()

    per_record: dict[str, dict[str, float]] = {}
    print(f"{'operation':28} {'server ms/call on':>18} {'off':>8} {'ratio':>6}   {'client ms/call on':>18} {'off':>8}")
    for operation, _ in OPERATIONS:
        entry: dict[str, float] = {}
        for mode in ("on", "off"):
            data = rows[(operation, mode)]
            entry[f"server_{mode}"] = _per_record_ms(data, "server_s")
            entry[f"client_{mode}"] = _per_record_ms(data, "client_s")
            entry[f"server_call_{mode}"] = _per_call_ms(data, "server_s")
            entry[f"client_call_{mode}"] = _per_call_ms(data, "client_s")
        per_record[operation] = entry
        ratio = entry["server_call_off"] / entry["server_call_on"] if entry["server_call_on"] else float("nan")
        print(
            f"{operation:28} {entry['server_call_on']:18.2f} {entry['server_call_off']:8.2f} {ratio:6.1f}   "
            f"{entry['client_call_on']:18.2f} {entry['client_call_off']:8.2f}"
        )
    for name, values in poller.items():
        ratio = values["off"] / values["on"] if values["on"] else float("nan")
        print(f"poller {name:21} ms/record direct {values['on']:.4f}  over HTTP {values['off']:.4f}  ratio {ratio:.1f}")
    model = {mode: _model(per_record, poller, mode) for mode in ("on", "off")}
    print(
        f"modelled emulator CPU per pipeline record: fast paths on {model['on']:.3f} ms, off {model['off']:.3f} ms "
        f"(ratio {model['off'] / model['on']:.1f})"
    )
    print(f"load before: {load_before}\nload after:  {load_after}")
    report = {
        "per_record_ms": per_record,
        "poller_ms_per_record": poller,
        "modelled_emulator_ms_per_record": model,
        "uptime_before": load_before,
        "uptime_after": load_after,
        "rounds": args.rounds,
        "note": "per-call and per-record figures are sums over all rounds (alternating order)",
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
