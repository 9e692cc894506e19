"""Encoding the hot JSON-protocol answers with `json.dumps` instead of moto's shape-driven serializer.

Why: moto 5.2 serializes every response by walking the operation's output shape in Python
(moto/core/serialize.py): about 244 look-ups per DynamoDB Streams record, 66-99 % of the
emulator's time for Kinesis GetRecords/PutRecords and Streams GetRecords. For the JSON protocol
the wire form of a moto result is plain JSON once blobs are base64 and timestamps are epoch
seconds, so the hot operations (see the patches that call `json_answer` in the kinesis, dynamodb
and dynamodbstreams patch modules) answer with one `json.dumps` call: 25-50x cheaper.

The contract: a fast answer parses (botocore) to exactly what moto's serializer answer parses to,
the same status, Content-Type and headers; errors are never fast-pathed (a raised exception goes
through moto's serializer as before), and nothing before the action (authorization, KMS checks,
payload limits) is skipped: only the encoding of a successful result changes.
tests/runtime/test_fast_paths.py proves it per operation against moto's own serializer.

`FLEETTAP_FAST_PATHS=off` turns every fast path off (this encoder and the runtime's direct
backend reads, `harness.runtime.pollers.direct_reads`), read at each call so one process can
compare both (benchmarks/fast_paths.py).
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import json
import os
from typing import Any

FAST_PATHS_ENV = "FLEETTAP_FAST_PATHS"
_OFF = ("off", "0", "false", "no")

JSON_1_0 = "application/x-amz-json-1.0"  # DynamoDB, DynamoDB Streams
JSON_1_1 = "application/x-amz-json-1.1"  # Kinesis


def enabled() -> bool:
    """Whether the fast paths are on (default) or turned off with FLEETTAP_FAST_PATHS=off."""
    return os.environ.get(FAST_PATHS_ENV, "on").strip().lower() not in _OFF


def epoch_seconds(value: dt.datetime) -> int | float:
    """A timestamp as moto's serializer writes it for the JSON protocol: epoch seconds, naive = UTC,
    truncated to milliseconds (moto/core/serialize.py `_timestamp_unixtimestamp`)."""
    base = calendar.timegm(value.utctimetuple() if value.tzinfo is not None else value.timetuple())
    if value.microsecond:
        return base + (value.microsecond // 1000) / 1000.0
    return base


def _wire(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return epoch_seconds(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"no JSON wire form for {type(value).__name__}")


def encode(body: Any) -> str:
    """`body` as JSON with AWS's wire forms for datetimes and bytes."""
    return json.dumps(body, default=_wire, separators=(", ", ": "))


def json_answer(body: Any, content_type: str) -> tuple[str, dict[str, str]]:
    """A (body, headers) answer moto's `call_action` sends as is (status 200)."""
    return encode(body), {"Content-Type": content_type}
