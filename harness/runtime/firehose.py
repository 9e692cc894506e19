"""Firehose delivery streams with a Kinesis source, run locally (moto stores them but never reads the
source stream).

Per delivery stream: read every shard of the source stream from when the delivery stream was
created (Firehose starts at LATEST), buffer until `BufferingHints` size or interval, then:
1. the transformation Lambda of `ProcessingConfiguration` (Firehose's event/response contract:
   `records[].recordId/data`, results `Ok`/`Dropped`/`ProcessingFailed`, `metadata.partitionKeys`),
   invoked per processor buffer as Firehose does: runs of records whose data adds up to at most the
   processor's `BufferSizeInMBs` (default 1 MB), each as soon as it is full (what is left at delivery
   goes then), not the whole delivery buffer at once when it is delivered;
2. dynamic partitioning: partition keys from the Lambda's metadata or `MetadataExtraction` queries,
   the S3 `Prefix` expressions evaluated per record, one object per resolved prefix;
3. `DataFormatConversionConfiguration`: Parquet written with the Glue table's columns (pyarrow);
4. failed records to `ErrorOutputPrefix` as JSON lines.
`FLEETTAP_FIREHOSE_MAX_BUFFER_S` (unset by default) caps the buffering interval for tests only.

Firehose acts with the delivery stream's roles (`harness.runtime.service_roles`): the source role
must allow kinesis:DescribeStream(Summary), GetShardIterator, GetRecords and ListShards on the stream
(and kms:Decrypt on its key), else nothing is read and the records stay in the stream; the
destination role must allow s3:PutObject in the bucket (kms:GenerateDataKey on its key) and, for
Parquet, glue:GetTable/GetTableVersion(s) on the catalog, database and table, else the buffer is kept
and delivery retried (as Firehose retries S3 and schema errors); and lambda:InvokeFunction and
GetFunctionConfiguration on the transformation function, else the batch goes to the error prefix as
`Lambda.InvokeAccessDenied`. Each refusal is logged with the role, action and resource.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.emulator.authorization import AccessDenied
from harness.runtime import metrics, service_roles
from harness.runtime.aws_clients import client
from harness.runtime.concurrency import Throttled
from harness.runtime.firehose_format import (
    default_prefix,
    extract_query_keys,
    glue_schema,
    resolve_prefix,
    to_parquet,
)
from harness.runtime.pollers import direct_reads

log = logging.getLogger(__name__)

REFRESH_S = 5.0
TRANSFORM_THROTTLE_RETRIES = 3
POLL_S = 1.0  # Firehose buffers for >= 60 s anyway; polling less leaves the emulator to the functions
SOURCE_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    "kinesis:ListShards",
]


def _parameters(processor: dict[str, Any]) -> dict[str, str]:
    return {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters", [])}


# Firehose's Lambda processor buffers 0.2-3 MB of records per invocation, 1 MB by default (AWS docs,
# "Data transformation"); the delivery buffer (BufferingHints, up to 128 MB) is not one invocation.
# Invoking with the whole 60-second buffer failed at 500 diagnostics/s: 30,000 records, 24 MB,
# Runtime.OutOfMemory at 256 MB and Function.ResponseSizeTooLarge (docs/benchmarks.md).
DEFAULT_PROCESSOR_BUFFER_MB = 1.0


def processor_buffer_bytes(parameters: dict[str, str]) -> float:
    """A Lambda processor's buffer size in bytes (`BufferSizeInMBs`, default 1 MB)."""
    return float(parameters.get("BufferSizeInMBs", DEFAULT_PROCESSOR_BUFFER_MB)) * 1024 * 1024


def _row_bytes(row: dict[str, Any]) -> int:
    return len(row["data"])


def _entry_bytes(entry: dict[str, Any]) -> int:
    """A buffer entry's size: its Kinesis record's data."""
    return len(entry["record"]["Data"])


def processor_buffers(
    rows: list[dict[str, Any]], limit_bytes: float, size: Callable[[dict[str, Any]], int] = _row_bytes
) -> list[list[dict[str, Any]]]:
    """`rows` in order, in runs whose `size` adds up to at most `limit_bytes` (a longer row alone)."""
    runs: list[list[dict[str, Any]]] = []
    total = 0
    for row in rows:
        if runs and total + size(row) <= limit_bytes:
            runs[-1].append(row)
            total += size(row)
        else:
            runs.append([row])
            total = size(row)
    return runs


