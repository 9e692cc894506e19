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


# One script per reading: for each tracked signal, ZADD the reading, trim the set to its window,
# read the members, refresh the TTL. KEYS: the signals' sorted sets; ARGV[1] the reading's ts_ms,
# then per key: member, lowest score kept, TTL (s). Returns each set's members (a member carries its
# ts, handlers.domain.anomaly.window_member). One command instead of four per signal: the client's
# packing and parsing of sixteen replies per reading was most of this function's CPU.
_WINDOWS_LUA = """
local out = {}
for i = 1, #KEYS do
  local j = (i - 1) * 3 + 2
  redis.call('ZADD', KEYS[i], ARGV[1], ARGV[j])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[j + 1])
  out[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
  redis.call('EXPIRE', KEYS[i], ARGV[j + 2])
end
return out
"""


def _tracked(record: dict, thresholds: dict) -> list[tuple[str, int]]:
    """(signal, window_s) for each windowed signal this reading carries as a number."""
    signals = record.get("signals") or {}
    return [
        (s, w)
        for s, w in anomaly.window_signals(thresholds).items()
        if isinstance(signals.get(s), (int, float)) and not isinstance(signals.get(s), bool)
    ]


def _queue_windows(target, record: dict, tracked: list[tuple[str, int]]):
    """Run (or, on a pipeline, queue) the window script for one reading."""
    vehicle_id, ts_ms, signals = record["vehicle_id"], int(record["timestamp"]), record["signals"]
    args: list = [ts_ms]
    for signal, window_s in tracked:
        args += [anomaly.window_member(ts_ms, float(signals[signal])), ts_ms - window_s * 1000, window_s + 300]
    keys = [anomaly.window_key(vehicle_id, signal) for signal, _ in tracked]
    return target.eval(_WINDOWS_LUA, len(keys), *keys, *args)


def _windows(tracked: list[tuple[str, int]], members: list) -> dict[str, list]:
    return {signal: anomaly.parse_window(found) for (signal, _), found in zip(tracked, members)}


def update_windows(r, record: dict, thresholds: dict) -> dict[str, list]:
    """Add this reading to each tracked signal's sorted set, trim it, return the windows."""
    tracked = _tracked(record, thresholds)
    return _windows(tracked, _queue_windows(r, record, tracked)) if tracked else {}


def batch_windows(r, raws: list[dict]) -> dict[str, dict[str, list]]:
    """eventID -> windows for every well-formed INSERT/MODIFY reading of the batch, in one pipeline
    (one round trip instead of one per reading). The scripts run in record order, so each reading
    sees what it would have seen alone. A record left out (malformed, no eventID) is handled by
    process_record as before."""
    pipe = r.pipeline(transaction=False)
    queued: list[tuple[str, list[tuple[str, int]]]] = []
    for raw in raws:
        event_id = raw.get("eventID")
        if raw.get("eventName") == "REMOVE" or not event_id:
            continue
        try:
            record = dynamodb_new_image(raw)
            tracked = _tracked(record, thresholds_for(record["vehicle_id"], record.get("vehicle_type")))
            if tracked:
                _queue_windows(pipe, record, tracked)
        except Exception:  # noqa: BLE001 - process_record raises it again and classifies it
            continue
        queued.append((event_id, tracked))
    results = pipe.execute() if len(pipe) else []
    found, answers = {}, iter(results)
    for event_id, tracked in queued:
        found[event_id] = _windows(tracked, next(answers)) if tracked else {}
    return found


def process_record(raw: dict, prepared: dict[str, dict[str, list]] | None = None) -> int:
    """One stream record; `prepared` holds windows batch_windows already updated (by eventID)."""
    if raw.get("eventName") == "REMOVE":
        return 0  # TTL expiry of old readings: nothing to evaluate
    record = dynamodb_new_image(raw)
    if not record or "vehicle_id" not in record or "timestamp" not in record:
        from handlers.common.errors import PoisonRecord

        raise PoisonRecord("MALFORMED_IMAGE", "NewImage lacks vehicle_id/timestamp")
    r = get_redis()
    thresholds = thresholds_for(record["vehicle_id"], record.get("vehicle_type"))
    windows = (prepared or {}).get(raw.get("eventID"))
    if windows is None:
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
    with batch.whole_batch():
        prepared = batch_windows(get_redis(), event.get("Records", []))
    return batch.run(event, context, processor, lambda raw: process_record(raw, prepared))
