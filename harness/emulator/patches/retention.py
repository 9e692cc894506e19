"""Local data retention: how long the emulator keeps stream records, TTL items and per-message history.

moto keeps everything it is sent: every Kinesis record, every DynamoDB stream record, every item,
every published SNS message and every CloudWatch datapoint, for the life of the process. AWS does
not: Kinesis trims records older than the stream's RetentionPeriodHours (24 h by default), DynamoDB
Streams keep records for 24 h, and TTL deletes expired items. Over a long run the emulator's memory
would then grow with the data sent, and a soak could not tell data from a leak.

A laptop cannot hold 24 h of fleet telemetry in one Python process, so the emulator uses a shorter
local retention, FLEETTAP_LOCAL_RETENTION_S (seconds, default 600; `0` or `off` keeps AWS's retention
periods and every item, as plain moto does). With it:
- Kinesis records older than min(retention, the stream's RetentionPeriodHours) are trimmed; the trim
  horizon moves forward: TRIM_HORIZON and iterators that point into the trimmed range return the
  oldest record still held, and sequence numbers never restart (`kinesis`);
- DynamoDB stream records older than min(retention, 24 h) are trimmed the same way, and shard
  iterators are self-describing tokens instead of objects moto keeps forever (`dynamodbstreams`);
- items of tables with TTL enabled leave the emulator's memory once they have been held longer than
  the retention: an item whose TTL attribute has passed is deleted as AWS TTL deletes it (a REMOVE
  stream record with the DynamoDB service as userIdentity); one that has not expired yet is only
  evicted from the emulator (no stream record: on AWS it would still be stored until its TTL), so
  GetItem/Query no longer find telemetry items older than the retention (`dynamodb`). Tables without
  TTL (reference data, driver logs, compliance status) keep every item;
- per-topic published-message history (`sns`), per-queue deleted receipt handles (`sqs`) and
  CloudWatch datapoints (`cloudwatch`), moto's introspection records or data AWS keeps outside the
  service process, are bounded the same way.
Trimming is done lazily, on the writes and reads of the resource concerned (O(1) per call when
nothing is due), so there is no background thread; an idle resource keeps its data until touched.
"""

from __future__ import annotations

import os
import time

RETENTION_ENV = "FLEETTAP_LOCAL_RETENTION_S"
DEFAULT_LOCAL_RETENTION_S = 600.0


def local_retention_s() -> float | None:
    """The configured local retention in seconds, or None when it is switched off (`0`/`off`).

    Raises ValueError naming RETENTION_ENV when the setting is not a number of seconds >= 0.
    """
    raw = (os.environ.get(RETENTION_ENV) or "").strip().lower()
    if raw == "":
        return DEFAULT_LOCAL_RETENTION_S
    if raw in ("0", "off", "none", "false"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV}={raw!r} is not a number of seconds (or 'off')") from None
    if value < 0:
        raise ValueError(f"{RETENTION_ENV}={raw!r} must be >= 0")
    return value or None


def effective_retention_s(aws_retention_s: float) -> float:
    """How long the emulator keeps stream data whose AWS retention is `aws_retention_s`."""
    local = local_retention_s()
    return aws_retention_s if local is None else min(local, aws_retention_s)


def now() -> float:
    """The clock every retention patch reads (looked up per call, so tests can move it forward)."""
    return time.time()
