"""Lambda: DeadLetterConfig, LoggingConfig, TracingConfig and KMSKeyArn as AWS stores them, the
account concurrency quota that reservations must leave room in, and the execution role's access to
an event source mapping's source and destination, which AWS checks when the mapping is created.

moto neither stores nor returns DeadLetterConfig (the async-invoke DLQ every function has) nor
LoggingConfig (JSON logs into the function's KMS-encrypted log group), and ignores updates of
TracingConfig and KMSKeyArn, so every plan would show a diff on all functions.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend, LambdaFunction

from harness.emulator.patches.registry import patch
from harness.runtime import service_roles
from harness.runtime.concurrency import account_concurrency_from_env
from harness.runtime.invoker import reservations
from harness.runtime.pollers.source_access import CONSUMER_MARKER, DESTINATION_ACTIONS, needed_actions, stream_of

UNRESERVED_MINIMUM = 100  # of the account quota, which no reservation may take


@patch(target=LambdaFunction.__init__)
def keep_dead_letter_and_logging_config(
    fn: Any, self: LambdaFunction, account_id: str, spec: dict[str, Any], region: str, version: Any = 1
) -> None:
    """Lambda CreateFunction: DeadLetterConfig and LoggingConfig are stored.

    Gap: moto drops both from the CreateFunction request. Fix: keep them on the function.
    """
    fn(self, account_id, spec, region, version)
    self.fleettap_dead_letter_config = spec.get("DeadLetterConfig") or {}
    self.fleettap_logging_config = spec.get("LoggingConfig") or {}


@patch(target=LambdaFunction.get_configuration)
def return_dead_letter_and_logging_config(fn: Any, self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    """Lambda GetFunction / GetFunctionConfiguration: DeadLetterConfig and LoggingConfig are returned.

    Gap: moto's configuration has neither, so the provider sees them removed on every refresh.
    Fix: return the stored ones as AWS does (LoggingConfig defaults to Text format in /aws/lambda/<name>).
    """
    config = fn(self, on_create)
    dead_letter = getattr(self, "fleettap_dead_letter_config", {})
    if dead_letter.get("TargetArn"):
        config["DeadLetterConfig"] = dict(dead_letter)
    logging_config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
    logging_config.update(getattr(self, "fleettap_logging_config", {}))
    config["LoggingConfig"] = logging_config
    return config


@patch(target=LambdaFunction.update_configuration)
def update_all_configuration(fn: Any, self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
    """Lambda UpdateFunctionConfiguration: DeadLetterConfig, LoggingConfig, TracingConfig, KMSKeyArn.

    Gap: moto ignores updates of all four, so an apply that changes one never converges.
    Fix: store them, then let moto apply the rest.
    """
    if "DeadLetterConfig" in config_updates:
        self.fleettap_dead_letter_config = config_updates["DeadLetterConfig"] or {}
    if "LoggingConfig" in config_updates:
        self.fleettap_logging_config = config_updates["LoggingConfig"] or {}
    if "TracingConfig" in config_updates:
        self.tracing_config = config_updates["TracingConfig"]
    if "KMSKeyArn" in config_updates:
        self.kms_key_arn = config_updates["KMSKeyArn"]
    return fn(self, config_updates)


@patch(target=LambdaBackend.put_function_concurrency)
def reservation_leaves_unreserved_minimum(
    fn: Any, self: LambdaBackend, function_name: str, reserved_concurrency: str
) -> str:
    """Lambda PutFunctionConcurrency: a reservation must leave 100 of the account quota unreserved.

    Gap: moto checks that only when MOTO_LAMBDA_CONCURRENCY_QUOTA is set, so any reservation is
    accepted where AWS refuses it. Fix: check against the account quota the local runtime throttles
    at (FLEETTAP_LAMBDA_ACCOUNT_CONCURRENCY, default AWS's 1000), with AWS's
    InvalidParameterValueException.
    """
    name = self.get_function(function_name).function_name
    reserved = reservations(f"{self.account_id}:{self.region_name}")
    others = sum(count for function, count in reserved.items() if function != name)
    if account_concurrency_from_env() - int(reserved_concurrency) - others < UNRESERVED_MINIMUM:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MINIMUM}]."
        )
    return fn(self, function_name, reserved_concurrency)


# What Lambda answers when the role cannot read the source (CreateEventSourceMapping), per source.
SOURCE_REFUSALS = {
    "kinesis": "Cannot access stream {arn}. Please ensure the role can perform the GetRecords, "
    "GetShardIterator, DescribeStream, and ListShards Actions on your stream in IAM.",
    "dynamodb": "Cannot access stream {arn}. Please ensure the role can perform the GetRecords, "
    "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.",
    "sqs": "The provided execution role does not have permissions to call {action} on SQS",
}
DESTINATION_SERVICES = {"sqs": "SQS", "sns": "SNS"}


@patch(target=LambdaBackend.create_event_source_mapping)
def enhanced_fan_out_source(fn: Any, self: LambdaBackend, spec: dict[str, Any]) -> Any:
    """Lambda CreateEventSourceMapping with a Kinesis stream consumer (enhanced fan-out) as the source.

    Gap: moto accepts only a queue, a table stream or a stream ARN as EventSourceArn and answers
    ResourceNotFoundException "Invalid EventSourceArn" for a consumer ARN
    (arn:...:stream/<name>/consumer/<consumer>:<created>), so a mapping that reads through
    aws_kinesis_stream_consumer cannot be created locally.
    Fix: for a consumer ARN, require that the consumer is registered on its stream (as Lambda does),
    then create the mapping with the consumer ARN as its source; the local poller
    (harness.runtime.mappings) reads the consumer's stream with the consumer's own throughput.
    """
    source = spec.get("EventSourceArn", "")
    if CONSUMER_MARKER not in source or ":kinesis:" not in source:
        return fn(self, spec)
    from moto.awslambda.models import EventSourceMapping
    from moto.kinesis.models import kinesis_backends

    backend = kinesis_backends[self.account_id][self.region_name]
    stream = next((st for st in backend.streams.values() if st.arn == stream_of(source)), None)
    if stream is None or stream.get_consumer_by_arn(source) is None:
        raise InvalidParameterValueException(f"Stream consumer not found: {source}")
    function = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec.get("FunctionName", ""))
    spec.update({"RegionName": self.region_name, "AccountId": self.account_id, "FunctionArn": function.function_arn})
    mapping = EventSourceMapping(spec)
    self._event_source_mappings[mapping.uuid] = mapping
    return mapping


@patch(target=LambdaBackend.create_event_source_mapping)
def mapping_role_can_use_its_source(fn: Any, self: LambdaBackend, spec: dict[str, Any]) -> Any:
    """Lambda CreateEventSourceMapping: the function's execution role must be able to read the source
    and write the on-failure destination.

    Gap: moto creates any mapping; AWS refuses one whose role lacks the poller's permissions with
    InvalidParameterValueException ("Cannot access stream ...", "The provided execution role does
    not have permissions to call ReceiveMessage on SQS"), so a mis-wired mapping fails the apply.
    Fix: evaluate the role's policies (`harness.runtime.service_roles`, the same evaluator as every
    other check; off with FLEETTAP_IAM_ENFORCEMENT=off) for the actions the local pollers need
    (`pollers.source_access`; the key of an encrypted source too, through the evaluator's KMS
    rules), and answer as AWS does.
    """
    function = self.get_function(spec.get("FunctionName", ""))
    source = spec.get("EventSourceArn", "")
    service = source.split(":")[2] if source.count(":") >= 5 else ""
    needed = needed_actions(service, source)
    denied = service_roles.allowed(function.role, needed, self.region_name)
    if denied is not None:
        action = denied.action.split(":")[1]
        raise InvalidParameterValueException(SOURCE_REFUSALS[service].format(arn=source, action=action))
    destination = ((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination", "")
    target = destination.split(":")[2] if destination.count(":") >= 5 else ""
    if target in DESTINATION_ACTIONS:
        denied = service_roles.allowed(function.role, [(DESTINATION_ACTIONS[target], destination)], self.region_name)
        if denied is not None:
            raise InvalidParameterValueException(
                f"The provided execution role does not have permissions to call "
                f"{DESTINATION_ACTIONS[target].split(':')[1]} on {DESTINATION_SERVICES[target]}"
            )
    return fn(self, spec)


@patch(target=LambdaBackend.list_event_source_mappings)
def mappings_by_function_name_or_arn(fn: Any, self: LambdaBackend, event_source_arn: Any, function_name: Any) -> Any:
    """Lambda ListEventSourceMappings: FunctionName may be the name or the ARN, as on AWS.

    Gap: moto keeps only the mappings whose FunctionName equals the string the mapping was created
    with. Terraform creates them with the function's ARN, so ListEventSourceMappings(FunctionName=
    <name>), which AWS answers with the function's mappings, found none locally.
    Fix: resolve FunctionName to the function (name, ARN or partial ARN) and keep the mappings whose
    FunctionArn is that function's; an unknown function lists none.
    """
    if not function_name:
        return fn(self, event_source_arn, function_name)
    try:
        wanted = self.get_function(function_name).function_arn
    except Exception:  # moto's UnknownFunctionException: AWS answers an empty list for a name
        return []
    return [esm for esm in fn(self, event_source_arn, None) if esm.function_arn == wanted]
