"""Diagnostics stream -> MPG/efficiency (domain fuel) -> Aurora fuel_analytics -> Redis -> driver-coaching.

Each reading joins the vehicle's trailing WINDOW_MS of samples in a Redis sorted set
(`fuel:win:<vehicle_id>`, score ts_ms, member the compact sample `encode_sample` writes: fixed
field order and rounding, so a redelivered reading adds nothing); the window is assessed against
the class benchmark (`fuel:benchmark:<vehicle_type>`, defaults when unset). A reading whose window
yields an MPG is stored in fuel_analytics (record_id key: redelivery inserts nothing) and counted
into `fuel:observed:<vehicle_type>` at most once: `fuel:counted:<vehicle_id>` holds the ts_ms of
the vehicle's newest counted reading, and one Lua script increments the class counters and
advances that mark only for a newer reading. A redelivered reading, or a late one older than the
mark, is stored but not counted.

Within one invocation, once a record of a vehicle fails with an ordinary error, every later record
of that vehicle (same partition key or vehicle_id) is reported failed untouched (`VehicleHeld`), so
the mark never passes a reading Lambda retries. A poison record (dead-lettered, counts as
processed) holds nothing; a dependency error aborts the whole invocation (handlers.common.batch).

Coaching is published at most once per vehicle/driver per COACHING_BUCKET_MS, check -> publish ->
mark, with a deterministic coaching_id.

Per batch (BatchWrites): the rows go into fuel_analytics with one pipelined INSERT and the counting
scripts run in one Redis pipeline, after the records; a record costs one Redis round trip (its
window) instead of five round trips (window, BEGIN, INSERT, COMMIT, script).
"""

from __future__ import annotations

import datetime as dt
import json
import math

from handlers.common import batch, db
from handlers.common.aws import warm
from handlers.common.config import get_config
from handlers.common.idempotency import MARK_TTL_S, incr_if_newer, mark_done, stable_id
from handlers.common.leases import claim_once
from handlers.common.ordering import VehicleHeld, ordered_per_vehicle  # noqa: F401 (VehicleHeld: re-export)
from handlers.common.records import telemetry_from_kinesis
from handlers.common.redis_client import get_redis
from handlers.common.sns import publish
from handlers.domain import fuel

processor = batch.Processor(batch.EventType.KinesisDataStreams)
warm("sns")  # clients in the cold start, not on a late first use

WINDOW_MS = 60 * 60_000  # ~90 km at highway speed: enough distance for a stable MPG
COACHING_BUCKET_MS = 3_600_000
EVENT_TYPE = "fuel_coaching"
# Window member fields after ts_ms, in this order, with the decimals kept: 0.1 km/h, 1 rpm,
# 1 m of odometer, 1 mL of fuel, 0.01 L/h. "<ts_ms>,<speed>,<rpm>,<odometer>,<fuel_used>,<fuel_rate>"
# (an absent signal is an empty field) is <= 59 bytes for any value handlers.domain.validation
# accepts (typically ~45): under Redis's zset-max-listpack-value (64), and 61 one-minute members
# are under zset-max-listpack-entries (128), so a window stays a listpack, not a skiplist.
SAMPLE_FIELDS: tuple[tuple[str, int], ...] = (
    ("vehicle_speed_kph", 1),
    ("engine_rpm", 0),
    ("odometer_km", 3),
    ("fuel_used_l", 3),
    ("fuel_rate_lph", 2),
)
COUNTED_TTL_S = MARK_TTL_S  # one key per vehicle; outlives any redelivery (Kinesis retention <= 7 d)


_INSERT = """
INSERT INTO fuel_analytics (record_id, vehicle_id, fleet_id, driver_id, vehicle_type, ts, distance_km,
    fuel_used_l, mpg, idle_pct, benchmark_mpg, efficiency_pct, inefficient)
VALUES (%(record_id)s, %(vehicle_id)s, %(fleet_id)s, %(driver_id)s, %(vehicle_type)s, %(ts)s, %(distance_km)s,
    %(fuel_used_l)s, %(mpg)s, %(idle_pct)s, %(benchmark_mpg)s, %(efficiency_pct)s, %(inefficient)s)
ON CONFLICT (record_id) DO NOTHING
"""


def _number(value, decimals: int) -> str:
    if value is None or isinstance(value, bool):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(number):
        return ""
    text = f"{number:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def encode_sample(ts_ms: int, signals: dict) -> str:
    """The window member of one reading: same reading, same member (redelivery adds nothing)."""
    return ",".join([str(int(ts_ms))] + [_number(signals.get(name), decimals) for name, decimals in SAMPLE_FIELDS])


def decode_sample(member: str | bytes) -> dict:
    """encode_sample's member -> `{"ts_ms": int, <signal>: float, ...}` (absent signals left out),
    the flat sample shape fuel.assess takes. Members written before the compact form (JSON) decode too."""
    if isinstance(member, (bytes, bytearray)):
        member = member.decode()
    if member.startswith("{"):
        return json.loads(member)
    ts_text, *fields = member.split(",")
    sample: dict = {"ts_ms": int(ts_text)}
    for (name, _), text in zip(SAMPLE_FIELDS, fields):
        if text:
            sample[name] = float(text)
    return sample


