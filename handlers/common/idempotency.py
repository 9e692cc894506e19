"""Idempotency building blocks.

Side effects that cannot be made conditional themselves (SNS publish, HTTP calls) follow
check -> act -> mark: the id is deterministic, the marker is written only after the act
succeeded, so a crash in between repeats the act with the same id (consumers dedupe on it)
and never loses it. Counters use a guard key set in the same Lua script as the increments
(incr_once: one key per event), or, for an ordered stream of events, a per-stream high-water
mark advanced in the same script (incr_if_newer: one key per stream).
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


# Lua: apply the hash increments of KEYS[2..], reading field, amount, "i"|"f" per hash from ARGV
# starting at `first` (the scripts below put their own arguments before them).
def _apply_increments(first: int) -> str:
    return f"""
for i = 2, #KEYS do
  local j = (i - 2) * 3 + {first}
  if ARGV[j + 2] == 'f' then
    redis.call('HINCRBYFLOAT', KEYS[i], ARGV[j], ARGV[j + 1])
  else
    redis.call('HINCRBY', KEYS[i], ARGV[j], ARGV[j + 1])
  end
end
return 1
"""


def _script_arguments(
    mark_key: str, increments: list[tuple[str, str, int | float]], leading: list[object]
) -> list[object]:
    """numkeys, KEYS (the mark, then each hash) and ARGV (`leading`, then field, amount, type per hash)."""
    keys = [mark_key] + [k for k, _, _ in increments]
    args = list(leading)
    for _, field, amount in increments:
        args += [field, amount, "f" if isinstance(amount, float) else "i"]
    return [len(keys), *keys, *args]


# KEYS[1] guard, KEYS[2..] hashes; ARGV[1] ttl, then per hash: field, amount, "i"|"f".
_INCR_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
""" + _apply_increments(first=2)


def incr_once(
    r: redis.Redis, guard_key: str, increments: list[tuple[str, str, int | float]], ttl_s: int = MARK_TTL_S
) -> bool:
    """Apply all hash increments atomically, only the first time `guard_key` is seen.

    All keys must live on one node (ElastiCache in cluster-mode-disabled, as provisioned).
    """
    return bool(r.eval(_INCR_ONCE, *_script_arguments(guard_key, increments, [ttl_s])))


# KEYS[1] high-water mark, KEYS[2..] hashes; ARGV[1] ttl, ARGV[2] position, then per hash:
# field, amount, "i"|"f". The mark and the increments change together or not at all.
_INCR_IF_NEWER = """
local mark = tonumber(redis.call('GET', KEYS[1]) or '')
local position = tonumber(ARGV[2])
if mark ~= nil and position <= mark then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
""" + _apply_increments(first=3)


def incr_if_newer(
    r: redis.Redis,
    mark_key: str,
    position: int,
    increments: list[tuple[str, str, int | float]],
    ttl_s: int = MARK_TTL_S,
) -> bool:
    """Apply all hash increments atomically only when `position` (an integer that grows along one
    ordered stream, e.g. a vehicle's reading ts_ms) is greater than the high-water mark stored at
    `mark_key`, and advance the mark to it in the same script.

    One key per stream instead of one guard per event: a redelivered or older event counts nothing.
    The caller must feed a stream's events in order and never let a later event pass one that
    failed (see handlers.fuel_analytics). Same-node rule as incr_once. On a pipeline (`r` a
    redis.client.Pipeline) the script is queued and its result comes from `execute()`.
    """
    return bool(r.eval(_INCR_IF_NEWER, *_script_arguments(mark_key, increments, [ttl_s, int(position)])))
