"""vehicle_diagnostics stream -> thresholds + rolling windows (Redis) -> vehicle-alerts topic.

Per record: look up the vehicle's calibration (alert_thresholds read into a ThresholdResolver
every 120 s; resolved thresholds cached per vehicle class or calibrated vehicle), append
the reading to per-signal sorted sets (ZADD + trim by window), let the domain core evaluate,
then pass each anomaly through the Redis dedupe state. Publish happens before the state is
saved: a crash in between re-publishes the same deterministic alert_id (consumers dedupe) rather
than losing the alert.
"""

from __future__ import annotations

import json

from handlers.common import batch
from handlers.common.aws import client, from_item, warm
from handlers.common.cache import TTLCache
from handlers.common.config import get_config
from handlers.common.events import dynamodb_new_image
from handlers.common.redis_client import get_redis
from handlers.common.sns import publish
from handlers.domain import anomaly

processor = batch.Processor(batch.EventType.DynamoDBStreams)
warm("dynamodb", "sns")  # clients in the cold start, not on a late first use
_table = TTLCache(ttl_s=120)
EVENT_TYPE = "anomaly"


def _resolver() -> anomaly.ThresholdResolver:
    """A ThresholdResolver over the whole alert_thresholds table, one paginated Scan per TTL.

    Calibrations are few (defaults, 4 classes, the vehicles someone tuned), so a full read every
    two minutes is cheaper than a Query per record for a vehicle that usually has none. The
    resolver is built once per load and caches each vehicle's (or class's) resolved thresholds,
    so a record costs a dict lookup instead of a resolve.
    """

    def load() -> anomaly.ThresholdResolver:
        # The domain defaults go first and table items override them field by field: an unseeded
        # or partly seeded table never leaves a vehicle with fewer checks than the defaults.
        items: list[dict] = list(anomaly.DEFAULT_THRESHOLD_ITEMS)
        kwargs: dict = {}
        while True:
            resp = client("dynamodb").scan(TableName=get_config().thresholds_table, **kwargs)
            items.extend(from_item(raw) for raw in resp["Items"])
            if "LastEvaluatedKey" not in resp:
                return anomaly.ThresholdResolver(items)
            kwargs = {"ExclusiveStartKey": resp["LastEvaluatedKey"]}

    return _table.get("resolver", load)


def thresholds_for(vehicle_id: str, vehicle_type: str | None) -> anomaly.Thresholds:
    """This vehicle's resolved thresholds (shared, cached: do not mutate)."""
    return _resolver().for_vehicle(vehicle_id, vehicle_type)


def update_windows(r, record: dict, thresholds: dict) -> dict[str, list]:
    """Add this reading to each tracked signal's sorted set, trim it, return the windows."""
    vehicle_id, ts_ms = record["vehicle_id"], int(record["timestamp"])
    signals = record.get("signals") or {}
    tracked = [
        (s, w)
        for s, w in anomaly.window_signals(thresholds).items()
        if isinstance(signals.get(s), (int, float)) and not isinstance(signals.get(s), bool)
    ]
    if not tracked:
        return {}
    pipe = r.pipeline(transaction=False)
    for signal, window_s in tracked:
        key = anomaly.window_key(vehicle_id, signal)
        pipe.zadd(key, {anomaly.window_member(ts_ms, float(signals[signal])): ts_ms})
        pipe.zremrangebyscore(key, "-inf", f"({ts_ms - window_s * 1000}")
        pipe.zrange(key, 0, -1, withscores=True)
        pipe.expire(key, window_s + 300)
    results = pipe.execute()
    return {signal: anomaly.parse_window(results[i * 4 + 2]) for i, (signal, _) in enumerate(tracked)}


def process_record(raw: dict) -> int:
    if raw.get("eventName") == "REMOVE":
        return 0  # TTL expiry of old readings: nothing to evaluate
    record = dynamodb_new_image(raw)
    if not record or "vehicle_id" not in record or "timestamp" not in record:
        from handlers.common.errors import PoisonRecord

        raise PoisonRecord("MALFORMED_IMAGE", "NewImage lacks vehicle_id/timestamp")
    r = get_redis()
    thresholds = thresholds_for(record["vehicle_id"], record.get("vehicle_type"))
    windows = update_windows(r, record, thresholds)
    published = 0
    for found in anomaly.evaluate(record, thresholds, windows):
        key = anomaly.dedupe_key(found.vehicle_id, found.rule)
        raw_state = r.get(key)
        decision, state = anomaly.dedupe(json.loads(raw_state) if raw_state else None, found, found.ts_ms)
        if decision in (anomaly.PUBLISH, anomaly.ESCALATE):
            body = anomaly.alert_body(record, found, state)
            publish(get_config().require("alerts_topic_arn"), body, body["severity"], EVENT_TYPE, rule=found.rule)
            published += 1
        r.set(key, json.dumps(state), ex=anomaly.STATE_TTL_S)
    return published


def handler(event, context):
    return batch.run(event, context, processor, process_record)
