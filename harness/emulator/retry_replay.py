"""Answer an SDK's retry of a call the emulator already executed with the first answer.

Why: AWS SDKs retry a call whose response they did not get (a timeout on a busy machine, a
dropped connection). If the emulator had executed the first attempt, the retry of a create finds
the resource already there: Terraform then fails with `ResourceConflictException: Function
already exist` or `ReplicationGroupAlreadyExists` for a resource it created itself, and the
resource is missing from its state. Every attempt of one SDK call carries the same
`amz-sdk-invocation-id` header, so the emulator can tell a retry from a new call: a retry of a
call that completed with a 2xx gets that response again (a retry arriving while the first attempt
is still running waits for it); a retry of a call that failed or whose response was too large to
keep runs again, as it would on AWS. Requests without the header (Terraform's S3 GETs, curl) pass
straight through. Each replay is logged at WARNING with the request path.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from moto.server import DomainDispatcherApplication, MotoRequestHandler, ThreadedMotoServer, create_backend_app
from werkzeug.serving import make_server

log = logging.getLogger("harness.emulator.retry_replay")

KEPT_CALLS = 512  # invocation ids remembered (bounded: the emulator runs for hours)
KEPT_BODY_BYTES = 64 * 1024  # larger responses (GetRecords pages) are not kept: reads are safe to rerun
FIRST_ATTEMPT_WAIT_S = 120.0


class _Call:
    __slots__ = ("done", "response")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: tuple[str, list, bytes] | None = None


class RetryReplay:
    """WSGI middleware around moto's application."""

    def __init__(self, app: Callable, kept_calls: int = KEPT_CALLS, kept_body_bytes: int = KEPT_BODY_BYTES) -> None:
        self.app = app
        self.kept_calls = kept_calls
        self.kept_body_bytes = kept_body_bytes
        self.replayed = 0
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation:
            return self.app(environ, start_response)
        with self._lock:
            call = self._calls.get(invocation)
            first = call is None
            if first:
                call = self._calls[invocation] = _Call()
                while len(self._calls) > self.kept_calls:
                    self._calls.popitem(last=False)
        if first:
            return self._first_attempt(call, environ, start_response)
        call.done.wait(FIRST_ATTEMPT_WAIT_S)
        if call.response is None:
            return self.app(environ, start_response)
        status, headers, body = call.response
        self.replayed += 1
        log.warning(
            "replayed the response of an earlier attempt to a retried call: %s %s (%s)",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            environ.get("HTTP_AMZ_SDK_REQUEST"),
        )
        start_response(status, list(headers))
        return [body]

    def _first_attempt(self, call: _Call, environ: dict, start_response: Callable) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capturing_start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        try:
            chunks = self.app(environ, capturing_start_response)
            try:
                body = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            status = seen.get("status", "")
            if status.startswith("2") and len(body) <= self.kept_body_bytes:
                call.response = (status, list(seen.get("headers") or []), body)
            return [body]
        finally:
            call.done.set()


class ReplayingMotoServer(ThreadedMotoServer):
    """moto's threaded server with RetryReplay in front of its application."""

    def _server_entry(self) -> None:
        self._server = make_server(
            self._ip_address,
            self._port,
            RetryReplay(DomainDispatcherApplication(create_backend_app)),
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()
