"""Step Functions' execution role, checked where moto's ASL interpreter calls other services.

The interpreter calls Lambda (Task `lambda:invoke`, or a function ARN as Resource), S3 (the
distributed Map's ItemReader and ResultWriter), Step Functions (child executions), SNS, SQS and
DynamoDB through `boto_client_for(region, service, state_credentials)`, where
`state_credentials.role_arn` is the execution's role (or a Task's `Credentials`). Every client it
makes gets a check before each call: the role must be allowed the call's IAM action on the call's
resource (and, through the evaluator, the KMS key of an encrypted resource). A refusal is a
ClientError with AWS's AccessDenied message naming the role, the action and the resource, so the
Task fails as on AWS (Lambda: error `Lambda.AccessDeniedException`, cause with that message and
"Service: AWSLambda; Status Code: 403") and Retry/Catch apply to it.

An execution of a state machine encrypted with a customer managed key also needs the role to use
that key (kms:Decrypt and kms:GenerateDataKey under the state machine's encryption context): without
it the execution fails at start with `KMS.AccessDeniedException`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import threading
import uuid
from typing import Any

from botocore.exceptions import ClientError
from moto.core.models import botocore_stubber
from moto.settings import moto_server_port
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import Execution

from harness.emulator import kms_requirements
from harness.emulator.authorization import AccessDenied
from harness.emulator.patches.registry import Patch, PatchSet
from harness.runtime import service_roles

SFN_ROLE_HOOKS = PatchSet("step functions execution role")

# Interpreter modules that make their clients with `boto_client_for` (imported by name in each).
_CLIENT_MODULES = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
)

# Operation name -> IAM action where they differ from "<service>:<Operation>".
_ACTIONS = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
}


def requested(service: str, operation: str, params: dict[str, Any], region: str, account: str) -> tuple[str, str]:
    """The IAM action and resource ARN a call of the interpreter's client is authorized against."""
    action = _ACTIONS.get((service, operation), f"{service}:{operation}")
    if service == "lambda":
        name = str(params.get("FunctionName", ""))
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
        if params.get("Qualifier"):
            arn = f"{arn}:{params['Qualifier']}"
        return action, arn
    if service == "s3":
        bucket = f"arn:aws:s3:::{params.get('Bucket', '')}"
        return action, f"{bucket}/{params['Key']}" if "Key" in params else bucket
    if service == "stepfunctions":
        arn = params.get("stateMachineArn") or params.get("executionArn") or "*"
        return f"states:{operation}", arn
    if service == "sns":
        return action, params.get("TopicArn") or "*"
    if service == "sqs":
        url = str(params.get("QueueUrl", ""))
        parts = url.rstrip("/").split("/")
        return action, f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}" if len(parts) >= 2 else "*"
    if service == "dynamodb":
        return action, f"arn:aws:dynamodb:{region}:{account}:table/{params.get('TableName', '')}"
    return action, "*"


def access_denied_error(denied: AccessDenied, operation: str, service: str) -> ClientError:
    code = denied.code or ("AccessDenied" if service == "s3" else "AccessDeniedException")
    response = {
        "Error": {"Code": code, "Message": denied.message},
        "ResponseMetadata": {
            "HTTPStatusCode": 403 if code.startswith("AccessDenied") else 400,
            "RequestId": str(uuid.uuid4()),
        },
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


# One client per (region, service, role, where it sends): moto's interpreter makes a new boto3 client for
# every Task, Map iteration and child execution, and creating one (loading the service model, copying
# the event hooks) was 23 % of the emulator's CPU in a DOT run (py-spy, 1,000 drivers); a cached client
# also keeps its connections alive. boto3 clients are thread-safe, so the Map's threads share them.
_CLIENTS: dict[tuple, Any] = {}
_CLIENTS_LOCK = threading.Lock()
_MAX_CLIENTS = 256


def guarded_boto_client_for(fn: Any, region: str, service: str, state_credentials: Any = None) -> Any:
    """Step Functions interpreter clients check the execution role before every call (module docstring)."""
    role_arn = getattr(state_credentials, "role_arn", None)
    key = (region, service, role_arn, botocore_stubber.enabled, moto_server_port())
    client = _CLIENTS.get(key)
    if client is not None:
        return client
    client = fn(region=region, service=service, state_credentials=state_credentials)
    if role_arn:
        _check_every_call(client, service, region, role_arn)
    with _CLIENTS_LOCK:
        if len(_CLIENTS) >= _MAX_CLIENTS:
            _CLIENTS.clear()
        return _CLIENTS.setdefault(key, client)


def forget_clients() -> None:
    """Drop the cached clients (the hooks' undo, and tests that change where clients send)."""
    with _CLIENTS_LOCK:
        _CLIENTS.clear()


def _check_every_call(client: Any, service: str, region: str, role_arn: str) -> None:
    account = role_arn.split(":")[4]

    def before_call(params: dict[str, Any], model: Any, **_: Any) -> None:
        action, resource = requested(service, model.name, params or {}, region, account)
        try:
            service_roles.check(role_arn, action, resource, region, session_name="states")
        except AccessDenied as denied:
            service_roles.record_denial(f"states:{role_arn.split('/')[-1]}", denied)
            raise access_denied_error(denied, model.name, service) from None

    client.meta.events.register(
        f"before-parameter-build.{client.meta.service_model.service_id.hyphenize()}.*", before_call
    )


for _module_name in _CLIENT_MODULES:
    SFN_ROLE_HOOKS.add(
        Patch(importlib.import_module(_module_name), "boto_client_for", guarded_boto_client_for, pass_target=True)
    )


@SFN_ROLE_HOOKS.patch(target=Execution.start)
def fail_without_key(fn: Any, self: Execution) -> None:
    """A state machine with a customer managed key runs only if its role can use the key."""
    located = kms_requirements.resource_key(
        "states", "states:StartExecution", self.state_machine_arn, self.account_id, self.region_name, {}
    )
    if located is not None:
        key_arn, encryption_context = located
        context = {
            "kms:ViaService": f"states.{self.region_name}.amazonaws.com",
            "kms:CallerAccount": self.account_id,
            **{f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items()},
        }
        denied = service_roles.allowed(
            self.role_arn,
            [("kms:Decrypt", key_arn), ("kms:GenerateDataKey", key_arn)],
            self.region_name,
            context=context,
            session_name="states",
        )
        if denied is not None:
            service_roles.record_denial(f"states:{self.state_machine_arn.split(':')[-1]}", denied)
            self.exec_status = ExecutionStatus.FAILED
            self.error, self.cause = "KMS.AccessDeniedException", denied.message
            self.stop_date = dt.datetime.now(dt.UTC)
            return None
    return fn(self)


@SFN_ROLE_HOOKS.patch(target=Execution.to_history_output)
def history_of_refused_execution(fn: Any, self: Execution) -> Any:
    """An execution `fail_without_key` refused has one event, its ExecutionFailed (no worker ran)."""
    if self.exec_worker is not None or self.exec_status != ExecutionStatus.FAILED:
        return fn(self)
    failed = {
        "id": 1,
        "previousEventId": 0,
        "timestamp": self.stop_date,
        "type": "ExecutionFailed",
        "executionFailedEventDetails": {"error": self.error, "cause": self.cause},
    }
    return {"events": [failed]}
