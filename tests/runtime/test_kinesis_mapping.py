"""Kinesis event source mappings polled with Lambda's semantics."""

from __future__ import annotations

import json
import time
from collections import defaultdict

from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, create_stream, drain, observed, put_json, unique, wait_for


def _function(stack, tmp_path):
    observe = tmp_path / "observed.jsonl"
    arn = fixture_function.deploy(stack, unique("fn"), str(observe))
    return arn, observe


def _map(stack, function_arn, stream_arn, **settings):
    mapping = stack.client("lambda").create_event_source_mapping(
        FunctionName=function_arn, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", **settings
    )
    stack.refresh_mappings()
    return mapping


def test_producer_call_no_longer_invokes_and_batches_follow_batch_size(runtime_stack, tmp_path):
    kinesis = runtime_stack.client("kinesis")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    _map(runtime_stack, function_arn, stream_arn, BatchSize=5)
    # Put after the mapping exists: moto alone would invoke once per PutRecord inside the request.
    put_json(kinesis, stream_arn, [{"id": i} for i in range(12)])
    batches = wait_for(lambda: (b := observed(observe)) and sum(len(x["ids"]) for x in b) >= 12 and b)
    ids = [i for batch in batches for i in batch["ids"]]
    assert ids == list(range(12))
    assert all(len(batch["ids"]) <= 5 for batch in batches)
    assert len(batches) < 12  # batched, not one invoke per record


def test_batching_window_gathers_records_into_one_invoke(runtime_stack, tmp_path):
    kinesis = runtime_stack.client("kinesis")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    _map(runtime_stack, function_arn, stream_arn, BatchSize=100, MaximumBatchingWindowInSeconds=3)
    for i in range(6):
        put_json(kinesis, stream_arn, [{"id": i}])
        time.sleep(0.2)
    wait_for(lambda: observed(observe))
    time.sleep(1.0)
    assert [batch["ids"] for batch in observed(observe)] == [list(range(6))]


def test_batching_window_starts_when_the_previous_invocation_completes(runtime_stack, tmp_path):
    """Kinesis/DynamoDB/SQS rule: the next window begins when the previous invocation completes, so
    records put during a window wait for its end, and a record put after an idle window is
    invoked as soon as it is read."""
    kinesis = runtime_stack.client("kinesis")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    _map(runtime_stack, function_arn, stream_arn, BatchSize=100, MaximumBatchingWindowInSeconds=3)
    put_json(kinesis, stream_arn, [{"id": 0}])
    [first] = wait_for(lambda: observed(observe), timeout_s=30)
    put_json(kinesis, stream_arn, [{"id": 1}, {"id": 2}])
    second = wait_for(lambda: (b := observed(observe)) and len(b) >= 2 and b[1], timeout_s=30)
    assert second["ids"] == [1, 2]
    assert second["t"] - first["t"] >= 2.5  # gathered for the window that began after the first invoke
    time.sleep(max(0.0, second["t"] + 3.5 - time.time()))  # let the next window run out with nothing to read
    put_at = time.time()
    put_json(kinesis, stream_arn, [{"id": 3}])
    third = wait_for(lambda: (b := observed(observe)) and len(b) >= 3 and b[2], timeout_s=30)
    assert third["ids"] == [3]
    assert third["t"] - put_at < 2.0  # not held for another 3 s window