def window_samples(r, record: dict) -> tuple[list[dict], fuel.Benchmark]:
    key = f"fuel:win:{record['vehicle_id']}"
    pipe = r.pipeline(transaction=False)
    pipe.zadd(key, {encode_sample(record["ts_ms"], record.get("signals") or {}): record["ts_ms"]})
    pipe.zremrangebyscore(key, "-inf", f"({record['ts_ms'] - WINDOW_MS}")
    pipe.zrangebyscore(key, record["ts_ms"] - WINDOW_MS, record["ts_ms"])
    pipe.expire(key, WINDOW_MS // 1000 + 600)
    pipe.hgetall(fuel.benchmark_key(record["vehicle_type"]))
    _, _, members, _, bench = pipe.execute()
    samples: dict[int, dict] = {}
    for member in members:
        sample = decode_sample(member)
        samples.setdefault(sample["ts_ms"], sample)  # one sample per instant
    return list(samples.values()), fuel.Benchmark.from_mapping(record["vehicle_type"], bench)


def coaching_message(record: dict, result: fuel.FuelAssessment, bench: fuel.Benchmark, coaching_id: str) -> dict:
    return {
        "coaching_id": coaching_id,
        "driver_id": record["driver_id"],
        "vehicle_id": record["vehicle_id"],
        "fleet_id": record["fleet_id"],
        "vehicle_type": record["vehicle_type"],
        "ts": record["ts"],
        "mpg": result.mpg,
        "benchmark_mpg": bench.mpg,
        "efficiency_ratio": result.efficiency_ratio,
        "idle_pct": result.idle_pct,
        "distance_km": result.distance_km,
        "patterns": [p.__dict__ for p in result.patterns],
        "tips": [t.__dict__ for t in result.coaching],
        "severity": "warning" if any(p.code == fuel.LOW_MPG for p in result.patterns) else "info",
    }


class BatchWrites:
    """The fuel_analytics rows and class counts of one invocation, written after the batch: one
    pipelined INSERT of every row (one transaction), then one Redis pipeline of the counting
    scripts in record order (each vehicle's high-water mark advances in its records' order).

    Rows go first: a failure between the two leaves rows without counts, which the retry counts
    (its INSERT conflicts and adds nothing); never a count without its row. A record queues its
    writes only once it cannot fail before its coaching step, as it used to write them; a held
    record (handlers.common.ordering) queues nothing."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.counts: list[tuple[str, int, list]] = []

    def add(self, row: dict, count: tuple[str, int, list]) -> None:
        self.rows.append(row)
        self.counts.append(count)

    def flush(self, r) -> None:
        if self.rows:
            db.execute_many(_INSERT, self.rows)
        if self.counts:
            pipe = r.pipeline(transaction=False)
            for mark_key, position, increments in self.counts:
                incr_if_newer(pipe, mark_key, position, increments, COUNTED_TTL_S)
            pipe.execute()
        self.rows, self.counts = [], []


def process_record(raw: dict) -> dict:
    """One raw Kinesis record on its own (its writes flushed before returning)."""
    writes = BatchWrites()
    result = process_reading(telemetry_from_kinesis(raw, "diagnostics"), writes)
    writes.flush(get_redis())
    return result


def process_reading(record: dict, writes: BatchWrites) -> dict:
    r = get_redis()
    samples, bench = window_samples(r, record)
    result = fuel.assess(samples, bench)
    if result.mpg is not None:
        writes.add(
            {
                "record_id": record["record_id"],
                "vehicle_id": record["vehicle_id"],
                "fleet_id": record["fleet_id"],
                "driver_id": record.get("driver_id"),
                "vehicle_type": record["vehicle_type"],
                "ts": dt.datetime.fromtimestamp(record["ts_ms"] / 1000, dt.UTC),
                "distance_km": result.distance_km,
                "fuel_used_l": result.fuel_l,
                "mpg": result.mpg,
                "idle_pct": result.idle_pct,
                "benchmark_mpg": bench.mpg,
                "efficiency_pct": None if result.efficiency_ratio is None else 100 * result.efficiency_ratio,
                "inefficient": bool(result.patterns),
            },
            (
                f"fuel:counted:{record['vehicle_id']}",
                record["ts_ms"],
                [
                    (f"fuel:observed:{record['vehicle_type']}", "samples", 1),
                    (f"fuel:observed:{record['vehicle_type']}", "mpg_sum", float(result.mpg)),
                ],
            ),
        )
    if result.coaching:
        bucket = record["ts_ms"] - record["ts_ms"] % COACHING_BUCKET_MS
        coaching_id = f"fc-{stable_id(record['vehicle_id'], record.get('driver_id'), bucket)}"
        mark = f"fuel:coached:{coaching_id}"
        # Claim before acting: the same hour's coaching may come from two lanes' redeliveries at once.
        with claim_once(r, mark) as mine:
            if mine:
                message = coaching_message(record, result, bench, coaching_id)
                publish(get_config().require("coaching_topic_arn"), message, message["severity"], EVENT_TYPE)
                mark_done(r, mark)
    return {"mpg": result.mpg, "patterns": [p.code for p in result.patterns]}


def handler(event, context):
    writes = BatchWrites()
    response = batch.run(
        event, context, processor, ordered_per_vehicle("diagnostics", lambda record: process_reading(record, writes))
    )
    with batch.whole_batch():
        writes.flush(get_redis())
    return response
