"""The HOS violations announced for each driver (Redis), for handlers.domain.hos.identity.

`hos:violations:<driver_id>` is a hash violation_id -> KnownViolation JSON, kept as long as the
per-violation marks (MARK_TTL_S, longer than the evaluated log). It is read and written under the
driver's lease (`hos:lease:<driver_id>`, handlers.common.leases): a driver's records can arrive on
two shards at once (the driver changed trucks), and both evaluations must not announce the same
violation under two ids.
"""

from __future__ import annotations

import json

import redis

from handlers.domain.hos.identity import KnownViolation


def registry_key(driver_id: str) -> str:
    return f"hos:violations:{driver_id}"


def lease_key(driver_id: str) -> str:
    return f"hos:lease:{driver_id}"


def load(r: redis.Redis, driver_id: str) -> list[KnownViolation]:
    raw = r.hgetall(registry_key(driver_id))
    return [KnownViolation.from_dict(json.loads(v)) for v in raw.values()]


def save(r: redis.Redis, driver_id: str, known: KnownViolation, ttl_s: int) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hset(registry_key(driver_id), known.violation_id, json.dumps(known.to_dict(), sort_keys=True))
    pipe.expire(registry_key(driver_id), ttl_s)
    pipe.execute()
