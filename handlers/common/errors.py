"""How a record's failure is classified.

- PoisonRecord (and the domain's RecordRejected): the record itself is bad; retrying cannot help.
  It goes to the function's DLQ with its reason and counts as processed, so it never blocks a shard.
- Dependency errors (Redis, Postgres, AWS endpoint unreachable): nothing is wrong with the record;
  the whole batch is failed so Lambda retries it once the dependency is back.
- Anything else: that record is reported in batchItemFailures and retried by Lambda.
"""

from __future__ import annotations

import botocore.exceptions
import psycopg
import redis.exceptions

from handlers.domain.telemetry import RecordRejected


class PoisonRecord(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class DependencyUnavailable(RuntimeError):
    """Raised out of a batch so the entire invocation fails and is retried."""


DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica answering during an ElastiCache failover: retry the batch
    psycopg.OperationalError,
    psycopg.InterfaceError,
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    DependencyUnavailable,
)


def poison_reason(exc: BaseException) -> tuple[str, str] | None:
    if isinstance(exc, PoisonRecord):
        return exc.reason, exc.detail
    if isinstance(exc, RecordRejected):
        return getattr(exc, "reason_code", "REJECTED"), getattr(exc, "detail", str(exc))
    return None
