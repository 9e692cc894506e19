"""Diagnostics stream -> MPG/efficiency (domain fuel) -> Aurora fuel_analytics -> Redis -> driver-coaching.

Each reading joins the vehicle's trailing WINDOW_MS of samples in a Redis sorted set
(`fuel:win:<vehicle_id>`); the window is assessed against the class benchmark
(`fuel:benchmark:<vehicle_type>`, defaults when unset). A reading whose window yields an MPG is
stored in fuel_analytics (record_id key: redelivery inserts nothing) and counted once into
`fuel:observed:<vehicle_type>` (guarded increments). Coaching is published at most once per
vehicle/driver per COACHING_BUCKET_MS, check -> publish -> mark, with a deterministic coaching_id.
"""
from __future__ import annotations

import datetime as dt
import json

from handlers.common import batch, db
from handlers.common.config import get_config
from handlers.common.idempotency import already_done, incr_once, mark_done, stable_id
from handlers.common.records import telemetry_from_kinesis
from handlers.common.redis_client import get_redis
from handlers.common.sns import publish
from handlers.domain import fuel

processor = batch.Processor(batch.EventType.KinesisDataStreams)

WINDOW_MS = 60 * 60_000          # ~90 km at highway speed: enough distance for a stable MPG
COACHING_BUCKET_MS = 3_600_000
EVENT_TYPE = "fuel_coaching"
_SAMPLE_SIGNALS = ("vehicle_speed_kph", "engine_rpm", "odometer_km", "fuel_used_l", "fuel_rate_lph")

_INSERT = """
INSERT INTO fuel_analytics (record_id, vehicle_id, fleet_id, driver_id, vehicle_type, ts, distance_km,
    fuel_used_l, mpg, idle_pct, benchmark_mpg, efficiency_pct, inefficient)
VALUES (%(record_id)s, %(vehicle_id)s, %(fleet_id)s, %(driver_id)s, %(vehicle_type)s, %(ts)s, %(distance_km)s,
    %(fuel_used_l)s, %(mpg)s, %(idle_pct)s, %(benchmark_mpg)s, %(efficiency_pct)s, %(inefficient)s)
ON CONFLICT (record_id) DO NOTHING
"""


def window_samples(r, record: dict) -> tuple[list[dict], fuel.Benchmark]:
    signals = record.get("signals") or {}
    sample = {"ts_ms": record["ts_ms"], **{k: signals[k] for k in _SAMPLE_SIGNALS if k in signals}}
    key = f"fuel:win:{record['vehicle_id']}"
    pipe = r.pipeline(transaction=False)
    pipe.zadd(key, {json.dumps(sample, sort_keys=True): record["ts_ms"]})
    pipe.zremrangebyscore(key, "-inf", f"({record['ts_ms'] - WINDOW_MS}")
    pipe.zrangebyscore(key, record["ts_ms"] - WINDOW_MS, record["ts_ms"])
    pipe.expire(key, WINDOW_MS // 1000 + 600)
    pipe.hgetall(fuel.benchmark_key(record["vehicle_type"]))
    _, _, members, _, bench = pipe.execute()
    return [json.loads(m) for m in members], fuel.Benchmark.from_mapping(record["vehicle_type"], bench)


def coaching_message(record: dict, result: fuel.FuelAssessment, bench: fuel.Benchmark, coaching_id: str) -> dict:
    return {
        "coaching_id": coaching_id, "driver_id": record["driver_id"], "vehicle_id": record["vehicle_id"],
        "fleet_id": record["fleet_id"], "vehicle_type": record["vehicle_type"], "ts": record["ts"],
        "mpg": result.mpg, "benchmark_mpg": bench.mpg, "efficiency_ratio": result.efficiency_ratio,
        "idle_pct": result.idle_pct, "distance_km": result.distance_km,
        "patterns": [p.__dict__ for p in result.patterns], "tips": [t.__dict__ for t in result.coaching],
        "severity": "warning" if any(p.code == fuel.LOW_MPG for p in result.patterns) else "info",
    }


def process_record(raw: dict) -> dict:
    record = telemetry_from_kinesis(raw, "diagnostics")
    r = get_redis()
    samples, bench = window_samples(r, record)
    result = fuel.assess(samples, bench)
    if result.mpg is not None:
        db.execute(_INSERT, {
            "record_id": record["record_id"], "vehicle_id": record["vehicle_id"], "fleet_id": record["fleet_id"],
            "driver_id": record.get("driver_id"), "vehicle_type": record["vehicle_type"],
            "ts": dt.datetime.fromtimestamp(record["ts_ms"] / 1000, dt.timezone.utc),
            "distance_km": result.distance_km, "fuel_used_l": result.fuel_l, "mpg": result.mpg,
            "idle_pct": result.idle_pct, "benchmark_mpg": bench.mpg,
            "efficiency_pct": None if result.efficiency_ratio is None else 100 * result.efficiency_ratio,
            "inefficient": bool(result.patterns)})
        incr_once(r, f"fuel:seen:{record['record_id']}", [
            (f"fuel:observed:{record['vehicle_type']}", "samples", 1),
            (f"fuel:observed:{record['vehicle_type']}", "mpg_sum", float(result.mpg))])
    if result.coaching:
        bucket = record["ts_ms"] - record["ts_ms"] % COACHING_BUCKET_MS
        coaching_id = f"fc-{stable_id(record['vehicle_id'], record.get('driver_id'), bucket)}"
        mark = f"fuel:coached:{coaching_id}"
        if not already_done(r, mark):
            message = coaching_message(record, result, bench, coaching_id)
            publish(get_config().require("coaching_topic_arn"), message, message["severity"], EVENT_TYPE)
            mark_done(r, mark)
    return {"mpg": result.mpg, "patterns": [p.code for p in result.patterns]}


def handler(event, context):
    return batch.run(event, context, processor, process_record)
