"""How the local runtime wires itself into moto (installed in the emulator process before it serves).

These are not compatibility fixes (those are `harness.emulator.patches`): they route work that moto
would do inline, or answer with canned data, to the local runtime. They use the same undoable
`Patch` utility, in their own set, RUNTIME_HOOKS:
- event source mappings stay registered in the Lambda API but are detached from their sources, so
  producers only store data and `harness.runtime.pollers` poll with AWS semantics (DynamoDB stream
  records then stay readable through the Streams API);
- Lambda Invoke (API, SNS, the Step Functions interpreter, which calls the API) runs the function's
  own uploaded zip in a local execution environment (`harness.runtime.invoker`);
- Step Functions executions run in moto's ASL interpreter (unnamed executions get a UUID name) and
  count in AWS/States metrics (`harness.runtime.metrics`);
- SageMaker runtime InvokeEndpoint answers from the local model (`harness.model`);
- SNS -> Lambda subscriptions get a faithful SNS event and are invoked asynchronously, as SNS does;
  HTTP(S) subscriptions are delivered asynchronously too, so an unreachable endpoint cannot fail Publish;
  SNS -> SQS deliveries happen only when the queue's policy (and its key's policy) allow SNS
  (`harness.runtime.delivery_policies`);
- Step Functions' execution role is checked where the interpreter calls other services
  (`harness.runtime.sfn_role`).

`install(functions, answer_inference)` applies them (idempotent); `undo()` takes them out again.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import default_user_config
from moto.core.exceptions import JsonRESTError
from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
from moto.moto_api._internal import mock_random
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.sns.models import Subscription
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from harness.emulator.patches.registry import Patch, PatchSet
from harness.runtime.concurrency import Throttled
from harness.runtime.payload_limits import request_too_large

log = logging.getLogger(__name__)

RUNTIME_HOOKS = PatchSet("runtime hooks")
hook = RUNTIME_HOOKS.patch
HTTP_DELIVERY_ATTEMPTS = 3
_HTTP_DELIVERY = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sns-http")

# Set by install(): the current `invoker.LocalLambda` (looked up per call, so a runtime restarted in
# the same process, as in tests, is used) and the local model's answer to an InvokeEndpoint.
_functions: Callable[[], Any] | None = None
_answer_inference: Callable[[str, str], tuple[str, str]] | None = None


def install(functions: Callable[[], Any], answer_inference: Callable[[str, str], tuple[str, str]]) -> None:
    """Apply every runtime hook (idempotent). `functions()` returns the current `invoker.LocalLambda`;
    `answer_inference(endpoint_name, body)` returns (body, content type)."""
    global _functions, _answer_inference
    from harness.runtime.sfn_role import SFN_ROLE_HOOKS

    _functions, _answer_inference = functions, answer_inference
    RUNTIME_HOOKS.apply()
    SFN_ROLE_HOOKS.apply()  # the execution role's permissions, where the interpreter calls services


def undo() -> None:
    """Take every runtime hook out again (moto then invokes mapped functions itself, and so on)."""
    from harness.runtime.sfn_role import SFN_ROLE_HOOKS, forget_clients

    SFN_ROLE_HOOKS.undo()
    forget_clients()
    RUNTIME_HOOKS.undo()


def _local_functions() -> Any:
    if _functions is None:
        raise RuntimeError("harness.runtime.hooks.install() has not been called")
    return _functions()


# ------------------------------------------------------------------------------ event source mappings


@hook(target=LambdaBackend.create_event_source_mapping)
def detach_event_source_mapping(fn: Any, self: LambdaBackend, spec: dict[str, Any]) -> Any:
    """Event source mappings are polled by the local runtime, not invoked by the producer's request.

    moto invokes a mapped function synchronously inside the producer's own request (Kinesis PutRecord
    one record at a time, SQS SendMessage with a receive, DynamoDB writes with every stream record so
    far, clearing the stream afterwards). The mapping is kept (listed, described and updated through
    the Lambda API as usual) but its registration on the source is removed.
    """
    esm = fn(self, spec)
    _unregister_from_source(self, esm)
    return esm


def _unregister_from_source(backend: LambdaBackend, esm: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends
    from moto.sqs.models import sqs_backends

    account, region = backend.account_id, backend.region_name
    for queue in sqs_backends[account][region].queues.values():
        queue.lambda_event_source_mappings.pop(esm.function_arn, None)
    for table in dynamodb_backends[account][region].tables.values():
        table.lambda_event_source_mappings.pop(esm.function_arn, None)
    for stream in kinesis_backends[account][region].streams.values():
        stream.lambda_event_source_mappings.pop(esm.event_source_arn, None)


# ------------------------------------------------------------------------------ Lambda Invoke


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


@hook(target=LambdaFunction.invoke, pass_target=False)
def invoke_locally(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """Lambda Invoke runs the function's uploaded zip in a local execution environment.

    RequestResponse waits for the result (a function error sets x-amz-function-error), Event is
    queued to the function's asynchronous invocation, DryRun does nothing. Lambda's limits refuse
    the call as AWS does: a request over the payload limit with 413 RequestEntityTooLargeException
    (`payload_limits`), a synchronous invoke beyond reserved or account concurrency with 429
    TooManyRequestsException and its Reason (`concurrency`).
    """
    invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    too_large = request_too_large(invocation_type, body)
    if too_large is not None:
        raise RequestEntityTooLarge(too_large)
    event = json.loads(body) if body else {}
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        _local_functions().invoke_async(self, event)
        return b""
    try:
        result = _local_functions().invoke_function(self, event)
    except Throttled as throttled:
        raise TooManyRequests(throttled) from None
    if result.failed:
        response_headers["x-amz-function-error"] = result.function_error
    return json.dumps(result.payload).encode("utf-8")


class TooManyRequests(JsonRESTError):
    """Lambda's throttling error: 429, with the Reason AWS gives (which limit was reached)."""

    code = 429

    def __init__(self, throttled: Throttled) -> None:
        super().__init__(throttled.error_type, throttled.message)
        self.description = json.dumps(
            {"Reason": throttled.reason, "Type": "User", "message": throttled.message, "__type": throttled.error_type}
        )


