"""Each vehicle's duty-status changes in Redis: written by hos_processor, read by location_tracker
for the unassigned-driving check (docs/data-model.md).

`hos:vehicle-duty:<vehicle_id>` is a sorted set scored by the change's epoch ms whose members are
`<ts_ms>|<status>|<driver_id>`: a redelivered record adds the same member again (a no-op), and a
record that arrives late still lands at its own instant, so readers ask "who was on duty then",
not "what arrived last". Changes older than KEEP_MS before the newest are dropped, keeping the one
in effect at that edge.
"""

from __future__ import annotations

import redis

# A driver is in the vehicle: on duty (driving, on duty, yard move) or moving it for personal
# conveyance, which is the driver's own off-duty use, not unassigned driving.
DRIVER_PRESENT = frozenset({"D", "ON", "YM", "PC"})
KEEP_MS = 2 * 86_400_000
TTL_S = 8 * 86_400


def duty_key(vehicle_id: str) -> str:
    return f"hos:vehicle-duty:{vehicle_id}"


def record_status(r: redis.Redis, vehicle_id: str, driver_id: str, status: str, ts_ms: int) -> None:
    key = duty_key(vehicle_id)
    pipe = r.pipeline(transaction=False)
    pipe.zadd(key, {f"{ts_ms}|{status}|{driver_id}": ts_ms})
    pipe.expire(key, TTL_S)
    pipe.execute()
    newest = r.zrevrange(key, 0, 0, withscores=True)
    if newest:
        edge = int(newest[0][1]) - KEEP_MS
        in_effect = r.zrevrangebyscore(key, edge, "-inf", start=0, num=1, withscores=True)
        if in_effect:  # keep the change in effect at the edge, drop those before it
            r.zremrangebyscore(key, "-inf", f"({int(in_effect[0][1])}")


def statuses_during(r: redis.Redis, vehicle_id: str, start_ms: int, end_ms: int) -> list[tuple[str, str]] | None:
    """(status, driver_id) of every change in effect at some instant of [start_ms, end_ms]; None when
    the vehicle has no known status by end_ms (its ELD has not reported any: nothing to judge)."""
    key = duty_key(vehicle_id)
    before = r.zrevrangebyscore(key, start_ms, "-inf", start=0, num=1)
    inside = r.zrangebyscore(key, f"({start_ms}", end_ms)
    members = [m.decode() if isinstance(m, bytes) else m for m in [*before, *inside]]
    if not members:
        return None
    return [tuple(member.split("|", 2)[1:]) for member in members]
