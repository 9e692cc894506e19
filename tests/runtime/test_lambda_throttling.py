"""Reserved and account concurrency throttle invokes as Lambda does; the local machine limit waits."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.runtime import invoker
from tests.runtime import fixture_function
from tests.runtime.helpers import create_queue, create_stream, observed, put_json, unique, wait_for


def _no_retry_lambda(stack):
    """A Lambda client that shows the first answer (botocore retries TooManyRequestsException itself)."""
    return boto3.client(
        "lambda",
        endpoint_url=stack.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def _deploy(stack, tmp_path, reserved: int | None = None) -> tuple[str, str]:
    name = unique("fn")
    arn = fixture_function.deploy(stack, name, str(tmp_path / "observed.jsonl"))
    if reserved is not None:
        stack.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return name, arn


def _in_background(call) -> threading.Thread:
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread


def _in_flight(stack, name: str) -> int:
    return stack.runtime.functions.concurrency.in_flight("123456789012:us-east-1", name)


def test_sync_invoke_beyond_reserved_concurrency_is_throttled_with_429(runtime_stack, tmp_path):
    name, _ = _deploy(runtime_stack, tmp_path, reserved=1)
    client = _no_retry_lambda(runtime_stack)
    slow = _in_background(lambda: client.invoke(FunctionName=name, Payload=b'{"sleep": 2}'))
    wait_for(lambda: _in_flight(runtime_stack, name) == 1)
    with pytest.raises(ClientError) as refused:
        client.invoke(FunctionName=name, Payload=b"{}")
    slow.join()
    error = refused.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert "FunctionError" not in client.invoke(FunctionName=name, Payload=b"{}")  # capacity is back


def test_unreserved_functions_are_throttled_at_the_accounts_unreserved_concurrency(runtime_stack, tmp_path):
    name, _ = _deploy(runtime_stack, tmp_path)
    limits = runtime_stack.runtime.functions.concurrency
    reserved = sum(invoker.reservations("123456789012:us-east-1").values())
    client = _no_retry_lambda(runtime_stack)
    saved = limits.account_limit
    limits.account_limit = reserved + 1  # one unreserved execution left in the account
    try:
        slow = _in_background(lambda: client.invoke(FunctionName=name, Payload=b'{"sleep": 2}'))
        wait_for(lambda: _in_flight(runtime_stack, name) == 1)
        with pytest.raises(ClientError) as refused:
            client.invoke(FunctionName=name, Payload=b"{}")
        slow.join()
    finally:
        limits.account_limit = saved
    assert refused.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_beyond_the_machine_limit_invokes_wait_instead_of_being_throttled(runtime_stack, tmp_path):
    name, _ = _deploy(runtime_stack, tmp_path, reserved=invoker.MAX_ENVIRONMENTS_PER_FUNCTION + 2)
    client = _no_retry_lambda(runtime_stack)
    count = invoker.MAX_ENVIRONMENTS_PER_FUNCTION + 2
    with ThreadPoolExecutor(max_workers=count) as pool:
        responses = list(pool.map(lambda _: client.invoke(FunctionName=name, Payload=b'{"sleep": 1}'), range(count)))
    assert all("FunctionError" not in response for response in responses)


def test_reserved_concurrency_zero_refuses_every_invoke(runtime_stack, tmp_path):
    name, _ = _deploy(runtime_stack, tmp_path, reserved=0)
    with pytest.raises(ClientError) as refused:
        _no_retry_lambda(runtime_stack).invoke(FunctionName=name, Payload=b"{}")
    assert refused.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_kinesis_mapping_retries_a_throttled_batch_without_counting_it_as_a_retry(runtime_stack, tmp_path):
    name, arn = _deploy(runtime_stack, tmp_path, reserved=0)
    kinesis = runtime_stack.client("kinesis")
    stream_arn = create_stream(kinesis)
    runtime_stack.client("lambda").create_event_source_mapping(
        FunctionName=arn, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=0
    )
    runtime_stack.refresh_mappings()
    put_json(kinesis, stream_arn, [{"id": 1}, {"id": 2}])
    poller = wait_for(lambda: _poller_of(runtime_stack, arn, lambda p: p.stats.throttles >= 3))
    assert observed(tmp_path / "observed.jsonl") == [] and poller.stats.discarded_records == 0
    runtime_stack.client("lambda").delete_function_concurrency(FunctionName=name)
    delivered = wait_for(lambda: len(ids := _ids(tmp_path / "observed.jsonl")) >= 2 and ids)
    assert delivered == [1, 2] and poller.stats.discarded_records == 0


def test_sqs_mapping_retries_a_throttled_batch_while_it_is_invisible(runtime_stack, tmp_path):
    name, arn = _deploy(runtime_stack, tmp_path, reserved=0)
    sqs = runtime_stack.client("sqs")
    url, queue_arn = create_queue(sqs, {"VisibilityTimeout": "60"})
    runtime_stack.client("lambda").create_event_source_mapping(FunctionName=arn, EventSourceArn=queue_arn)
    runtime_stack.refresh_mappings()
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "m1"}))
    wait_for(lambda: _poller_of(runtime_stack, arn, lambda p: p.throttles >= 3))
    assert observed(tmp_path / "observed.jsonl") == []
    runtime_stack.client("lambda").delete_function_concurrency(FunctionName=name)
    batches = wait_for(lambda: observed(tmp_path / "observed.jsonl"))
    assert [batch["ids"] for batch in batches] == [["m1"]]


def test_throttled_async_invoke_is_retried_until_it_runs(runtime_stack, tmp_path):
    name, _ = _deploy(runtime_stack, tmp_path, reserved=0)
    lambda_client = runtime_stack.client("lambda")
    payload = json.dumps({"Records": [{"id": "async-1"}]}).encode()
    assert lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=payload)["StatusCode"] == 202
    wait_for(lambda: runtime_stack.runtime.functions.concurrency.throttles.get(name, 0) >= 2)
    assert observed(tmp_path / "observed.jsonl") == []
    lambda_client.delete_function_concurrency(FunctionName=name)
    batches = wait_for(lambda: observed(tmp_path / "observed.jsonl"))
    time.sleep(0.5)  # a throttled attempt is not a failed one: the event runs once
    assert (
        [batch["ids"] for batch in observed(tmp_path / "observed.jsonl")]
        == [["async-1"]]
        == [batch["ids"] for batch in batches]
    )


def _ids(path) -> list:
    return [record_id for batch in observed(path) for record_id in batch["ids"]]


def _poller_of(stack, function_arn: str, condition):
    for poller in list(stack.runtime.supervisor._pollers.values()):
        if poller.mapping.function_arn == function_arn and condition(poller):
            return poller
    return None


def _task_machine(stack, function_arn: str, retry: list) -> str:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": {"input.$": "$"}},
        "OutputPath": "$.Payload",
        "End": True,
    }
    definition = {"StartAt": "Call", "States": {"Call": {**task, **({"Retry": retry} if retry else {})}}}
    return stack.client("stepfunctions").create_state_machine(
        name=unique("sm"), definition=json.dumps(definition), roleArn=fixture_function.role_arn(stack.client("iam"))
    )["stateMachineArn"]


def _execution_end(stack, machine_arn: str, during=lambda: None) -> dict:
    sfn = stack.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    during()
    return wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d, timeout_s=30
    )


def test_step_functions_task_fails_with_lambda_too_many_requests_without_a_retry(runtime_stack, tmp_path):
    _, arn = _deploy(runtime_stack, tmp_path, reserved=0)
    end = _execution_end(runtime_stack, _task_machine(runtime_stack, arn, retry=[]))
    assert end["status"] == "FAILED" and end["error"] == "Lambda.TooManyRequestsException"


def test_step_functions_retry_on_lambda_too_many_requests_runs_the_task_once_capacity_is_back(runtime_stack, tmp_path):
    name, arn = _deploy(runtime_stack, tmp_path, reserved=0)
    retry = [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 5}]
    machine = _task_machine(runtime_stack, arn, retry)
    limits = runtime_stack.runtime.functions.concurrency

    def free_capacity_after_a_throttle() -> None:
        wait_for(lambda: limits.throttles.get(name, 0) >= 1)
        runtime_stack.client("lambda").delete_function_concurrency(FunctionName=name)

    end = _execution_end(runtime_stack, machine, during=free_capacity_after_a_throttle)
    assert end["status"] == "SUCCEEDED", end.get("cause")
    assert limits.throttles[name] >= 1


def test_a_reservation_must_leave_100_of_the_account_quota_unreserved(runtime_stack, tmp_path):
    name, _ = _deploy(runtime_stack, tmp_path)
    reserved = sum(invoker.reservations("123456789012:us-east-1").values())
    lambda_client = runtime_stack.client("lambda")
    too_much = runtime_stack.runtime.functions.concurrency.account_limit - reserved - 99
    with pytest.raises(ClientError) as refused:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=too_much)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=too_much - 1)
    lambda_client.delete_function_concurrency(FunctionName=name)