class RequestEntityTooLarge(JsonRESTError):
    """Lambda's error for an Invoke request over the payload limit: 413."""

    code = 413

    def __init__(self, message: str) -> None:
        super().__init__("RequestEntityTooLargeException", message)


# With {"lambda": {"use_docker": False}} moto answers from a canned queue instead of the function.
RUNTIME_HOOKS.add(
    Patch(
        LambdaSimpleBackend,
        "invoke",
        LambdaBackend.invoke,
        doc="Lambda Invoke without Docker goes through LambdaBackend.invoke (so `invoke_locally`), "
        "not moto's canned answers.",
    )
)


# ------------------------------------------------------------------------------ Step Functions

RUNTIME_HOOKS.add(
    Patch(
        default_user_config,
        "stepfunctions",
        {"execute_state_machine": True},
        doc="Step Functions executions run the state machine in moto's ASL interpreter.",
    )
)


@hook(target=StepFunctionsParserBackend.start_execution)
def start_named_execution(
    fn: Any,
    self: Any,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: Any = None,
    trace_header: Any = None,
) -> Any:
    """Step Functions StartExecution without a name gets a UUID name, as on AWS.

    The interpreter backend names an unnamed execution "None", so a second unnamed start would fail
    with ExecutionAlreadyExists.
    """
    return fn(self, state_machine_arn, name or str(mock_random.uuid4()), execution_input, trace_header)


@hook(target=Execution.start)
def count_started_execution(fn: Any, self: Execution) -> None:
    """A started execution counts in AWS/States ExecutionsStarted, as Step Functions publishes it."""
    fn(self)
    _count_execution(self)


@hook(target=BaseExecutionWorkerCommunication.terminated)
def count_ended_execution(fn: Any, self: BaseExecutionWorkerCommunication) -> None:
    """An ended execution counts in AWS/States ExecutionsSucceeded/Failed/TimedOut/Aborted."""
    fn(self)
    _count_execution(self.execution)