class DeliveryStreamRunner:
    """Reads the source shards, buffers and delivers for one delivery stream."""

    def __init__(self, description: dict[str, Any], endpoint: str, region: str, functions: Any) -> None:
        self.name = description["DeliveryStreamName"]
        self.arn = description["DeliveryStreamARN"]
        source = description["Source"]["KinesisStreamSourceDescription"]
        self.stream_arn = source["KinesisStreamARN"]
        self.source_role = source.get("RoleARN", "")
        self.destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
        self.role = self.destination.get("RoleARN", "")
        self.version = description.get("VersionId", "1")
        created = description.get("CreateTimestamp")
        self.created_s = created.timestamp() if isinstance(created, dt.datetime) else time.time()
        self._endpoint, self._region, self._functions = endpoint, region, functions
        self._kinesis = client("kinesis", endpoint, region)
        self._s3 = client("s3", endpoint, region)
        self._buffer: list[dict[str, Any]] = []  # read, not yet through the processors
        self._pending_bytes = 0  # data in `_buffer`
        self._processed: list[dict[str, Any]] = []  # through the processors, waiting for delivery
        self._failed: list[dict[str, Any]] = []  # failed processing, for the error prefix at delivery
        self._buffer_bytes = 0  # data read since the last delivery (the delivery buffer's size)
        self._first_buffered_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"firehose-{self.name}")
        self.objects_written = 0
        self.records_delivered = 0

    # -- configuration ------------------------------------------------------------------------
    @property
    def bucket(self) -> str:
        return self.destination["BucketARN"].split(":::")[1]

    def _buffering(self) -> tuple[int, float]:
        hints = self.destination.get("BufferingHints") or {}
        size = int(hints.get("SizeInMBs", 5)) * 1024 * 1024
        interval = float(hints.get("IntervalInSeconds", 300))
        cap = os.environ.get("FLEETTAP_FIREHOSE_MAX_BUFFER_S")
        return size, min(interval, float(cap)) if cap else interval

    def _processors(self) -> list[dict[str, Any]]:
        config = self.destination.get("ProcessingConfiguration") or {}
        if str(config.get("Enabled", "false")).lower() != "true":
            return []
        return config.get("Processors", [])

    # -- loop ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, flush: bool = True) -> None:
        """Stops reading; `flush` delivers what is buffered (not for a deleted delivery stream, whose
        buffer AWS discards and whose roles may be gone)."""
        self._stop.set()
        self._thread.join(10)
        if flush:
            self.flush()

    def _run(self) -> None:
        iterators: dict[str, str] = {}
        while not self._stop.is_set():
            try:
                if self._refused("source", self.source_role, [(a, self.stream_arn) for a in SOURCE_ACTIONS]):
                    self._stop.wait(POLL_S)
                    continue
                for shard in self._kinesis.list_shards(StreamARN=self.stream_arn)["Shards"]:
                    shard_id = shard["ShardId"]
                    if shard_id not in iterators:
                        iterators[shard_id] = self._kinesis.get_shard_iterator(
                            StreamARN=self.stream_arn,
                            ShardId=shard_id,
                            ShardIteratorType="AT_TIMESTAMP",
                            Timestamp=self.created_s,
                        )["ShardIterator"]
                    response = direct_reads.kinesis_get_records(self.stream_arn, iterators[shard_id], 10000)
                    if response is None:
                        response = self._kinesis.get_records(
                            ShardIterator=iterators[shard_id], Limit=10000, StreamARN=self.stream_arn
                        )
                    iterators[shard_id] = response["NextShardIterator"]
                    for record in response["Records"]:
                        self._add(shard_id, record)
                self._process_full_processor_buffers()
                size, interval = self._buffering()
                if (self._buffer or self._processed or self._failed) and (
                    self._buffer_bytes >= size or time.time() - self._first_buffered_at >= interval
                ):
                    self.flush()
            except Exception:
                log.exception("firehose %s failed; retrying", self.name)
            self._stop.wait(POLL_S)

    def _add(self, shard_id: str, record: dict[str, Any]) -> None:
        arrival = record["ApproximateArrivalTimestamp"]
        arrival_s = arrival.timestamp() if isinstance(arrival, dt.datetime) else float(arrival)
        if self._first_buffered_at is None:
            self._first_buffered_at = time.time()
        self._buffer.append({"shard_id": shard_id, "record": record, "arrival_s": arrival_s})
        self._buffer_bytes += len(record["Data"])
        self._pending_bytes += len(record["Data"])

    # -- processing ---------------------------------------------------------------------------
    def _processor_buffer_bytes(self) -> float | None:
        """The transform's processor buffer size, or None without a Lambda processor."""
        for processor in self._processors():
            if processor["Type"] == "Lambda":
                return processor_buffer_bytes(_parameters(processor))
        return None

    def _process_full_processor_buffers(self) -> None:
        """Run each full processor buffer through the processors now, as Firehose invokes the
        transform when its buffer fills (it also spreads the work over the delivery interval instead
        of a burst in the emulator's process at each delivery)."""
        limit = self._processor_buffer_bytes()
        if limit is None or self._pending_bytes < limit:
            return
        for run in processor_buffers(self._buffer, limit, size=_entry_bytes):
            if self._pending_bytes < limit:
                break
            del self._buffer[: len(run)]
            self._pending_bytes -= sum(map(_entry_bytes, run))
            self._run_processors(run)

    def _run_processors(self, items: list[dict[str, Any]]) -> None:
        """Pass `items` (buffer entries) through every processor: kept rows wait for delivery,
        failed ones for the error prefix."""
        rows = [
            {
                "recordId": str(index),
                "data": item["record"]["Data"],
                "arrival_s": item["arrival_s"],
                "partition_keys": {},
            }
            for index, item in enumerate(items)
        ]
        for processor in self._processors():
            rows, failed_here = self._process(processor, rows, items)
            self._failed += failed_here
        self._processed += rows

    # -- delivery -----------------------------------------------------------------------------
    def _refused(self, what: str, role_arn: str, actions: list[tuple[str, str]]) -> AccessDenied | None:
        denied = service_roles.allowed(role_arn, actions, self._region, session_name="firehose")
        if denied is not None:
            service_roles.record_denial(f"firehose:{self.name}:{what}", denied)
        return denied

    def _delivery_actions(self) -> list[tuple[str, str]]:
        """What writing the buffer needs of the destination role: the object, and the Glue schema."""
        literal_prefix = (self.destination.get("Prefix") or "").split("!{")[0]
        actions = [("s3:PutObject", f"arn:aws:s3:::{self.bucket}/{literal_prefix}")]
        conversion = self.destination.get("DataFormatConversionConfiguration") or {}
        if str(conversion.get("Enabled", "false")).lower() == "true":
            schema = conversion["SchemaConfiguration"]
            region = schema.get("Region") or self._region
            account = self.arn.split(":")[4]
            base = f"arn:aws:glue:{region}:{account}"
            database, table = schema["DatabaseName"], schema["TableName"]
            for action in ("glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"):
                for resource in (f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{table}"):
                    actions.append((action, resource))
        return actions

    def flush(self) -> None:
        """Deliver the delivery buffer: what is left of the processor buffer goes through the
        processors first; kept rows to the prefix, failed ones to the error prefix."""
        if not (self._buffer or self._processed or self._failed):
            return
        if self._refused("destination", self.role, self._delivery_actions()):
            return  # kept in the buffer: Firehose retries delivery
        if self._buffer:
            self._run_processors(self._buffer)
        rows, failed = self._processed, self._failed
        self._buffer, self._processed, self._failed = [], [], []
        self._pending_bytes, self._buffer_bytes, self._first_buffered_at = 0, 0, None
        if rows:
            self._write(rows)
        if failed:
            self._write_errors(failed)

    def _process(self, processor: dict[str, Any], rows: list[dict], batch: list[dict]) -> tuple[list[dict], list[dict]]:
        parameters = _parameters(processor)
        kind = processor["Type"]
        if kind == "Lambda":
            kept, failed = [], []
            for run in processor_buffers(rows, processor_buffer_bytes(parameters)):
                kept_here, failed_here = self._transform(parameters["LambdaArn"], run, batch)
                kept += kept_here
                failed += failed_here
            return kept, failed
        if kind == "MetadataExtraction":
            for row in rows:
                row["partition_keys"].update(
                    extract_query_keys(parameters["MetadataExtractionQuery"], json.loads(row["data"]))
                )
            return rows, []
        if kind == "AppendDelimiterToRecord":
            for row in rows:
                row["data"] = row["data"] + b"\n"
            return rows, []
        log.warning("firehose %s: processor %s ignored locally", self.name, kind)
        return rows, []

    def _transform(self, function_arn: str, rows: list[dict], batch: list[dict]) -> tuple[list[dict], list[dict]]:
        lambda_actions = [("lambda:InvokeFunction", function_arn), ("lambda:GetFunctionConfiguration", function_arn)]
        if self._refused("transformation", self.role, lambda_actions):
            return [], [dict(row, error="Lambda.InvokeAccessDenied") for row in rows]
        by_id = {row["recordId"]: row for row in rows}
        event = {
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": self.arn,
            "sourceKinesisStreamArn": self.stream_arn,
            "region": self._region,
            "records": [
                {
                    "recordId": row["recordId"],
                    "data": base64.b64encode(row["data"]).decode(),
                    "approximateArrivalTimestamp": int(row["arrival_s"] * 1000),
                    "kinesisRecordMetadata": {
                        "shardId": batch[int(row["recordId"])]["shard_id"],
                        "partitionKey": batch[int(row["recordId"])]["record"]["PartitionKey"],
                        "sequenceNumber": batch[int(row["recordId"])]["record"]["SequenceNumber"],
                        "approximateArrivalTimestamp": int(row["arrival_s"] * 1000),
                        "subsequenceNumber": 0,
                    },
                }
                for row in rows
            ],
        }
        result = self._invoke_transform(function_arn, event)
        if result is None:  # still throttled after Firehose's retries: the records failed processing
            return [], [dict(row, error="Lambda.TooManyRequestsException") for row in rows]
        if result.failed or not isinstance(result.payload, dict):
            log.warning("firehose %s: transformation failed: %s", self.name, result.payload)
            return [], [dict(row, error="Lambda.FunctionError") for row in rows]
        kept, failed = [], []
        for answer in result.payload.get("records", []):
            row = by_id.get(answer.get("recordId"))
            if row is None:
                continue
            if answer.get("result") == "Ok":
                keys = (answer.get("metadata") or {}).get("partitionKeys") or {}
                kept.append(
                    dict(row, data=base64.b64decode(answer["data"]), partition_keys={**row["partition_keys"], **keys})
                )
            elif answer.get("result") == "ProcessingFailed":
                failed.append(dict(row, error="Lambda.ProcessingFailed"))
        return kept, failed

    def _invoke_transform(self, function_arn: str, event: dict) -> Any:
        """The transform's result; None when every attempt was throttled (Firehose retries a
        throttled invoke three times, then treats the batch as failed processing)."""
        for attempt in range(1 + TRANSFORM_THROTTLE_RETRIES):
            try:
                return self._functions.invoke(function_arn, event)
            except Throttled:
                if attempt < TRANSFORM_THROTTLE_RETRIES:
                    self._stop.wait(0.2 * 2**attempt)
        return None

    def _write(self, rows: list[dict]) -> None:
        now = dt.datetime.now(dt.UTC)
        groups: dict[str, list[dict]] = {}
        failed = []
        prefix = self.destination.get("Prefix") or ""
        for row in rows:
            try:
                resolved = resolve_prefix(prefix, row["partition_keys"], now) if prefix else default_prefix(now)
            except KeyError:
                failed.append(dict(row, error="DynamicPartitioning.MetadataExtractionFailed"))
                continue
            if "!{timestamp" not in prefix and "partitionKeyFrom" not in prefix and prefix:
                resolved = resolved + default_prefix(now)
            groups.setdefault(resolved, []).append(row)
        for resolved, group in groups.items():
            body, extension = self._serialize(group)
            key = f"{resolved}{self.name}-{self.version}-{now.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}{extension}"
            try:
                self._s3.put_object(Bucket=self.bucket, Key=key, Body=body)
            except Exception:
                metrics.record_s3_delivery(self.arn, False, len(group))  # AWS/Firehose success ratio
                raise
            metrics.record_s3_delivery(self.arn, True, len(group))
            self.objects_written += 1
            self.records_delivered += len(group)
            log.info("firehose %s: wrote %d records to s3://%s/%s", self.name, len(group), self.bucket, key)
        if failed:
            self._write_errors(failed)

    def _serialize(self, rows: list[dict]) -> tuple[bytes, str]:
        conversion = self.destination.get("DataFormatConversionConfiguration") or {}
        extension = self.destination.get("FileExtension") or ""
        if str(conversion.get("Enabled", "false")).lower() != "true":
            return b"".join(row["data"] for row in rows), extension
        schema_config = conversion["SchemaConfiguration"]
        glue = client("glue", self._endpoint, schema_config.get("Region") or self._region)
        table = glue.get_table(DatabaseName=schema_config["DatabaseName"], Name=schema_config["TableName"])["Table"]
        serializer = (conversion.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
        compression = (serializer.get("ParquetSerDe") or {}).get("Compression", "SNAPPY")
        records = [json.loads(line) for row in rows for line in row["data"].splitlines() if line.strip()]
        return to_parquet(records, glue_schema(table["StorageDescriptor"]["Columns"]), compression), extension

    def _write_errors(self, rows: list[dict]) -> None:
        error_prefix = self.destination.get("ErrorOutputPrefix") or "errors/"
        now = dt.datetime.now(dt.UTC)
        resolved = resolve_prefix(error_prefix, {}, now, "processing-failed")
        lines = [
            json.dumps(
                {
                    "attemptsMade": 1,
                    "arrivalTimestamp": int(row["arrival_s"] * 1000),
                    "errorCode": row.get("error"),
                    "rawData": base64.b64encode(row["data"]).decode(),
                }
            )
            for row in rows
        ]
        key = f"{resolved}{self.name}-{self.version}-{now.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}"
        self._s3.put_object(Bucket=self.bucket, Key=key, Body="\n".join(lines).encode())


class FirehoseFromKinesis:
    """Starts a runner for every Kinesis-sourced delivery stream in the emulator and stops the runner
    of one deleted (re-checked every `REFRESH_S`)."""

    def __init__(self, state_dir: Path, endpoint: str, region: str, functions: Any) -> None:
        self._endpoint, self._region, self._functions = endpoint, region, functions
        self._firehose = client("firehose", endpoint, region)
        self.runners: dict[str, DeliveryStreamRunner] = {}
        self._stop = threading.Event()
        # The loop and callers (tests) may refresh at once: two runners for one delivery stream would
        # each read the source from the start and deliver every record twice.
        self._refresh_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True, name="firehose-supervisor")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for runner in self.runners.values():
            runner.stop()

    def _run(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:
                log.exception("listing delivery streams failed")
            if self._stop.wait(REFRESH_S):
                return

    def refresh(self) -> None:
        with self._refresh_lock:
            self._refresh()

    def _refresh(self) -> None:
        names = self._delivery_stream_names()
        for name in [name for name in self.runners if name not in names]:
            self.runners.pop(name).stop(flush=False)
            log.info("firehose %s: deleted, stopped reading", name)
        for name in names:
            if name in self.runners:
                continue
            description = self._firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
            if description.get("DeliveryStreamType") != "KinesisStreamAsSource":
                continue
            runner = DeliveryStreamRunner(description, self._endpoint, self._region, self._functions)
            self.runners[name] = runner
            runner.start()
            log.info("firehose %s: reading %s", name, runner.stream_arn)

    def _delivery_stream_names(self) -> list[str]:
        """Every delivery stream's name (all pages: a stream missing here would count as deleted)."""
        names: list[str] = []
        kwargs: dict[str, Any] = {"Limit": 100}
        while True:
            page = self._firehose.list_delivery_streams(**kwargs)
            names += page["DeliveryStreamNames"]
            if not page.get("HasMoreDeliveryStreams") or not page["DeliveryStreamNames"]:
                return names
            kwargs["ExclusiveStartDeliveryStreamName"] = names[-1]
