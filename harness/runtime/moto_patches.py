"""How the local runtime changes moto (installed in the emulator process before it serves).

1. Event source mappings: moto invokes a mapped function synchronously inside the producer's own
   request (Kinesis PutRecord one record at a time, SQS SendMessage with a receive, DynamoDB writes
   with every stream record so far, clearing the stream afterwards). We keep the mapping (it is
   listed, described and updated through the Lambda API as usual) but remove its registration on
   the source, so producers only store data; `harness.runtime.pollers` then poll with AWS semantics.
   DynamoDB stream records therefore stay readable through the Streams API.
2. Lambda Invoke (API, SNS, the Step Functions interpreter, which calls the API) runs the
   function's own uploaded zip in a local execution environment (`harness.runtime.invoker`).
3. Step Functions executions run in moto's ASL interpreter (unnamed executions get a UUID name).
4. SageMaker runtime InvokeEndpoint answers from the local model (`harness.model`).
5. SNS -> Lambda subscriptions get a faithful SNS event (moto's fixed test event drops the real
   message attributes and topic ARN) and are invoked asynchronously, as SNS does; HTTP(S)
   subscriptions are delivered asynchronously too, so an unreachable endpoint cannot fail Publish.
6. Kinesis shards: moto finds the last sequence number by copying all keys (PutRecord is O(n))
   and scans every stored record on each GetRecords; with four readers polling the diagnostics
   stream that dominated CPU after a few thousand records. Same results, O(1)/O(batch) cost.
7. S3 bucket policies: moto ignores `Bool` conditions, so the usual TLS-only statement
   (Deny s3:* when aws:SecureTransport is false) denies every object request, including
   Firehose's and the handlers' writes. The emulator endpoint stands in for AWS's HTTPS endpoint,
   so object requests are evaluated with aws:SecureTransport = true and `Bool` is evaluated.
   (An emulator-compatibility fix that unblocks the runtime; harness/emulator/compat.py is its
   natural home.)
8. SNS signs every message delivered to SQS/HTTP with a freshly generated 2048-bit RSA key and a
   new certificate, which it keeps forever: ~0.1-0.3 s of CPU per delivery and a memory leak;
   the alert fan-out (3 queues per alert) ran at a few alerts per second. SNS uses one signing
   certificate for a long time, so one key and certificate per region are made once and reused
   (messages are still signed and verifiable with the SigningCertURL's certificate). The
   certificate is not rebuilt per delivery either: after a subscription's first envelope, the
   next ones reuse its fixed fields and are signed with the same key (moto's own work for a
   Publish to three queue subscriptions: ~12 -> ~5 ms).
9. Request dispatch: moto's server finds the backend for every request under one global lock,
   listing moto's package directory (an `isdir` per module) and trying each service's URL
   regexes on the host. The answer depends on the host alone, so it is remembered per host
   (bounded); the lookup, and which backend serves a request, are unchanged.
10. DynamoDB Query on a table (not an index): moto lists every item of the table, sorts them all
   and then keeps those with the queried partition key, so one Query costs O(N log N) in the
   table's size. driver_logs keeps every duty-status change (no TTL) and hos_processor queries it
   for each HOS record, so the cost per HOS record grew through a soak (soak 8: a 13-record HOS
   batch took p50 395 ms at minute 1, 1,824 ms at minute 49). The query now reads the partition's own items;
   moto's key conditions, sort, paging, filters and projections then run unchanged on them.
"""
from __future__ import annotations

import base64
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.core.config import default_user_config

log = logging.getLogger(__name__)

_installed = False


