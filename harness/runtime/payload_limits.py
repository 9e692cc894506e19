"""Lambda's invocation payload limits, as the local runtime enforces them (AWS Lambda quotas).

- Invoke request: 6 MB (6,291,456 bytes) for RequestResponse, 1 MB (1,048,576 bytes) for Event.
  A larger request is refused: 413 RequestEntityTooLargeException, the function does not run.
  (Lambda raised the asynchronous limit from 256 KB to 1 MB in 2025; the API reference now states
  "For asynchronous invocations, the maximum payload size is 1 MB".)
- Response: at most 6 MB; a larger one is a function error, errorType
  "Function.ResponseSizeTooLarge", whatever invoked the function (API, event source mapping).
"""

from __future__ import annotations

import json
from typing import Any

SYNC_REQUEST_MAX_BYTES = 6 * 1024 * 1024
ASYNC_REQUEST_MAX_BYTES = 1024 * 1024
# The figure AWS names in its error message (6 MiB plus framing).
RESPONSE_MAX_BYTES = 6_291_556


def request_too_large(invocation_type: str, body: bytes | str | None) -> str | None:
    """AWS's RequestEntityTooLargeException message when `body` exceeds the limit of its invocation type."""
    size = len(body.encode("utf-8") if isinstance(body, str) else body or b"")
    limit = ASYNC_REQUEST_MAX_BYTES if invocation_type == "Event" else SYNC_REQUEST_MAX_BYTES
    if size <= limit:
        return None
    return f"Request must be smaller than {limit} bytes for the InvokeFunction operation"


def response_too_large(payload: Any) -> dict[str, str] | None:
    """The function error Lambda returns instead of a response larger than RESPONSE_MAX_BYTES, or None."""
    if payload is None:
        return None
    size = len(json.dumps(payload, default=str).encode("utf-8"))
    if size <= RESPONSE_MAX_BYTES:
        return None
    return {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": f"Response payload size exceeded maximum allowed payload size ({RESPONSE_MAX_BYTES} bytes).",
    }
