"""GPS stream -> vehicle_locations (geohash) -> Redis GEOADD -> geofence tracking -> geofence-alerts.

Location items are keyed by (vehicle_id, timestamp) and written with BatchWriteItem after the
batch; rewriting them on redelivery is harmless, and a failed flush fails the whole invocation.
Each item carries `expires_at` (epoch s = fix time + LOCATIONS_TTL_DAYS, default 30), the table's
TTL attribute, so DynamoDB deletes the fixes after the retention, like vehicle_diagnostics.
Redis holds `geo:fleet:<fleet_id>` / `geo:all` (GEOADD) and the per-vehicle tracker state
`geo:state:<vehicle_id>` from handlers.domain.geofence.step. A fix at or before the state's last
fix is stale or redelivered: it is stored but neither moves the vehicle on the map nor emits
events. Events are published before the state is saved (same deterministic event_id on retry), and a
fix that fails holds the vehicle's later fixes of the batch (handlers.common.ordering), so its retry
is not stale and no enter/exit is lost.
Each fresh fix also feeds the unassigned-driving check (handlers.unassigned_driving).
Per batch, the two per-vehicle state keys are read with one MGET and the writes (states, GEOADDs)
go in one pipeline at the end (handlers.common.batch_redis); a fix that published flushes them
first, so a retry re-announces no more than before.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from handlers import unassigned_driving
from handlers.common import batch
from handlers.common.aws import client, from_item, warm
from handlers.common.batch_redis import BatchRedis
from handlers.common.cache import TTLCache
from handlers.common.config import get_config
from handlers.common.ddb_writer import DynamoBatchWriter
from handlers.common.idempotency import stable_id
from handlers.common.keys import geo_state_key
from handlers.common.ordering import ordered_per_vehicle
from handlers.common.redis_client import get_redis
from handlers.common.sns import publish
from handlers.domain import geo, geofence

processor = batch.Processor(batch.EventType.KinesisDataStreams)
warm("dynamodb", "sns")  # clients in the cold start, not on a late first use
logger = Logger(service="fleettap")
_fences = TTLCache(ttl_s=60)  # a new fence applies within a minute
SEVERITY = {geofence.ENTER: "info", geofence.EXIT: "info", geofence.DWELL: "warning"}
STATE_TTL_S = 7 * 86400


def fence_indexes() -> dict[str, geofence.GeofenceIndex]:
    """fleet_id -> index of that fleet's fences (a whole-table scan, cached for a few minutes)."""

    def load():
        by_fleet: dict[str, list] = {}
        kwargs: dict = {}
        while True:
            resp = client("dynamodb").scan(TableName=get_config().geofences_table, **kwargs)
            for raw in resp["Items"]:
                try:
                    fence = geofence.Geofence.from_item(from_item(raw))
                except geofence.InvalidGeofence as exc:
                    logger.warning("skipping invalid geofence", extra={"item": str(raw)[:300], "error": str(exc)})
                    continue
                by_fleet.setdefault(fence.fleet_id, []).append(fence)
            if "LastEvaluatedKey" not in resp:
                break
            kwargs = {"ExclusiveStartKey": resp["LastEvaluatedKey"]}
        return {fleet: geofence.GeofenceIndex(fences) for fleet, fences in by_fleet.items()}

    return _fences.get("all", load)


def location_item(record: dict, ttl_days: int) -> dict:
    keep = ("record_id", "fleet_id", "driver_id", "vehicle_type", "lat", "lon", "speed_kph", "heading_deg", "ts")
    return {
        "vehicle_id": record["vehicle_id"],
        "timestamp": record["ts_ms"],
        "geohash": geo.location_geohash(record["lat"], record["lon"]),
        **{k: record.get(k) for k in keep},
        "expires_at": record["ts_ms"] // 1000 + ttl_days * 86400,
    }


def event_message(record: dict, ev: geofence.GeofenceEvent, fence: geofence.Geofence) -> dict:
    return {
        "event_id": f"ge-{stable_id(record['vehicle_id'], ev.fence_id, ev.event_type, ev.ts_ms)}",
        "vehicle_id": record["vehicle_id"],
        "fleet_id": record["fleet_id"],
        "driver_id": record.get("driver_id"),
        "geofence_id": ev.fence_id,
        "geofence_name": fence.name,
        "event_type": ev.event_type,
        "ts": record["ts"],
        "entered_ms": ev.entered_ms,
        "dwell_s": ev.dwell_s,
        "lat": record["lat"],
        "lon": record["lon"],
        "severity": SEVERITY[ev.event_type],
    }


def process_fix(record: dict, writer: DynamoBatchWriter, store: BatchRedis) -> int:
    writer.add(location_item(record, get_config().locations_ttl_days))
    vehicle_id, ts_ms = record["vehicle_id"], record["ts_ms"]
    state_key = geo_state_key(vehicle_id)
    raw_state = store.get(state_key)
    state = json.loads(raw_state) if raw_state else None
    if state and isinstance(state.get("last_ts_ms"), int) and ts_ms <= state["last_ts_ms"]:
        return 0
    store.geoadd(f"geo:fleet:{record['fleet_id']}", (record["lon"], record["lat"], vehicle_id))
    store.geoadd("geo:all", (record["lon"], record["lat"], vehicle_id))
    index = fence_indexes().get(record["fleet_id"])
    fences = index.fences if index else {}
    inside = index.containing(record["lat"], record["lon"]) if index else []
    near = index.containing(record["lat"], record["lon"], geofence.DEFAULT_MARGIN_M) if index else []
    events, new_state = geofence.step(state, inside, ts_ms, fences, near_ids=near)
    for ev in events:
        message = event_message(record, ev, fences[ev.fence_id])
        publish(
            get_config().require("geofence_topic_arn"),
            message,
            message["severity"],
            f"geofence_{ev.event_type}",
            geofence_id=ev.fence_id,
        )
    store.set(state_key, json.dumps(new_state), ex=STATE_TTL_S)
    if events:
        store.flush()  # published: the state that says so is saved now, as before batching
    published = unassigned_driving.check_fix(store.client, record, state_store=store)
    if published:
        store.flush()
    return len(events) + published


def state_keys(event: dict) -> list[str]:
    """The per-vehicle state keys of a batch, by partition key (= vehicle_id), for one MGET."""
    vehicles = dict.fromkeys((r.get("kinesis") or {}).get("partitionKey") for r in event.get("Records", []))
    vehicles.pop(None, None)
    return [key for vehicle in vehicles for key in (geo_state_key(vehicle), unassigned_driving.state_key(vehicle))]


def handler(event, context):
    writer = DynamoBatchWriter(get_config().locations_table, ("vehicle_id", "timestamp"))
    store = BatchRedis(get_redis())
    with batch.whole_batch():
        store.prefetch(state_keys(event))
    # A failed fix holds the vehicle's later fixes of the batch (handlers.common.ordering): saving their
    # tracker state would make the retried fix stale, and the events it carries would be lost.
    response = batch.run(
        event, context, processor, ordered_per_vehicle("gps", lambda record: process_fix(record, writer, store))
    )
    with batch.whole_batch():
        store.flush()
        writer.flush()
    return response
