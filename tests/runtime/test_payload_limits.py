"""Payload limits refuse what AWS refuses, with AWS's error names: Lambda Invoke, SQS, SNS, Kinesis,
DynamoDB and Step Functions, through boto3 against the emulator with the local runtime."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, create_stream, run_definition, unique

MiB = 1024 * 1024
KiB = 1024


def _error_code(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


# ------------------------------------------------------------------------------------------ Lambda


@pytest.fixture
def function_name(runtime_stack, tmp_path):
    name = unique("fn")
    fixture_function.deploy(runtime_stack, name, str(tmp_path / "o.jsonl"))
    return name


def test_sync_invoke_request_over_6_mb_is_refused(runtime_stack, function_name):
    payload = json.dumps({"blob": "x" * (6 * MiB)}).encode()
    code = _error_code(lambda: runtime_stack.client("lambda").invoke(FunctionName=function_name, Payload=payload))
    assert code == "RequestEntityTooLargeException"


def test_async_invoke_request_over_1_mb_is_refused_and_under_it_accepted(runtime_stack, function_name):
    lambda_client = runtime_stack.client("lambda")
    too_big = json.dumps({"blob": "x" * MiB}).encode()
    code = _error_code(
        lambda: lambda_client.invoke(FunctionName=function_name, InvocationType="Event", Payload=too_big)
    )
    assert code == "RequestEntityTooLargeException"
    fits = json.dumps({"blob": "x" * (300 * KiB)}).encode()
    assert lambda_client.invoke(FunctionName=function_name, InvocationType="Event", Payload=fits)["StatusCode"] == 202


def test_response_over_6_mb_is_a_function_error_for_every_caller(runtime_stack, function_name):
    # Through the runtime directly, as an event source mapping invokes (not the Invoke API).
    result = runtime_stack.runtime.functions.invoke(function_name, {"response_mb": 7})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Function.ResponseSizeTooLarge"


# ------------------------------------------------------------------------------------------ SQS, SNS


def test_sqs_message_size_counts_utf8_bytes_and_attributes(runtime_stack):
    sqs = runtime_stack.client("sqs")
    url, _ = create_queue(sqs, {"MaximumMessageSize": str(256 * KiB)})
    multibyte = "é" * (200 * KiB)  # 200 Ki characters, 400 KiB in UTF-8
    assert _error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody=multibyte)) == "InvalidParameterValue"
    body = "x" * (250 * KiB)
    attributes = {"pad": {"DataType": "String", "StringValue": "y" * (10 * KiB)}}
    code = _error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes))
    assert code == "InvalidParameterValue"
    assert sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]


def test_sns_publish_over_256_kib_with_attributes_or_multibyte_is_refused(runtime_stack):
    sns = runtime_stack.client("sns")
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    code = _error_code(lambda: sns.publish(TopicArn=topic, Message="é" * (200 * KiB)))
    assert code == "InvalidParameter"
    attributes = {"pad": {"DataType": "String", "StringValue": "y" * (10 * KiB)}}
    code = _error_code(lambda: sns.publish(TopicArn=topic, Message="x" * (250 * KiB), MessageAttributes=attributes))
    assert code == "InvalidParameter"
    assert sns.publish(TopicArn=topic, Message="x" * (250 * KiB))["MessageId"]


def test_sns_publish_batch_over_256_kib_in_total_is_refused(runtime_stack):
    sns = runtime_stack.client("sns")
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    entries = [{"Id": str(i), "Message": "x" * (100 * KiB)} for i in range(3)]
    code = _error_code(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries))
    assert code == "BatchRequestTooLong"


# ------------------------------------------------------------------------------------------ Kinesis


def test_kinesis_put_record_over_1_mib_is_refused(runtime_stack):
    kinesis = runtime_stack.client("kinesis")
    stream_arn = create_stream(kinesis)
    data = b"x" * (MiB - 2)
    code = _error_code(lambda: kinesis.put_record(StreamARN=stream_arn, Data=data, PartitionKey="key"))
    assert code == "ValidationException"
    assert kinesis.put_record(StreamARN=stream_arn, Data=b"x" * (MiB - 3), PartitionKey="key")["SequenceNumber"]


def test_kinesis_put_records_limits_per_record_and_per_request(runtime_stack):
    kinesis = runtime_stack.client("kinesis")
    stream_arn = create_stream(kinesis)
    one_too_big = [{"Data": b"x" * MiB, "PartitionKey": "k"}]
    assert _error_code(lambda: kinesis.put_records(StreamARN=stream_arn, Records=one_too_big)) == "ValidationException"
    six_mib = [{"Data": b"x" * (MiB - 10), "PartitionKey": "k"} for _ in range(6)]
    assert _error_code(lambda: kinesis.put_records(StreamARN=stream_arn, Records=six_mib)) == "InvalidArgumentException"


# ------------------------------------------------------------------------------------------ DynamoDB


def _table(dynamodb) -> str:
    name = unique("table")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _item_size_error(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException", error
    return error["Message"]


def test_dynamodb_item_over_400_kb_is_refused_on_every_write_path(runtime_stack):
    dynamodb = runtime_stack.client("dynamodb")
    table = _table(dynamodb)
    big = {"pk": {"S": "a"}, "blob": {"S": "x" * (400 * KiB)}}
    assert "Item size has exceeded the maximum allowed size" in _item_size_error(
        lambda: dynamodb.put_item(TableName=table, Item=big)
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "b"}, "blob": {"S": "x" * (300 * KiB)}})
    assert "Item size" in _item_size_error(
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "b"}},
            UpdateExpression="SET more = :m",
            ExpressionAttributeValues={":m": {"S": "y" * (150 * KiB)}},
        )
    )
    assert "Item size" in _item_size_error(
        lambda: dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": big}}]})
    )
    assert "Item size" in _item_size_error(
        lambda: dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": big}}])
    )


# ------------------------------------------------------------------------------------------ Step Functions


def test_step_functions_task_result_over_256_kib_fails_with_data_limit_exceeded(runtime_stack, function_name):
    function_arn = runtime_stack.client("lambda").get_function(FunctionName=function_name)["Configuration"][
        "FunctionArn"
    ]
    definition = {
        "StartAt": "Big",
        "States": {
            "Big": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload": {"response_mb": 1}},
                "End": True,
            }
        },
    }
    end = run_definition(runtime_stack, definition, {})
    assert end["status"] == "FAILED" and end["error"] == "States.DataLimitExceeded"


def test_step_functions_execution_input_over_256_kib_is_refused(runtime_stack):
    sfn = runtime_stack.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name=unique("sm"),
        definition=json.dumps(definition),
        roleArn=fixture_function.role_arn(runtime_stack.client("iam")),
    )["stateMachineArn"]
    big_input = json.dumps({"blob": "x" * (256 * KiB)})
    code = _error_code(lambda: sfn.start_execution(stateMachineArn=machine, input=big_input, name=str(uuid.uuid4())))
    assert code == "ValidationException"
