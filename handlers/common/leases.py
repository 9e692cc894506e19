"""Short Redis leases: claim-before-act for side effects outside the function's own store.

A check -> act -> mark sequence lets two concurrent deliveries of the same work both pass the check
and both act. A lease (SET NX PX with a random token) lets only one of them act at a time; the
other gets LeaseBusy, a per-record failure that its event source retries, and by then the mark is
set. The lease expires by itself (a crashed holder blocks the key for at most its lease), and is
released only by its holder (compare-and-delete), so a holder that outlived its lease never frees
another's. The mark is still written after the act: a crash between act and mark repeats the act
under the same deterministic id, which the consumers dedupe on.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator

import redis

DEFAULT_LEASE_MS = 30_000
DEFAULT_WAIT_S = 2.0

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaseBusy(RuntimeError):
    """Another invocation holds the lease: retry this record later (never dead-lettered)."""


@contextlib.contextmanager
def lease(r: redis.Redis, key: str, lease_ms: int = DEFAULT_LEASE_MS, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Hold `key` for the block, waiting up to `wait_s` for a current holder; LeaseBusy after that."""
    token = secrets.token_hex(8)
    deadline = time.monotonic() + wait_s
    while not r.set(key, token, nx=True, px=lease_ms):
        if time.monotonic() >= deadline:
            raise LeaseBusy(f"{key} is held by another invocation")
        time.sleep(0.05)
    try:
        yield
    finally:
        r.eval(_RELEASE, 1, key, token)


@contextlib.contextmanager
def claim_once(r: redis.Redis, mark: str, lease_ms: int = DEFAULT_LEASE_MS) -> Iterator[bool]:
    """Claim-before-act for a side effect done once per `mark` (a deterministic id's marker key).

    Yields False when the effect is already done (the mark exists), True when this invocation holds
    the claim and must act; the caller marks done (idempotency.mark_done) after the act succeeded,
    inside the block. A concurrent copy waits for the claim (lease) and then finds the mark; one that
    cannot get it in time raises LeaseBusy and is retried by its event source.
    """
    if r.exists(mark):
        yield False
        return
    with lease(r, f"{mark}:claim", lease_ms):
        yield not r.exists(mark)
