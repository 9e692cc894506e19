"""The emulator answers an SDK retry of a call it already executed with the first answer."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
import uuid

from harness.emulator.retry_replay import RetryReplay


class CountingApp:
    """A WSGI app that 'creates' once and conflicts after, like moto's create calls."""

    def __init__(self, delay_s: float = 0.0, status: str = "200 OK", body: bytes = b"created") -> None:
        self.calls = 0
        self.delay_s = delay_s
        self.status, self.body = status, body

    def __call__(self, environ, start_response):
        self.calls += 1
        time.sleep(self.delay_s)
        if self.calls > 1 and self.status.startswith("2"):
            start_response("409 Conflict", [("Content-Type", "text/plain")])
            return [b"already exists"]
        start_response(self.status, [("Content-Type", "text/plain")])
        return [self.body]


def _call(app, invocation: str | None, attempt: int = 1):
    seen = {}
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/"}
    if invocation:
        environ.update(HTTP_AMZ_SDK_INVOCATION_ID=invocation, HTTP_AMZ_SDK_REQUEST=f"attempt={attempt}; max=3")
    body = b"".join(app(environ, lambda status, headers, exc_info=None: seen.update(status=status)))
    return seen["status"], body


def test_a_retry_gets_the_first_answer_and_the_call_runs_once():
    inner = CountingApp()
    app = RetryReplay(inner)
    assert _call(app, "inv-1") == ("200 OK", b"created")
    assert _call(app, "inv-1", attempt=2) == ("200 OK", b"created")
    assert inner.calls == 1 and app.replayed == 1


def test_a_new_call_and_a_call_without_the_header_run_again():
    inner = CountingApp()
    app = RetryReplay(inner)
    _call(app, "inv-1")
    assert _call(app, "inv-2")[0].startswith("409")
    assert _call(app, None)[0].startswith("409")
    assert inner.calls == 3


def test_a_retry_of_a_failed_call_runs_again():
    inner = CountingApp(status="500 Internal Server Error", body=b"boom")
    app = RetryReplay(inner)
    _call(app, "inv-1")
    _call(app, "inv-1", attempt=2)
    assert inner.calls == 2 and app.replayed == 0


def test_a_retry_during_the_first_attempt_waits_for_it():
    inner = CountingApp(delay_s=0.5)
    app = RetryReplay(inner)
    first = threading.Thread(target=_call, args=(app, "inv-1"))
    first.start()
    time.sleep(0.1)
    assert _call(app, "inv-1", attempt=2) == ("200 OK", b"created")
    first.join()
    assert inner.calls == 1


def test_memory_is_bounded():
    app = RetryReplay(CountingApp(), kept_calls=3)
    for i in range(10):
        _call(app, f"inv-{i}")
    assert len(app._calls) == 3


def test_the_emulator_replays_a_retried_create(local_stack):
    """Against the real emulator: CreateTable sent twice with one invocation id creates one table and
    answers both attempts alike; a new invocation id gets DynamoDB's real ResourceInUseException."""
    import json

    invocation = str(uuid.uuid4())
    table = f"replay-{invocation[:8]}"
    body = json.dumps(
        {
            "TableName": table,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        }
    ).encode()

    def create(invocation_id: str, attempt: int) -> tuple[int, bytes]:
        request = urllib.request.Request(
            local_stack.aws_endpoint + "/",
            method="POST",
            data=body,
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.CreateTable",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/dynamodb/aws4_request, "
                "SignedHeaders=host, Signature=0",
                "amz-sdk-invocation-id": invocation_id,
                "amz-sdk-request": f"attempt={attempt}; max=3",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    first = create(invocation, 1)
    assert first[0] == 200 and table.encode() in first[1]
    assert create(invocation, 2) == first
    conflict = create(str(uuid.uuid4()), 1)
    assert conflict[0] == 400 and b"ResourceInUseException" in conflict[1]
