"""Firehose from a Kinesis stream: transformation Lambda, dynamic partitions, Parquet with the Glue schema."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import pyarrow.parquet as pq

from harness.runtime import query
from harness.runtime.firehose import processor_buffers
from tests.runtime import fixture_function
from tests.runtime.helpers import create_stream, put_json, unique, wait_for

TRANSFORM_SOURCE = r"""
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        payload = json.loads(base64.b64decode(record["data"]))
        if payload.get("drop"):
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
            continue
        if payload.get("bad"):
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
            continue
        flat = {"vehicle_id": payload["vehicle_id"], "coolant_temp_c": payload["signals"]["coolant_temp_c"],
                "ts": payload["ts"], "dtcs": payload.get("dtcs", [])}
        out.append({"recordId": record["recordId"], "result": "Ok",
                    "data": base64.b64encode((json.dumps(flat) + "\n").encode()).decode(),
                    "metadata": {"partitionKeys": {"vehicle_type": payload["vehicle_type"]}}})
    return {"records": out}
"""

COLUMNS = [
    {"Name": "vehicle_id", "Type": "string"},
    {"Name": "coolant_temp_c", "Type": "double"},
    {"Name": "ts", "Type": "timestamp"},
    {"Name": "dtcs", "Type": "array<struct<code:string,spn:int>>"},
]


def _transform_function(stack, source: str = TRANSFORM_SOURCE) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("transform.py", source)
    return stack.client("lambda").create_function(
        FunctionName=unique("transform"),
        Runtime="python3.12",
        Role=fixture_function.role_arn(stack.client("iam")),
        Handler="transform.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=30,
    )["FunctionArn"]


def _from_kinesis(stack, stream_arn: str, bucket: str, processors: list[dict], **destination) -> str:
    """A delivery stream from the Kinesis stream to `bucket` with `processors`; its name."""
    role = fixture_function.role_arn(stack.client("iam"))
    name = unique("delivery")
    stack.client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn, "RoleARN": role},
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
            "ProcessingConfiguration": {"Enabled": True, "Processors": processors},
            **destination,
        },
    )
    stack.refresh_firehose()  # pick the new delivery stream up now
    return name


def _lambda_processor(function_arn: str, **parameters: str) -> dict:
    named = {"LambdaArn": function_arn, **parameters}
    return {"Type": "Lambda", "Parameters": [{"ParameterName": k, "ParameterValue": v} for k, v in named.items()]}


def test_diagnostics_reach_the_data_lake_as_partitioned_parquet(runtime_stack, monkeypatch):
    monkeypatch.setenv("FLEETTAP_FIREHOSE_MAX_BUFFER_S", "1")
    kinesis, s3, glue = (runtime_stack.client(s) for s in ("kinesis", "s3", "glue"))
    stream_arn = create_stream(kinesis)
    bucket = unique("lake")
    s3.create_bucket(Bucket=bucket)
    database, table = unique("db").replace("-", "_"), "vehicle_diagnostics_lake"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "StorageDescriptor": {"Columns": COLUMNS, "Location": f"s3://{bucket}/diagnostics/"},
            "PartitionKeys": [{"Name": "vehicle_type", "Type": "string"}, {"Name": "dt", "Type": "string"}],
        },
    )
    role = fixture_function.role_arn(runtime_stack.client("iam"))
    delivery_stream = _from_kinesis(
        runtime_stack,
        stream_arn,
        bucket,
        [_lambda_processor(_transform_function(runtime_stack))],
        Prefix="diagnostics/vehicle_type=!{partitionKeyFromLambda:vehicle_type}/dt=!{timestamp:yyyy-MM-dd}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
        DynamicPartitioningConfiguration={"Enabled": True},
        DataFormatConversionConfiguration={
            "Enabled": True,
            "SchemaConfiguration": {
                "DatabaseName": database,
                "TableName": table,
                "RoleARN": role,
                "Region": "us-east-1",
            },
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}},
        },
    )
    payloads = [
        {
            "vehicle_id": "VH-1",
            "vehicle_type": "tractor",
            "ts": "2026-11-25T10:00:00.000Z",
            "signals": {"coolant_temp_c": 91.5},
            "dtcs": [{"code": "P0217"}],
        },
        {
            "vehicle_id": "VH-2",
            "vehicle_type": "van",
            "ts": "2026-11-25T10:00:01.000Z",
            "signals": {"coolant_temp_c": 88.0},
        },
        {"vehicle_id": "VH-3", "vehicle_type": "van", "drop": True},
        {"vehicle_id": "VH-4", "vehicle_type": "van", "bad": True},
    ]
    put_json(kinesis, stream_arn, payloads, key=lambda p: p["vehicle_id"])

    def keys():
        found = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return found if len(found) >= 3 else None

    found = wait_for(keys, timeout_s=30)
    parquet_keys = [k for k in found if k.startswith("diagnostics/")]
    assert sorted(k.split("/")[1] for k in parquet_keys) == ["vehicle_type=tractor", "vehicle_type=van"]
    assert all(k.split("/")[2].startswith("dt=20") for k in parquet_keys)
    assert any(k.startswith("errors/processing-failed/") for k in found)
    tractor_key = next(k for k in parquet_keys if "tractor" in k)
    parquet = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=tractor_key)["Body"].read()))
    assert parquet.schema.names == ["vehicle_id", "coolant_temp_c", "ts", "dtcs"]
    row = parquet.to_pylist()[0]
    assert row["vehicle_id"] == "VH-1" and row["coolant_temp_c"] == 91.5
    assert row["dtcs"] == [{"code": "P0217", "spn": None}]

    result = query.run_query(
        f"SELECT vehicle_type, count(*) AS n FROM {table} GROUP BY 1 ORDER BY 1",
        runtime_stack.endpoint,
        "us-east-1",
        runtime_stack.state_dir / "lake-mirror",
    )
    assert result.rows == [("tractor", 1), ("van", 1)]
    runtime_stack.client("firehose").delete_delivery_stream(DeliveryStreamName=delivery_stream)
    runtime_stack.refresh_firehose()


def _reader_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"firehose-{name}" and t.is_alive()]


def test_a_delivery_stream_has_one_reader_however_many_refresh_and_none_once_deleted(runtime_stack):
    """Two readers would each deliver every record (the supervisor's loop and a caller refreshing at
    once); a deleted delivery stream's reader would keep acting with roles that may be gone."""
    kinesis, s3 = runtime_stack.client("kinesis"), runtime_stack.client("s3")
    bucket, name = unique("lake"), unique("diag")
    s3.create_bucket(Bucket=bucket)
    role = fixture_function.role_arn(runtime_stack.client("iam"))
    firehose = runtime_stack.client("firehose")
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": create_stream(kinesis), "RoleARN": role},
        ExtendedS3DestinationConfiguration={"RoleARN": role, "BucketARN": f"arn:aws:s3:::{bucket}"},
    )
    refreshers = [threading.Thread(target=runtime_stack.refresh_firehose) for _ in range(8)]
    for thread in refreshers:
        thread.start()
    for thread in refreshers:
        thread.join(30)
    assert len(_reader_threads(name)) == 1

    firehose.delete_delivery_stream(DeliveryStreamName=name)
    runtime_stack.refresh_firehose()
    assert name not in runtime_stack.runtime.firehose.runners
    assert _reader_threads(name) == []


