"""fleet_manager_queue -> real-time dashboard counters in Redis hashes.

One Lua script per alert sets the guard `dash:seen:<alert_id>` (NX) and applies every HINCRBY
only if the guard was new, so a redelivered alert counts once and a crash cannot leave the
counters half-applied. Key layout: docs/data-model.md.
"""

from __future__ import annotations

from handlers.common import batch
from handlers.common.errors import PoisonRecord
from handlers.common.events import sqs_message
from handlers.common.idempotency import incr_once
from handlers.common.redis_client import get_redis

processor = batch.Processor(batch.EventType.SQS)


def counter_increments(alert: dict) -> list[tuple[str, str, int]]:
    fleet, vehicle, severity = alert["fleet_id"], alert["vehicle_id"], alert["severity"]
    day = str(alert.get("ts", ""))[:10]
    return [
        (f"dash:fleet:{fleet}", "total", 1),
        (f"dash:fleet:{fleet}", f"severity:{severity}", 1),
        (f"dash:fleet:{fleet}", f"rule:{alert.get('rule', 'unknown')}", 1),
        (f"dash:fleet:{fleet}:vehicles", vehicle, 1),
        (f"dash:fleet:{fleet}:day:{day}", f"severity:{severity}", 1),
        (f"dash:vehicle:{vehicle}", "total", 1),
        (f"dash:vehicle:{vehicle}", f"severity:{severity}", 1),
    ]


def process_record(raw: dict) -> bool:
    alert, attrs = sqs_message(raw)
    alert.setdefault("severity", attrs.get("severity"))
    missing = [k for k in ("alert_id", "fleet_id", "vehicle_id", "severity") if not alert.get(k)]
    if missing:
        raise PoisonRecord("FIELD_MISSING", ",".join(missing))
    return incr_once(get_redis(), f"dash:seen:{alert['alert_id']}", counter_increments(alert))


def handler(event, context):
    return batch.run(event, context, processor, process_record)
