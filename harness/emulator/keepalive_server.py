"""The emulator's HTTP server: moto's WSGI app (behind RetryReplay) on a keep-alive server.

Why: moto serves its app with werkzeug's development server, which answers every request with
`Connection: close` (werkzeug/serving.py: "This disables HTTP/1.1 keep-alive"). Every SDK call
then opens a new TCP connection and werkzeug starts a new thread for it: about 1.75-2.0 ms of the
emulator's CPU per request against 1.0-1.4 ms on cheroot, which keeps connections open (332
connections for 332 boto3 calls against 3; docs/benchmarks.md).

cheroot (pure Python, the CherryPy server) serves the same WSGI application with a fixed pool of
worker threads; idle keep-alive connections wait in its selector, not in a thread. The pool must
cover every request that can be in flight at once, long polls included (SQS ReceiveMessage with
WaitTimeSeconds holds a thread for up to 20 s): FLEETTAP_EMULATOR_THREADS, default 96.

`FLEETTAP_FAST_PATHS=off` (read when the server starts) serves with moto's werkzeug server instead,
as before, for comparison (`harness.emulator.fast_responses`).
"""

from __future__ import annotations

import logging
import os

from cheroot import wsgi
from moto.server import DomainDispatcherApplication, ThreadedMotoServer, create_backend_app

from harness.emulator import fast_responses
from harness.emulator.retry_replay import ReplayingMotoServer, RetryReplay

log = logging.getLogger("harness.emulator.server")

THREADS_ENV = "FLEETTAP_EMULATOR_THREADS"
DEFAULT_THREADS = 96
IDLE_CONNECTION_S = 75.0  # longer than the SDKs keep an idle pooled connection, so they close first
LISTEN_BACKLOG = 256
# cheroot closes a connection after its response once 10 connections are open (keep_alive_conn_limit):
# the stack's clients (each Lambda environment's SDK clients, the runtime's own, the load and soak
# tools) hold 30-60, so at 1,500 records/s about 37 connections a second were closed and reopened.
KEEP_ALIVE_CONNECTIONS = 4096


class KeepAliveMotoServer(ThreadedMotoServer):
    """moto's threaded server interface (start/stop/get_host_and_port) on cheroot, with RetryReplay."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 5000, verbose: bool = False) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=verbose)
        self._cheroot: wsgi.Server | None = None

    def _server_entry(self) -> None:
        threads = int(os.environ.get(THREADS_ENV) or DEFAULT_THREADS)
        server = wsgi.Server(
            (self._ip_address, self._port),
            RetryReplay(DomainDispatcherApplication(create_backend_app)),
            numthreads=threads,
            max=threads,
            request_queue_size=LISTEN_BACKLOG,
            timeout=IDLE_CONNECTION_S,
            shutdown_timeout=5,
        )
        server.server_name = "fleettap-emulator"
        server.keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS
        server.prepare()  # binds: the port is taken when start() returns
        self._cheroot = server
        self._server_ready_event.set()
        server.serve()

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._cheroot is not None, "Make sure to call start() first"
        host, port = self._cheroot.bind_addr[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server_ready_event.clear()
        if self._cheroot is not None:
            self._cheroot.stop()
        if self._thread is not None:
            self._thread.join(10)


def emulator_server(host: str, port: int) -> ThreadedMotoServer:
    """The server the emulator runs: keep-alive (cheroot) unless the fast paths are off (werkzeug)."""
    if fast_responses.enabled():
        log.info("HTTP server: cheroot, keep-alive")
        return KeepAliveMotoServer(ip_address=host, port=port, verbose=False)
    log.info("HTTP server: werkzeug (%s=off), a connection per request", fast_responses.FAST_PATHS_ENV)
    return ReplayingMotoServer(ip_address=host, port=port, verbose=False)
