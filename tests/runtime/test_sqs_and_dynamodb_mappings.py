"""SQS and DynamoDB Streams event source mappings."""

from __future__ import annotations

import json
import time

from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, drain, observed, unique, wait_for


def _function(stack, tmp_path):
    observe = tmp_path / "observed.jsonl"
    return fixture_function.deploy(stack, unique("fn"), str(observe)), observe


def test_sqs_partial_batch_deletes_successes_and_redrives_the_failure_to_the_dlq(runtime_stack, tmp_path):
    sqs = runtime_stack.client("sqs")
    function_arn, observe = _function(runtime_stack, tmp_path)
    dlq_url, dlq_arn = create_queue(sqs)
    queue_url, queue_arn = create_queue(
        sqs,
        {
            "VisibilityTimeout": "3",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )
    for payload in ({"id": "a"}, {"id": "b", "fail": "item"}, {"id": "c"}):
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(payload))
    runtime_stack.client("lambda").create_event_source_mapping(
        FunctionName=function_arn,
        EventSourceArn=queue_arn,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 2},
    )
    runtime_stack.refresh_mappings()
    [dead] = drain(sqs, dlq_url, 1, timeout_s=30)
    assert json.loads(dead["Body"]) == {"id": "b", "fail": "item"}
    received = [i for batch in observed(observe) for i in batch["ids"]]
    assert sorted(received) == ["a", "b", "b", "c"]  # b received twice (maxReceiveCount), then redriven
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_sqs_function_error_leaves_the_whole_batch_for_redelivery(runtime_stack, tmp_path):
    sqs = runtime_stack.client("sqs")
    function_arn, observe = _function(runtime_stack, tmp_path)
    dlq_url, dlq_arn = create_queue(sqs)
    queue_url, queue_arn = create_queue(
        sqs,
        {
            "VisibilityTimeout": "2",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}),
        },
    )
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": "ok"}))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": "poison", "fail": "raise"}))
    runtime_stack.client("lambda").create_event_source_mapping(
        FunctionName=function_arn,
        EventSourceArn=queue_arn,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        ScalingConfig={"MaximumConcurrency": 2},
    )  # the window gathers both messages into one batch
    runtime_stack.refresh_mappings()
    dead = drain(sqs, dlq_url, 2, timeout_s=30)
    assert sorted(json.loads(m["Body"])["id"] for m in dead) == ["ok", "poison"]


def test_dynamodb_stream_is_polled_and_its_records_stay_readable(runtime_stack, tmp_path):
    dynamodb, streams = runtime_stack.client("dynamodb"), runtime_stack.client("dynamodbstreams")
    function_arn, observe = _function(runtime_stack, tmp_path)
    table = unique("table")
    description = dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    stream_arn = description["LatestStreamArn"]
    runtime_stack.client("lambda").create_event_source_mapping(
        FunctionName=function_arn, EventSourceArn=stream_arn, StartingPosition="LATEST", BatchSize=10
    )
    runtime_stack.refresh_mappings()
    for item_id in ("x", "y", "z"):
        dynamodb.put_item(TableName=table, Item={"id": {"S": item_id}})
    wait_for(lambda: sum(len(b["ids"]) for b in observed(observe)) >= 3)
    assert [i for batch in observed(observe) for i in batch["ids"]] == ["x", "y", "z"]
    shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["x", "y", "z"]


def test_mapping_created_later_is_picked_up_by_the_periodic_refresh(runtime_stack, tmp_path):
    sqs = runtime_stack.client("sqs")
    function_arn, observe = _function(runtime_stack, tmp_path)
    queue_url, queue_arn = create_queue(sqs)
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": "late"}))
    runtime_stack.client("lambda").create_event_source_mapping(FunctionName=function_arn, EventSourceArn=queue_arn)
    started = time.monotonic()
    wait_for(lambda: observed(observe), timeout_s=10)
    assert time.monotonic() - started < 10
