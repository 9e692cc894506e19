"""status, logs and trigger command-line tools against the running runtime."""

from __future__ import annotations

import json

from harness.runtime import logs, status
from harness.runtime.status_file import StatusWriter
from tests.runtime import fixture_function
from tests.runtime.helpers import create_stream, observed, put_json, unique, wait_for


def test_status_lists_functions_mappings_lag_and_queue_depth(runtime_stack, tmp_path, capsys):
    kinesis, sqs = runtime_stack.client("kinesis"), runtime_stack.client("sqs")
    name = unique("fn")
    observe = tmp_path / "o.jsonl"
    function_arn = fixture_function.deploy(runtime_stack, name, str(observe))
    stream_arn = create_stream(kinesis)
    runtime_stack.client("lambda").create_event_source_mapping(
        FunctionName=function_arn, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON"
    )
    runtime_stack.refresh_mappings()
    put_json(kinesis, stream_arn, [{"id": 1}])
    wait_for(lambda: observed(observe))
    queue = unique("depth")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    StatusWriter(runtime_stack.state_dir, runtime_stack.runtime).write()
    collected = status.collect(str(runtime_stack.state_dir), runtime_stack.endpoint)
    assert name in [f["name"] for f in collected["functions"]]
    [mapping] = [m for m in collected["mappings"] if m["source_arn"] == stream_arn]
    [poller] = mapping["pollers"]
    assert poller["shard"] == "shardId-000000000000" and poller["records_delivered"] == 1
    assert "millis_behind_latest" in poller
    assert {"name": queue, "visible": 1, "in_flight": 0} in collected["queues"]
    status.main(["--state-dir", str(runtime_stack.state_dir), "--endpoint", runtime_stack.endpoint])
    assert "lag" in capsys.readouterr().out


def test_logs_prints_the_function_log_lines(runtime_stack, tmp_path, capsys):
    name = unique("fn")
    fixture_function.deploy(runtime_stack, name, str(tmp_path / "o.jsonl"))
    runtime_stack.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"x": 1}).encode())
    logs.main([name, "--state-dir", str(runtime_stack.state_dir)])
    out = capsys.readouterr().out
    assert f"{name} | " in out and "REPORT RequestId" in out