def install(functions: Callable[[], Any], answer_inference: Callable[[str, str], tuple[str, str]]) -> None:
    """Idempotent. `functions()` returns the current `invoker.LocalLambda` (looked up per call, so a
    runtime restarted in the same process, as in tests, is used)."""
    global _installed
    if _installed:
        return
    _installed = True
    _detach_synchronous_event_source_mappings()
    _route_invoke_to_local_environments(functions)
    _run_step_functions_in_the_interpreter()
    _answer_sagemaker_from_local_model(answer_inference)
    _deliver_sns_to_lambda_with_real_events(functions)
    _constant_time_kinesis_shard_reads()
    _secure_transport_in_bucket_policies()
    _one_sns_signing_certificate()
    _remember_backend_per_host()
    _partition_scoped_table_queries()


# -- 1 -------------------------------------------------------------------------------------------
def _detach_synchronous_event_source_mappings() -> None:
    original_create = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]):
        esm = original_create(self, spec)
        _unregister_from_source(self, esm)
        return esm

    LambdaBackend.create_event_source_mapping = create_event_source_mapping


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


# -- 2 -------------------------------------------------------------------------------------------
def _route_invoke_to_local_environments(functions: Callable[[], Any]) -> None:
    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        event = json.loads(body) if body else {}
        invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            functions().invoke_async(self, event)
            return b""
        result = functions().invoke_function(self, event)
        if result.failed:
            response_headers["x-amz-function-error"] = result.function_error
        return json.dumps(result.payload).encode("utf-8")

    LambdaFunction.invoke = invoke

    # With {"lambda": {"use_docker": False}} moto answers from a canned queue instead of the function.
    from moto.awslambda_simple.models import LambdaSimpleBackend

    LambdaSimpleBackend.invoke = LambdaBackend.invoke


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