def test_reported_item_failure_retries_from_the_lowest_failed_sequence_number(runtime_stack, tmp_path):
    kinesis = runtime_stack.client("kinesis")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    put_json(
        kinesis,
        stream_arn,
        [{"id": 0}, {"id": 1}, {"id": 2, "fail": "item_once"}, {"id": 3}, {"id": 4, "fail": "item_once"}],
    )
    _map(runtime_stack, function_arn, stream_arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_for(lambda: (b := observed(observe)) and len(b) >= 2 and b)
    time.sleep(0.5)
    assert [batch["ids"] for batch in observed(observe)] == [[0, 1, 2, 3, 4], [2, 3, 4]]


def test_bisect_isolates_the_poison_record_and_sends_it_to_the_destination(runtime_stack, tmp_path):
    kinesis, sqs = runtime_stack.client("kinesis"), runtime_stack.client("sqs")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    destination_url, destination_arn = create_queue(sqs)
    sequence_numbers = put_json(kinesis, stream_arn, [{"id": 0}, {"id": 1}, {"id": 2, "fail": "raise"}, {"id": 3}])
    _map(
        runtime_stack,
        function_arn,
        stream_arn,
        BatchSize=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": destination_arn}},
    )
    [message] = drain(sqs, destination_url, 1)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    info = record["KinesisBatchInfo"]
    assert (info["batchSize"], info["startSequenceNumber"], info["streamArn"]) == (1, sequence_numbers[2], stream_arn)
    wait_for(lambda: any(batch["ids"] == [3] for batch in observed(observe)))
    assert [batch["ids"] for batch in observed(observe)] == [[0, 1, 2, 3], [0, 1], [2, 3], [2], [2], [3]]


def test_retries_exhausted_send_the_batch_to_the_destination_and_the_shard_moves_on(runtime_stack, tmp_path):
    kinesis, sqs = runtime_stack.client("kinesis"), runtime_stack.client("sqs")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    destination_url, destination_arn = create_queue(sqs)
    put_json(kinesis, stream_arn, [{"id": 0}, {"id": 1, "fail": "raise"}, {"id": 2}])
    _map(
        runtime_stack,
        function_arn,
        stream_arn,
        BatchSize=3,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": destination_arn}},
    )
    [message] = drain(sqs, destination_url, 1)
    assert json.loads(message["Body"])["KinesisBatchInfo"]["batchSize"] == 3
    put_json(kinesis, stream_arn, [{"id": 10}])
    wait_for(lambda: any(batch["ids"] == [10] for batch in observed(observe)))
    assert [batch["ids"] for batch in observed(observe)] == [[0, 1, 2]] * 3 + [[10]]


def test_record_older_than_maximum_age_is_discarded(runtime_stack, tmp_path):
    kinesis, sqs = runtime_stack.client("kinesis"), runtime_stack.client("sqs")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    destination_url, destination_arn = create_queue(sqs)
    put_json(kinesis, stream_arn, [{"id": 0, "fail": "raise"}])
    time.sleep(1.5)
    _map(
        runtime_stack,
        function_arn,
        stream_arn,
        MaximumRecordAgeInSeconds=1,
        MaximumRetryAttempts=-1,
        DestinationConfig={"OnFailure": {"Destination": destination_arn}},
    )
    [message] = drain(sqs, destination_url, 1)
    assert json.loads(message["Body"])["requestContext"]["condition"] == "RecordAgeExceeded"
    assert len(observed(observe)) == 1


def test_parallelization_factor_runs_lanes_concurrently_keeping_order_per_key(runtime_stack, tmp_path):
    kinesis = runtime_stack.client("kinesis")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    payloads = [{"id": i, "key": f"vehicle-{i % 6}", "sleep": 0.02} for i in range(60)]
    put_json(kinesis, stream_arn, payloads, key=lambda p: p["key"])
    _map(runtime_stack, function_arn, stream_arn, BatchSize=10, ParallelizationFactor=3)
    wait_for(lambda: sum(len(b["ids"]) for b in observed(observe)) >= 60)
    per_key = defaultdict(list)
    batches = observed(observe)
    for batch in batches:
        for record_id, key in zip(batch["ids"], batch["keys"]):
            per_key[key].append(record_id)
    assert all(ids == sorted(ids) for ids in per_key.values())
    assert sorted(i for ids in per_key.values() for i in ids) == list(range(60))
    # Each batch holds the keys of one lane only, and more than one lane ran.
    lanes = {frozenset(batch["keys"]) for batch in batches}
    assert len(lanes) > 1
    assert all(not (a & b) for a in lanes for b in lanes if a != b)


def test_an_enhanced_fan_out_consumer_is_a_mapping_source(runtime_stack, tmp_path):
    """A mapping whose EventSourceArn is a registered stream consumer (aws_kinesis_stream_consumer)
    is created and delivers the stream's records; an unregistered consumer is refused."""
    import pytest
    from botocore.exceptions import ClientError

    kinesis = runtime_stack.client("kinesis")
    function_arn, observe = _function(runtime_stack, tmp_path)
    stream_arn = create_stream(kinesis)
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=unique("efo"))["Consumer"]
    mapping = _map(runtime_stack, function_arn, consumer["ConsumerARN"], BatchSize=10)
    assert mapping["EventSourceArn"] == consumer["ConsumerARN"]
    put_json(kinesis, stream_arn, [{"id": i} for i in range(4)])
    batches = wait_for(lambda: (b := observed(observe)) and sum(len(x["ids"]) for x in b) >= 4 and b)
    assert [i for batch in batches for i in batch["ids"]] == [0, 1, 2, 3]
    with pytest.raises(ClientError, match="Stream consumer not found"):
        _map(runtime_stack, function_arn, f"{stream_arn}/consumer/never-registered:1")