def _count_execution(execution: Any) -> None:
    from harness.runtime import metrics

    try:
        status = getattr(execution.exec_status, "value", execution.exec_status)
        machine = execution.state_machine
        metrics.record_execution(getattr(machine, "source_arn", None) or machine.arn, str(status))
    except Exception:  # a metric must never fail an execution
        log.exception("counting execution %s failed", getattr(execution, "exec_arn", "?"))


# ------------------------------------------------------------------------------ SageMaker


@hook(target=SageMakerRuntimeBackend.invoke_endpoint, pass_target=False)
def answer_from_local_model(self: SageMakerRuntimeBackend, endpoint_name: str, unique_repr: bytes) -> Any:
    """SageMaker runtime InvokeEndpoint answers from the local model (`harness.model`), not canned data."""
    if _answer_inference is None:
        raise RuntimeError("harness.runtime.hooks.install() has not been called")
    request = json.loads(base64.b64decode(unique_repr))
    body, content_type = _answer_inference(endpoint_name, request.get("Body") or "")
    return body, content_type, "AllTraffic", ""


# ------------------------------------------------------------------------------ SNS deliveries


@hook(target=Subscription.publish)
def deliver_sns(
    fn: Any,
    self: Subscription,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """SNS deliveries to Lambda and HTTP(S) are asynchronous, with the event SNS sends.

    Lambda: moto invokes with a fixed test event that drops the real message attributes and topic
    ARN; the function gets `sns_event(...)` and is invoked asynchronously, as SNS does (filter
    policies and message structure as moto applies them). HTTP(S): SNS delivers asynchronously, with
    retries, so an unreachable endpoint never fails the Publish call (moto posts inline and fails it
    with a 500). Other protocols: moto's delivery.
    """
    if self.protocol in ("http", "https"):
        _HTTP_DELIVERY.submit(_deliver_http, fn, self, message, message_id, subject, message_attributes, kwargs)
        return None
    if self.protocol == "sqs" and _sqs_delivery_refused(self, message, message_attributes):
        return None
    if self.protocol != "lambda":
        return fn(self, message, message_id, subject=subject, message_attributes=message_attributes, **kwargs)
    if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
        return None
    if kwargs.get("message_structure") == "json":
        message = self._parse_message_structure(message, self.protocol)
    event = sns_event(self, message, message_id, subject, message_attributes or {})
    local = _local_functions()
    local.invoke_async(local.find_function(self.endpoint), event)
    return None


def _sqs_delivery_refused(subscription: Subscription, message: str, message_attributes: Any) -> bool:
    """SNS -> SQS needs the queue policy (and its key's policy) to allow SNS: else dropped and logged."""
    from harness.runtime import delivery_policies, service_roles

    matcher = subscription._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return False  # filtered out: no delivery is attempted
    denied = delivery_policies.sqs_delivery_denied(subscription.topic.arn, subscription.endpoint)
    if denied is not None:
        service_roles.record_denial(f"sns:{subscription.arn}", denied, effect="message not delivered")
    return denied is not None


def _deliver_http(
    original_publish: Callable,
    subscription: Any,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: Any,
    kwargs: dict,
) -> None:
    last_error: Exception | None = None
    for attempt in range(HTTP_DELIVERY_ATTEMPTS):
        try:
            original_publish(
                subscription, message, message_id, subject=subject, message_attributes=message_attributes, **kwargs
            )
            return
        except Exception as exc:  # connection refused, DNS failure, timeout...
            last_error = exc
            time.sleep(0.5 * (attempt + 1))
    log.warning(
        "SNS delivery to %s failed after %d attempts: %s", subscription.endpoint, HTTP_DELIVERY_ATTEMPTS, last_error
    )


def sns_event(
    subscription: Any, message: str, message_id: str, subject: str | None, message_attributes: dict[str, Any]
) -> dict[str, Any]:
    """The event SNS gives a subscribed Lambda function for one message."""
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": subscription.topic.arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": iso_8601_datetime_with_milliseconds(utcnow()),
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "local",
                    "UnsubscribeUrl": "local",
                    "MessageAttributes": {
                        name: {"Type": attr.get("Type", "String"), "Value": attr.get("Value")}
                        for name, attr in message_attributes.items()
                    },
                },
            }
        ]
    }
