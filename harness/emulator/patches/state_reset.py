"""Emptying a stack's DynamoDB tables in one request (like LocalStack's `/_localstack/state/.../reset`).

`harness.reset` puts the local stack back to "just seeded" before every scenario run. Through the
DynamoDB API that is a Scan of every table and a BatchWriteItem delete per 25 items: a hos-violation
run leaves ~1,900 items, and their deletes took 10-13 s of a repeated `make sim` (docs/benchmarks.md,
"Edit-run loop"), each one also a REMOVE record on the table's stream for the mappings to read.

    POST /_fleettap/state/dynamodb/reset   {"prefix": "fleettap-dev-"}
        -> {"tables": {"fleettap-dev-driver_logs": 812, ...}}   (items removed per table)

Every table whose name starts with `prefix` (required, non-empty: no request empties every table)
in every account and region of the emulator loses its items; the tables themselves, their indexes,
settings and streams stay. No stream record is written: a reset is not a delete the handlers should
see (the pollers' checkpoints are already past every earlier record). It is meant for a quiet stack,
between runs, as `harness.reset` uses it. The route is answered here and
never reaches a service; the emulator listens on loopback only and `harness.reset` refuses any
other endpoint.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from harness.emulator.patches.registry import patch

RESET_PATH = "/_fleettap/state/dynamodb/reset"


def empty_tables(prefix: str) -> dict[str, int]:
    """Remove every item of the tables named `prefix...`; returns the items removed per table."""
    if not isinstance(prefix, str) or not prefix:
        raise ValueError("prefix must be a non-empty table name prefix")
    removed: dict[str, int] = {}
    for account in list(dynamodb_backends):
        for region in list(dynamodb_backends[account]):
            backend = dynamodb_backends[account][region]
            for name, table in list(backend.tables.items()):
                if not name.startswith(prefix):
                    continue
                removed[name] = removed.get(name, 0) + len(table)
                # One assignment (atomic under the GIL): moto's own empty state (Table.__init__).
                table.items = defaultdict(dict)
                held = getattr(table, "fleettap_held", None)
                if held is not None:
                    held.clear()  # the TTL patch's write-order list (patches/dynamodb.py) named only these
    return removed


def _answer(environ: dict, start_response: Any) -> list[bytes]:
    status = "200 OK"
    if environ.get("REQUEST_METHOD") != "POST":
        answer, status = {"error": 'POST {"prefix": ...} to empty the tables'}, "405 Method Not Allowed"
    else:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            answer = {"tables": empty_tables(document.get("prefix") if isinstance(document, dict) else None)}
        except (ValueError, TypeError) as error:
            answer, status = {"error": str(error)}, "400 Bad Request"
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]


@patch(target=DomainDispatcherApplication.__call__)
def reset_route(fn: Any, self: DomainDispatcherApplication, environ: dict, start_response: Any) -> Any:
    """The stack reset's one-request table wipe.

    Gap: moto has no way to empty a table but deleting its items one request at a time (or deleting
    and re-creating the table, which Terraform would then have to re-apply), so every repeated
    `make sim` spent seconds wiping the previous run. Fix: `POST /_fleettap/state/dynamodb/reset`
    empties the named tables in place (see the module docstring); every other request goes on to moto.
    """
    if environ.get("PATH_INFO") == RESET_PATH:
        return _answer(environ, start_response)
    return fn(self, environ, start_response)
