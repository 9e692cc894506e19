"""Injected faults: DynamoDB and Kinesis throttling and SNS publish failures, at a rate, switched at runtime.

Off by default: until a rate is set nothing here changes a response. The fault suite (`chaos/`)
switches it through the emulator's own control route, outside every AWS service's paths:

    GET    /_fleettap/faults   the current settings and how many faults were injected per service
    POST   /_fleettap/faults   {"seed": 7, "services": {"dynamodb": {"rate": 0.2}, "kinesis": {"rate": 0.3,
                               "actions": ["PutRecords"], "callers": "all"}, "sns": {"rate": 0.3}}}
    DELETE /_fleettap/faults   every rate back to 0 (the counters are kept until the next POST)

Per service: `rate` (0..1, the share of matching requests refused), `actions` (the API actions it
applies to; default: the writes below), `callers` ("functions": only requests signed with a
function's role-session credentials, the default, so the runner's own reads and the suite's
accounting are never refused; "all": every caller, e.g. the simulator's PutRecords). Draws come from
one `random.Random(seed)`, so a run with one seed and one request order refuses the same calls.

Each refusal is the error AWS answers under that pressure, in the service's protocol, so the SDKs'
retry logic and the handlers' error paths see what they would see on AWS:
- DynamoDB: 400 `ProvisionedThroughputExceededException` (botocore retries it as throttling);
- Kinesis: 400 `ProvisionedThroughputExceededException` for the whole call;
- SNS: 500 `InternalError` (a publish that failed on the service side; botocore retries it).
"""

from __future__ import annotations

import io
import json
import random
import re
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from harness.emulator.patches.registry import patch

CONTROL_PATH = "/_fleettap/faults"
SERVICES = ("dynamodb", "kinesis", "sns")
DEFAULT_ACTIONS = {
    "dynamodb": ("PutItem", "BatchWriteItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "TransactWriteItems"),
    "kinesis": ("PutRecords", "PutRecord"),
    "sns": ("Publish", "PublishBatch"),
}
ADMIN_KEY = "test"  # the admin credentials (harness, runner, load tools); functions sign with ASIA... keys
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")

_lock = threading.Lock()
_settings: dict[str, dict[str, Any]] = {}
_injected: dict[str, int] = {}
_seen: dict[str, int] = {}
_rng = random.Random(0)


def configure(document: dict) -> dict:
    """Replace the settings with `document` (see the module docstring); returns the new state."""
    services = document.get("services") or {}
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services {sorted(unknown)}; faults exist for {list(SERVICES)}")
    parsed = {}
    for name, spec in services.items():
        rate = float(spec.get("rate", 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name}: rate {rate} is not within 0..1")
        callers = spec.get("callers", "functions")
        if callers not in ("functions", "all"):
            raise ValueError(f"{name}: callers must be 'functions' or 'all', not {callers!r}")
        parsed[name] = {
            "rate": rate,
            "actions": tuple(spec.get("actions") or DEFAULT_ACTIONS[name]),
            "callers": callers,
        }
    global _rng
    with _lock:
        _settings.clear()
        _settings.update(parsed)
        _injected.clear()
        _seen.clear()
        _rng = random.Random(document.get("seed", 0))
    return state()


def clear() -> dict:
    """Every rate off; the counters stay readable."""
    with _lock:
        _settings.clear()
    return state()


def state() -> dict:
    with _lock:
        return {
            "services": {name: {**spec, "actions": list(spec["actions"])} for name, spec in _settings.items()},
            "injected": dict(_injected),
            "matched": dict(_seen),
        }


def _service_and_caller(environ: dict) -> tuple[str | None, str | None]:
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (found.group(2), found.group(1)) if found else (None, None)


def _action(service: str, environ: dict) -> tuple[str | None, bytes | None]:
    """The API action of the request and, when the body had to be read for it, the body (to put back)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1], None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    query = parse_qs(environ.get("QUERY_STRING", "")) or parse_qs(body.decode("utf-8", "replace"))
    return (query.get("Action") or [None])[0], body


def should_refuse(service: str, action: str | None, caller: str | None) -> bool:
    """One draw for a request of `service`/`action` from `caller` (True: refuse it)."""
    with _lock:
        spec = _settings.get(service)
        if not spec or spec["rate"] <= 0.0 or action not in spec["actions"]:
            return False
        if spec["callers"] == "functions" and (caller is None or caller == ADMIN_KEY):
            return False
        _seen[service] = _seen.get(service, 0) + 1
        refuse = _rng.random() < spec["rate"]
        if refuse:
            _injected[service] = _injected.get(service, 0) + 1
        return refuse


def _refusal(service: str, action: str, start_response: Any) -> list[bytes]:
    request_id = str(uuid.uuid4())
    if service == "sns":
        body = (
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type>'
            f"<Code>InternalError</Code><Message>Injected fault: {action} failed</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        start_response("500 Internal Server Error", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)])
        return [body]
    prefix = "com.amazonaws.dynamodb.v20120810#" if service == "dynamodb" else ""
    body = json.dumps(
        {
            "__type": f"{prefix}ProvisionedThroughputExceededException",
            "message": f"Injected fault: rate of requests exceeds the allowed throughput ({action})",
        }
    ).encode()
    start_response(
        "400 Bad Request",
        [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)],
    )
    return [body]


def _control(environ: dict, start_response: Any) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    try:
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            answer = configure(json.loads(environ["wsgi.input"].read(length) or b"{}"))
        elif method == "DELETE":
            answer = clear()
        else:
            answer = state()
        status = "200 OK"
    except (ValueError, TypeError, AttributeError) as error:
        answer, status = {"error": str(error)}, "400 Bad Request"
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]


@patch(target=DomainDispatcherApplication.__call__)
def inject_faults(fn: Any, self: DomainDispatcherApplication, environ: dict, start_response: Any) -> Any:
    """Throttling and publish failures at a rate, and the control route that switches them.

    Gap: moto never throttles DynamoDB or Kinesis and never fails an SNS publish, so the handlers'
    throttling paths (UnprocessedItems rounds, SDK retries, per-record failures, ESM retries) and the
    simulator's PutRecords backoff never run locally, and no fault test can reach them.
    Fix: with a rate set through `/_fleettap/faults` (off by default), a matching request is
    answered with the service's own throttling or internal error instead of reaching moto; the
    control route itself is answered here and never reaches a service.
    """
    if environ.get("PATH_INFO") == CONTROL_PATH:
        return _control(environ, start_response)
    if _settings:
        service, caller = _service_and_caller(environ)
        if service in _settings:
            action, body = _action(service, environ)
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
            if should_refuse(service, action, caller):
                return _refusal(service, action or "?", start_response)
    return fn(self, environ, start_response)