COUNTING_TRANSFORM = r"""
import base64, json, time

def handler(event, context):
    size = sum(len(base64.b64decode(r["data"])) for r in event["records"])
    out = []
    for record in event["records"]:
        payload = json.loads(base64.b64decode(record["data"]))
        row = {"n": payload["n"], "invocation": event["invocationId"], "invocation_bytes": size,
               "invoked_at": time.time()}
        out.append({"recordId": record["recordId"], "result": "Ok",
                    "data": base64.b64encode((json.dumps(row) + "\n").encode()).decode()})
    return {"records": out}
"""


def test_the_transform_is_invoked_per_processor_buffer_not_per_delivery_buffer(runtime_stack, monkeypatch):
    """300 records of 2 KB (600 KB) buffered for one delivery: with the processor's BufferSizeInMBs
    at 0.2, Firehose invokes the transform with at most 0.2 MB of records at a time, as soon as each
    processor buffer is full (not when the delivery buffer is delivered), and every record reaches
    S3 once."""
    delivery_interval_s = 8
    monkeypatch.setenv("FLEETTAP_FIREHOSE_MAX_BUFFER_S", str(delivery_interval_s))
    kinesis, s3 = runtime_stack.client("kinesis"), runtime_stack.client("s3")
    stream_arn = create_stream(kinesis)
    bucket = unique("runs")
    s3.create_bucket(Bucket=bucket)
    function_arn = _transform_function(runtime_stack, COUNTING_TRANSFORM)
    delivery_stream = _from_kinesis(
        runtime_stack,
        stream_arn,
        bucket,
        [_lambda_processor(function_arn, BufferSizeInMBs="0.2")],
        Prefix="rows/",
        ErrorOutputPrefix="errors/",
    )
    put_json(kinesis, stream_arn, [{"n": n, "pad": "x" * 2000} for n in range(300)], key=lambda p: str(p["n"]))

    def rows():
        found = []
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            found += [json.loads(line) for line in body.splitlines() if line]
        return found if len(found) >= 300 else None

    delivered = wait_for(rows, timeout_s=60)
    assert sorted(row["n"] for row in delivered) == list(range(300))
    invocations = {row["invocation"]: row["invocation_bytes"] for row in delivered}
    assert len(invocations) >= 3 and max(invocations.values()) <= 0.2 * 1024 * 1024
    first_invoked = min(row["invoked_at"] for row in delivered)
    first_delivered = min(item["LastModified"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert first_invoked < first_delivered.timestamp() - delivery_interval_s / 2  # full buffers went early
    runtime_stack.client("firehose").delete_delivery_stream(DeliveryStreamName=delivery_stream)
    runtime_stack.refresh_firehose()


def test_processor_buffers_keep_order_and_the_size_limit():
    rows = [{"data": b"x" * size} for size in (40, 40, 30, 100, 10, 10)]
    runs = processor_buffers(rows, 100)
    assert [[len(r["data"]) for r in run] for run in runs] == [[40, 40], [30], [100], [10, 10]]
    assert processor_buffers([], 100) == []
    assert [len(run) for run in processor_buffers([{"data": b"x" * 500}, {"data": b"y"}], 100)] == [1, 1]
