"""Idempotency building blocks.

Side effects that cannot be made conditional themselves (SNS publish, HTTP calls) follow
check -> act -> mark: the id is deterministic, the marker is written only after the act
succeeded, so a crash in between repeats the act with the same id (consumers dedupe on it)
and never loses it. Counters use a guard key set in the same Lua script as the increments.
"""
from __future__ import annotations

import hashlib

import redis

MARK_TTL_S = 8 * 24 * 3600  # longer than any redelivery window (Kinesis 7 d retention max)


def stable_id(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def already_done(r: redis.Redis, key: str) -> bool:
    return bool(r.exists(key))


def mark_done(r: redis.Redis, key: str, ttl_s: int = MARK_TTL_S) -> None:
    r.set(key, "1", ex=ttl_s)


# KEYS[1] guard, KEYS[2..] hashes; ARGV[1] ttl, then per hash: field, amount, "i"|"f".
_INCR_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 2, #KEYS do
  local j = (i - 2) * 3 + 2
  if ARGV[j + 2] == 'f' then
    redis.call('HINCRBYFLOAT', KEYS[i], ARGV[j], ARGV[j + 1])
  else
    redis.call('HINCRBY', KEYS[i], ARGV[j], ARGV[j + 1])
  end
end
return 1
"""


def incr_once(r: redis.Redis, guard_key: str, increments: list[tuple[str, str, int | float]],
              ttl_s: int = MARK_TTL_S) -> bool:
    """Apply all hash increments atomically, only the first time `guard_key` is seen.

    All keys must live on one node (ElastiCache in cluster-mode-disabled, as provisioned).
    """
    keys = [guard_key] + [k for k, _, _ in increments]
    args: list[object] = [ttl_s]
    for _, field, amount in increments:
        args += [field, amount, "f" if isinstance(amount, float) else "i"]
    return bool(r.eval(_INCR_ONCE, len(keys), *keys, *args))