# -- 3 -------------------------------------------------------------------------------------------
def _run_step_functions_in_the_interpreter() -> None:
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    from moto.moto_api._internal import mock_random
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    # The interpreter backend names an unnamed execution "None", so a second unnamed start fails
    # with ExecutionAlreadyExists; AWS generates a UUID name.
    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return original_start(self, state_machine_arn, name or str(mock_random.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution


# -- 4 -------------------------------------------------------------------------------------------
def _answer_sagemaker_from_local_model(answer_inference: Callable[[str, str], tuple[str, str]]) -> None:
    from moto.sagemakerruntime.models import SageMakerRuntimeBackend

    def invoke_endpoint(self: SageMakerRuntimeBackend, endpoint_name: str, unique_repr: bytes):
        request = json.loads(base64.b64decode(unique_repr))
        body, content_type = answer_inference(endpoint_name, request.get("Body") or "")
        return body, content_type, "AllTraffic", ""

    SageMakerRuntimeBackend.invoke_endpoint = invoke_endpoint


# -- 5 -------------------------------------------------------------------------------------------
def _deliver_sns_to_lambda_with_real_events(functions: Callable[[], Any]) -> None:
    from moto.sns.models import Subscription

    original_publish = Subscription.publish

    def publish(self: Subscription, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if self.protocol in ("http", "https"):
            # SNS delivers to HTTP(S) endpoints asynchronously, with retries; an unreachable
            # endpoint never fails the Publish call (moto posts inline and fails it with a 500).
            _HTTP_DELIVERY.submit(_deliver_http, original_publish, self, message, message_id, subject,
                                  message_attributes, kwargs)
            return None
        if self.protocol != "lambda":
            return original_publish(self, message, message_id, subject=subject,
                                    message_attributes=message_attributes, **kwargs)
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
                message_attributes, message):
            return None
        if kwargs.get("message_structure") == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = sns_event(self, message, message_id, subject, message_attributes or {})
        local = functions()
        local.invoke_async(local.find_function(self.endpoint), event)
        return None

    Subscription.publish = publish


_HTTP_DELIVERY = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sns-http")
HTTP_DELIVERY_ATTEMPTS = 3


def _deliver_http(original_publish: Callable, subscription: Any, message: str, message_id: str,
                  subject: str | None, message_attributes: Any, kwargs: dict) -> None:
    for attempt in range(HTTP_DELIVERY_ATTEMPTS):
        try:
            original_publish(subscription, message, message_id, subject=subject,
                             message_attributes=message_attributes, **kwargs)
            return
        except Exception as exc:  # connection refused, DNS failure, timeout...
            last_error = exc
            time.sleep(0.5 * (attempt + 1))
    log.warning("SNS delivery to %s failed after %d attempts: %s", subscription.endpoint,
                HTTP_DELIVERY_ATTEMPTS, last_error)


def sns_event(subscription: Any, message: str, message_id: str, subject: str | None,
              message_attributes: dict[str, Any]) -> dict[str, Any]:
    from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow

    return {"Records": [{
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
    }]}


# -- 6 -------------------------------------------------------------------------------------------
def _constant_time_kinesis_shard_reads() -> None:
    from moto.kinesis.models import Shard

    original_get_records = Shard.get_records

    def get_max_sequence_number(self: Shard) -> int:
        return next(reversed(self.records)) if self.records else 0

    def get_min_sequence_number(self: Shard) -> int:
        return next(iter(self.records)) if self.records else 0

    def get_records(self: Shard, last_sequence_id: str, limit: int | None):
        if not self.records:
            return [], int(last_sequence_id), 0
        first, final = next(iter(self.records)), next(reversed(self.records))
        if final - first + 1 != len(self.records):  # not the contiguous numbering PutRecord produces
            return original_get_records(self, last_sequence_id, limit)
        sequence = max(int(last_sequence_id) + 1, first)
        results = []
        while sequence <= final and (not limit or len(results) < limit):
            results.append(self.records[sequence])
            sequence += 1
        if not results:
            return [], int(last_sequence_id), 0
        behind_s = self.records[final].created_at - results[-1].created_at
        return results, results[-1].sequence_number, int(behind_s * 1000)

    Shard.get_max_sequence_number = get_max_sequence_number
    Shard.get_min_sequence_number = get_min_sequence_number
    Shard.get_records = get_records


# -- 7 -------------------------------------------------------------------------------------------
LOCAL_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _condition_holds(operator: str, expected: dict[str, Any], context: dict[str, str]) -> bool:
    """Bool/String(Not)Equals against the request context; other operators keep moto's
    behaviour (treated as holding). A key missing from the context fails the condition."""
    base = operator.removesuffix("IfExists")
    if base not in ("Bool", "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"):
        return True
    for key, values in expected.items():
        wanted = [str(v) for v in (values if isinstance(values, list) else [values])]
        actual = context.get(key)
        if actual is None:
            if operator.endswith("IfExists"):
                continue
            return False
        if base in ("Bool", "StringEqualsIgnoreCase"):
            matched = actual.lower() in [w.lower() for w in wanted]
        else:
            matched = actual in wanted
        if matched == (base == "StringNotEquals"):
            return False
    return True


def _secure_transport_in_bucket_policies() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        permitted = False
        for statement in statements:
            conditions = statement.get("Condition") or {}
            if not all(_condition_holds(op, expected, LOCAL_REQUEST_CONTEXT) for op, expected in conditions.items()):
                continue  # the statement does not apply to this request
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission


# -- 8 -------------------------------------------------------------------------------------------
def _one_sns_signing_certificate() -> None:
    import threading

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from moto.core.utils import iso_8601_datetime_with_milliseconds
    from moto.sns.models import DEFAULT_ACCOUNT_ID, Subscription, sns_backends

    original_get_post_data = Subscription.get_post_data
    original_private_key = Subscription.private_key
    keys: dict[str, Any] = {}
    certificate_names: dict[str, str] = {}
    lock = threading.Lock()

    def private_key(self: Subscription) -> Any:
        region = self.topic.sns_backend.region_name
        with lock:
            if region not in keys:
                keys[region] = original_private_key(self)
            return keys[region]

    # Per subscription, the envelope fields that do not change between messages (moto's own first
    # envelope, pointing at the region's one certificate). moto builds and signs a new X.509
    # certificate for every delivery, which was most of the cost of a Publish; later envelopes
    # are that template plus the message, its id, timestamp and signature, signed exactly as
    # moto signs them (SignatureVersion 2: SHA256withRSA over the canonical string).
    templates: dict[str, dict[str, Any]] = {}

    def first_post_data(self: Subscription, message: str, message_id: str, subject: str | None,
                        message_attributes: dict[str, Any] | None) -> dict[str, Any]:
        post_data = original_get_post_data(self, message, message_id, subject, message_attributes)
        region = self.topic.sns_backend.region_name
        url_base, _, name = post_data["SigningCertURL"].rpartition("/")
        with lock:
            canonical = certificate_names.setdefault(region, name)
        if name != canonical:  # a certificate for the same key: keep only the first one
            sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys.pop(name, None)
            post_data["SigningCertURL"] = f"{url_base}/{canonical}"
        with lock:
            templates[self.arn] = {k: v for k, v in post_data.items() if k not in ("Subject", "MessageAttributes")}
        return post_data

    def get_post_data(self: Subscription, message: str, message_id: str, subject: str | None,
                      message_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        template = templates.get(self.arn)
        if template is None or template.get("SignatureVersion") != "2" or template.get("TopicArn") != self.topic.arn:
            return first_post_data(self, message, message_id, subject, message_attributes)
        timestamp = iso_8601_datetime_with_milliseconds()
        string_to_sign = (f"Message\n{message}\nMessageId\n{message_id}\nTimestamp\n{timestamp}\n"
                          f"TopicArn\n{self.topic.arn}\nType\nNotification\n")
        signature = self.private_key().sign(string_to_sign.encode("UTF-8"), padding.PKCS1v15(), hashes.SHA256())
        post_data = dict(template, MessageId=message_id, Message=message, Timestamp=timestamp,
                         Signature=base64.b64encode(signature).decode("utf-8"))
        if subject:
            post_data["Subject"] = subject
        if message_attributes:
            post_data["MessageAttributes"] = message_attributes
        return post_data

    Subscription.private_key = private_key
    Subscription.get_post_data = get_post_data


# -- 9 -------------------------------------------------------------------------------------------
DISPATCH_CACHE_LIMIT = 4096  # distinct Host values remembered (S3 virtual hosts add one per bucket)


def _remember_backend_per_host() -> None:
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    remembered: dict[str | None, Any] = {}
    lock = threading.Lock()

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        try:
            return remembered[host]
        except KeyError:
            pass
        backend = original(self, host)
        if backend is not None:  # a miss falls through to moto's inference: keep asking
            with lock:
                if len(remembered) < DISPATCH_CACHE_LIMIT:
                    remembered[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host


# -- 10 ------------------------------------------------------------------------------------------
def items_in_partition(table: Any, hash_key: Any) -> list[Any]:
    """The table's items with partition key `hash_key` (moto keeps them in `table.items[hash_key]`:
    a dict by sort key for a table with one, else the item itself)."""
    held = table.items.get(hash_key)  # .get: `items` is a defaultdict, a lookup must not add a key
    if held is None:
        return []
    return list(held.values()) if table.range_key_attr else [held]


def _partition_scoped_table_queries() -> None:
    import inspect
    import threading

    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "fleettap_partition_scoped", False):
        return
    original_query, original_all_items = Table.query, Table.all_items
    signature = inspect.signature(original_query)
    scope = threading.local()  # the (table, partition key) a Query on this thread is reading

    def all_items(self: Table) -> list[Any]:
        current = getattr(scope, "partition", None)
        if current is not None and current[0] is self:
            return items_in_partition(self, current[1])  # moto's query sorts them by sort key itself
        return original_all_items(self)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        hash_key = arguments.get("hash_key")
        if hash_key is None or arguments.get("index_name"):  # indexes, multi-attribute keys: moto's way
            return original_query(self, *args, **kwargs)
        scope.partition = (self, hash_key)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            scope.partition = None

    query.fleettap_partition_scoped = True  # type: ignore[attr-defined]
    Table.all_items = all_items
    Table.query = query
