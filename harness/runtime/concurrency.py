"""Lambda's concurrency limits, as the local runtime enforces them: an invoke beyond them is throttled.

Concurrency is the number of invokes of a function in flight at once (an invoke that waits for a
free local execution environment counts: on AWS it would be running). Two limits refuse an invoke,
as Lambda does, with `Throttled` (the API answers 429 TooManyRequestsException):
- a function with reserved concurrency N runs at most N invokes at once
  (Reason "ReservedFunctionConcurrentInvocationLimitExceeded"; N = 0 refuses every invoke);
- the functions without a reservation share what the account quota leaves unreserved: quota minus
  the sum of every reservation in the region (Reason "ConcurrentInvocationLimitExceeded"). The quota
  is AWS's default, 1000, or FLEETTAP_LAMBDA_ACCOUNT_CONCURRENCY.

The local machine limit (FLEETTAP_LAMBDA_MAX_ENVIRONMENTS, `workers.EnvironmentPool`) is not one of
them: an invoke within these limits waits for a free environment, it is never refused for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

DEFAULT_ACCOUNT_CONCURRENCY = 1000  # AWS's default "Concurrent executions" quota per region
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"


def account_concurrency_from_env() -> int:
    """The account quota: FLEETTAP_LAMBDA_ACCOUNT_CONCURRENCY, else AWS's default."""
    return int(os.environ.get("FLEETTAP_LAMBDA_ACCOUNT_CONCURRENCY", DEFAULT_ACCOUNT_CONCURRENCY))


class Throttled(Exception):
    """An invoke refused because a concurrency limit is reached (Lambda's TooManyRequestsException)."""

    error_type = "TooManyRequestsException"
    message = "Rate Exceeded."

    def __init__(self, function_name: str, reason: str, limit: int) -> None:
        super().__init__(f"{function_name}: {self.message} ({reason}, limit {limit})")
        self.function_name = function_name
        self.reason = reason
        self.limit = limit


class ConcurrencyLimits:
    """In-flight invokes per function, checked against reserved and account concurrency.

    `reservations(scope)` returns {function name: reserved concurrency} of every function with a
    reservation in `scope` (an account and region: the unit AWS's quota applies to).
    """

    def __init__(self, reservations: Callable[[str], dict[str, int]], account_limit: int | None = None) -> None:
        self._reservations = reservations
        self.account_limit = account_concurrency_from_env() if account_limit is None else account_limit
        self._in_flight: dict[tuple[str, str], int] = {}  # (scope, function) -> invokes in flight
        self._lock = threading.Lock()
        self.throttles: dict[str, int] = {}  # function -> invokes refused so far (status, alarms)

    def in_flight(self, scope: str, function_name: str) -> int:
        with self._lock:
            return self._in_flight.get((scope, function_name), 0)

    @contextmanager
    def slot(self, scope: str, function_name: str, reserved: int | None) -> Iterator[None]:
        """Hold one unit of the function's concurrency for the invoke; raise `Throttled` when none is left."""
        self._acquire(scope, function_name, reserved)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[(scope, function_name)] -= 1

    def _acquire(self, scope: str, function_name: str, reserved: int | None) -> None:
        # Read outside the lock: it walks the emulator's functions, and a reservation changed by an
        # apply in the meantime is a race AWS has too.
        reservations = self._reservations(scope) if reserved is None else {}
        with self._lock:
            key = (scope, function_name)
            running = self._in_flight.get(key, 0)
            if reserved is not None:
                if running >= reserved:
                    self._refuse(function_name, RESERVED_LIMIT, reserved)
            else:
                unreserved = max(0, self.account_limit - sum(reservations.values()))
                sharing = sum(
                    count
                    for (other_scope, name), count in self._in_flight.items()
                    if other_scope == scope and name not in reservations
                )
                if sharing >= unreserved:
                    self._refuse(function_name, ACCOUNT_LIMIT, unreserved)
            self._in_flight[key] = running + 1

    def _refuse(self, function_name: str, reason: str, limit: int) -> None:
        self.throttles[function_name] = self.throttles.get(function_name, 0) + 1
        raise Throttled(function_name, reason, limit)
