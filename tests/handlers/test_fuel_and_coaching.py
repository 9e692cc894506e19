"""fuel_analytics (Kinesis diagnostics -> Aurora/Redis -> driver-coaching) and coaching_dispatcher."""

from __future__ import annotations

import json

import pytest

from handlers import coaching_dispatcher, fuel_analytics
from handlers.domain import fuel, validation
from handlers.domain.validation import validate
from tests.handlers.handler_events import kinesis_event, sns_event
from tests.handlers.handler_factories import diagnostics, now_ms, unique_driver, unique_fleet, unique_vehicle
from tests.handlers.handler_servers import DedicatedRedis

HOUR = 3_600_000


@pytest.fixture
def reefer_benchmark(make_ctx):
    """A distinctive benchmark in Redis, so the test sees it was read (restored afterwards)."""
    ctx = make_ctx("fuel")
    key = fuel.benchmark_key("reefer")
    saved = ctx.redis.hgetall(key)
    bench = fuel.Benchmark("reefer", mpg=9.0, max_idle_pct=25.0)
    ctx.redis.delete(key)
    ctx.redis.hset(key, mapping=bench.to_mapping())
    yield bench
    ctx.redis.delete(key)
    if saved:
        ctx.redis.hset(key, mapping=saved)


def _trip(vehicle, driver, fleet, t0, n=40, l_per_min=1.3):
    """n one-minute readings at 90 km/h burning l_per_min (about 4.3 MPG: inefficient)."""
    return [
        diagnostics(
            vehicle,
            t0 + i * 60_000,
            fleet_id=fleet,
            driver_id=driver,
            vehicle_type="reefer",
            vehicle_speed_kph=90.0,
            engine_rpm=1400.0,
            odometer_km=300000.0 + 1.5 * i,
            fuel_used_l=50000.0 + l_per_min * i,
            fuel_rate_lph=None,
        )
        for i in range(n)
    ]


def test_mpg_rows_benchmark_comparison_and_one_coaching(make_ctx, reefer_benchmark):
    ctx = make_ctx("fuel")
    tap = ctx.subscribe("COACHING_TOPIC_ARN")
    vid, driver, fleet = unique_vehicle(), unique_driver(), unique_fleet()
    t0 = (now_ms() - 3 * HOUR) // HOUR * HOUR + 60_000
    recs = _trip(vid, driver, fleet, t0)
    event = kinesis_event(recs)
    assert fuel_analytics.handler(event, None) == {"batchItemFailures": []}
    rows = ctx.sql(
        "SELECT record_id, mpg, benchmark_mpg, distance_km, inefficient FROM fuel_analytics "
        "WHERE vehicle_id = %s ORDER BY ts",
        (vid,),
    )
    assert [r[0] for r in rows] == [r["record_id"] for r in recs[1:]]  # the first reading has no distance yet
    expected = fuel.assess([validate(r, now_ms=now_ms()).record for r in recs], reefer_benchmark)
    assert rows[-1][1] == pytest.approx(expected.mpg) and rows[-1][2] == 9.0
    assert rows[-1][3] == pytest.approx(58.5) and rows[-1][4] is True
    observed = ctx.redis.hgetall("fuel:observed:reefer")
    assert int(observed["samples"]) >= len(rows)

    msgs = tap.messages()
    assert len(msgs) == 1
    body = msgs[0]["message"]
    assert body["driver_id"] == driver and body["benchmark_mpg"] == 9.0
    assert fuel.LOW_MPG in [p["code"] for p in body["patterns"]]
    assert msgs[0]["attributes"] == {"severity": "warning", "event_type": "fuel_coaching"}

    assert fuel_analytics.handler(event, None) == {"batchItemFailures": []}  # redelivery
    assert ctx.sql("SELECT count(*) FROM fuel_analytics WHERE vehicle_id = %s", (vid,))[0][0] == len(rows)
    assert ctx.redis.hgetall("fuel:observed:reefer")["samples"] == observed["samples"]
    assert tap.messages() == []

    # coaching dispatcher: the published coaching becomes one training assignment
    ctx = make_ctx("coaching")
    sns = sns_event([body], ctx.env["COACHING_TOPIC_ARN"], attrs=msgs[0]["attributes"])
    assert coaching_dispatcher.handler(sns, None) == {"sent": 1}
    assert coaching_dispatcher.handler(sns, None) == {"sent": 0}
    queued = [m for m in ctx.drain(ctx.env["TRAINING_QUEUE_URL"]) if m["body"]["driver_id"] == driver]
    assert len(queued) == 1
    assignment = queued[0]["body"]
    assert assignment["assignment_id"] == body["coaching_id"]
    assert "ECO-100" in [m["module_id"] for m in assignment["materials"]]
    assert queued[0]["attributes"]["severity"]["StringValue"] == "warning"


def test_coaching_without_material_goes_to_dlq(make_ctx):
    ctx = make_ctx("coaching")
    sns = sns_event(
        [
            {"coaching_id": "fc-x", "driver_id": "DR-1", "tips": [{"code": "unknown", "priority": 1}]},
            {"driver_id": "DR-1"},
        ],
        ctx.env["COACHING_TOPIC_ARN"],
    )
    assert coaching_dispatcher.handler(sns, None) == {"sent": 0}
    assert sorted(m["reason"] for m in ctx.dlq()) == ["FIELD_MISSING", "NO_MATERIAL"]


def test_fuel_redis_down_then_postgres_and_redis_consistent_after_restart(make_ctx):
    server = DedicatedRedis()
    server.start()
    try:
        ctx = make_ctx("fuel", REDIS_PORT=str(server.port))
        vid = unique_vehicle()
        recs = _trip(vid, unique_driver(), unique_fleet(), now_ms() - 2 * HOUR, n=10, l_per_min=0.5)
        fuel_analytics.handler(kinesis_event(recs[:5]), None)
        server.stop()
        with pytest.raises(Exception):
            fuel_analytics.handler(kinesis_event(recs[5:]), None)
        server.start()
        assert fuel_analytics.handler(kinesis_event(recs[5:]), None) == {"batchItemFailures": []}
        assert ctx.sql("SELECT count(*) FROM fuel_analytics WHERE vehicle_id = %s", (vid,))[0][0] == 9
    finally:
        server.close()


def test_fuel_postgres_down_fails_batch_then_rows_complete(make_ctx, dedicated_pg, pg_secret):
    make_ctx("fuel", DB_PORT=str(dedicated_pg.info.postgres_port), DB_SECRET_ARN=pg_secret(dedicated_pg.info))
    vid = unique_vehicle()
    recs = _trip(vid, unique_driver(), unique_fleet(), now_ms() - 2 * HOUR, n=8, l_per_min=0.5)
    assert fuel_analytics.handler(kinesis_event(recs[:4]), None) == {"batchItemFailures": []}
    dedicated_pg.stop()
    with pytest.raises(Exception, match="DependencyUnavailable|OperationalError|connection"):
        fuel_analytics.handler(kinesis_event(recs[4:]), None)
    dedicated_pg.start()
    assert fuel_analytics.handler(kinesis_event(recs[4:]), None) == {"batchItemFailures": []}
    import psycopg

    with psycopg.connect(dedicated_pg.info.postgres_dsn) as conn:
        ids = [
            r[0] for r in conn.execute("SELECT record_id FROM fuel_analytics WHERE vehicle_id = %s ORDER BY ts", (vid,))
        ]
    assert ids == [r["record_id"] for r in recs[1:]]


def _observed(ctx, vehicle_type="reefer") -> tuple[int, float]:
    observed = ctx.redis.hgetall(f"fuel:observed:{vehicle_type}")
    return int(observed.get("samples", 0)), float(observed.get("mpg_sum", 0.0))


def _mpgs(ctx, *vehicles) -> dict[str, float]:
    """record_id -> mpg of the fuel_analytics rows of these vehicles."""
    return dict(ctx.sql("SELECT record_id, mpg FROM fuel_analytics WHERE vehicle_id = ANY(%s)", (list(vehicles),)))


def _seq(event, i):
    return {"itemIdentifier": event["Records"][i]["kinesis"]["sequenceNumber"]}


def test_window_member_is_compact_deterministic_and_round_trips():
    signals = {
        "vehicle_speed_kph": 87.349,
        "engine_rpm": 1412.4,
        "odometer_km": 312456.78949,
        "fuel_used_l": 123456.7801,
        "fuel_rate_lph": 31.234,
        "coolant_temp_c": 88.0,
    }
    member = fuel_analytics.encode_sample(1_795_000_000_000, signals)
    assert member == "1795000000000,87.3,1412,312456.789,123456.78,31.23"
    assert fuel_analytics.encode_sample(1_795_000_000_000, dict(reversed(list(signals.items())))) == member
    assert fuel_analytics.decode_sample(member) == {
        "ts_ms": 1_795_000_000_000,
        "vehicle_speed_kph": 87.3,
        "engine_rpm": 1412.0,
        "odometer_km": 312456.789,
        "fuel_used_l": 123456.78,
        "fuel_rate_lph": 31.23,
    }
    sparse = fuel_analytics.encode_sample(1_795_000_000_000, {"odometer_km": 10.0, "fuel_rate_lph": None})
    assert sparse == "1795000000000,,,10,," and fuel_analytics.decode_sample(sparse) == {
        "ts_ms": 1_795_000_000_000,
        "odometer_km": 10.0,
    }
    # the largest values validation accepts still fit zset-max-listpack-value (64 bytes)
    widest = {name: validation.SIGNAL_RANGES[name].high for name, _ in fuel_analytics.SAMPLE_FIELDS}
    assert len(fuel_analytics.encode_sample(9_999_999_999_999, widest)) <= 64
    # members written before the compact form still decode
    legacy = json.dumps({"ts_ms": 5, "odometer_km": 1.5}, sort_keys=True)
    assert fuel_analytics.decode_sample(legacy) == {"ts_ms": 5, "odometer_km": 1.5}


def test_same_batch_twice_counts_once_with_one_mark_and_a_listpack_window(make_ctx):
    ctx = make_ctx("fuel")
    vid = unique_vehicle()
    recs = _trip(vid, unique_driver(), unique_fleet(), now_ms() - 3 * HOUR, n=61, l_per_min=0.5)
    event = kinesis_event(recs)
    samples0, mpg_sum0 = _observed(ctx)
    assert fuel_analytics.handler(event, None) == {"batchItemFailures": []}
    mpgs = _mpgs(ctx, vid)
    assert len(mpgs) == 60
    samples1, mpg_sum1 = _observed(ctx)
    assert samples1 - samples0 == 60 and mpg_sum1 - mpg_sum0 == pytest.approx(sum(mpgs.values()))
    counted = f"fuel:counted:{vid}"
    assert int(ctx.redis.get(counted)) == validate(recs[-1], now_ms=now_ms()).record["ts_ms"]
    assert 0 < ctx.redis.ttl(counted) <= fuel_analytics.COUNTED_TTL_S

    win = f"fuel:win:{vid}"
    members = ctx.redis.zrange(win, 0, -1)
    assert len(members) == 61 and ctx.redis.object("encoding", win) == "listpack"
    assert max(len(m) for m in members) <= 64
    assert ctx.redis.memory_usage(win) < 6_000  # ~4.2 KB; the JSON members needed ~16.8 KB (skiplist)

    assert fuel_analytics.handler(event, None) == {"batchItemFailures": []}  # the same batch again
    assert _observed(ctx) == (samples1, pytest.approx(mpg_sum1))
    assert ctx.redis.zrange(win, 0, -1) == members
    assert _mpgs(ctx, vid) == mpgs


def test_failed_record_holds_the_vehicles_later_records_until_the_retry(make_ctx, monkeypatch):
    ctx = make_ctx("fuel")
    v, w, fleet = unique_vehicle(), unique_vehicle(), unique_fleet()
    t0 = now_ms() - 3 * HOUR
    vr = _trip(v, unique_driver(), fleet, t0, n=6, l_per_min=0.5)
    wr = _trip(w, unique_driver(), fleet, t0 + 1_000, n=6, l_per_min=0.45)
    samples0, mpg_sum0 = _observed(ctx)
    assert fuel_analytics.handler(kinesis_event([vr[0], wr[0], vr[1], wr[1]]), None) == {"batchItemFailures": []}

    # V's record 2 of 4 fails with an ordinary error (once): V's records 2..4 fail, W's all succeed
    batch = [x for pair in zip(vr[2:], wr[2:]) for x in pair]  # V2 W2 V3 W3 V4 W4 V5 W5
    failing = {vr[3]["record_id"]}
    real = fuel_analytics.window_samples

    def flaky(r, record):
        if record["record_id"] in failing:
            failing.discard(record["record_id"])
            raise RuntimeError("injected")
        return real(r, record)

    monkeypatch.setattr(fuel_analytics, "window_samples", flaky)
    event = kinesis_event(batch)
    assert fuel_analytics.handler(event, None) == {"batchItemFailures": [_seq(event, i) for i in (2, 4, 6)]}
    assert set(_mpgs(ctx, v)) == {r["record_id"] for r in vr[1:3]}  # nothing of V after the failure
    assert set(_mpgs(ctx, w)) == {r["record_id"] for r in wr[1:]}
    win_v = [fuel_analytics.decode_sample(m)["ts_ms"] for m in ctx.redis.zrange(f"fuel:win:{v}", 0, -1)]
    assert len(win_v) == 3  # V0..V2: the held records touched nothing
    assert int(ctx.redis.get(f"fuel:counted:{v}")) == win_v[-1]

    # Lambda retries from the lowest failed sequence number: V3 W3 V4 W4 V5 W5
    retry = kinesis_event(batch[2:])
    assert fuel_analytics.handler(retry, None) == {"batchItemFailures": []}
    assert fuel_analytics.handler(kinesis_event(batch), None) == {"batchItemFailures": []}  # and once more
    mpgs = _mpgs(ctx, v, w)
    assert set(mpgs) == {r["record_id"] for r in vr[1:] + wr[1:]}
    samples1, mpg_sum1 = _observed(ctx)
    assert samples1 - samples0 == 10  # V1..V5 and W1..W5, each exactly once
    assert mpg_sum1 - mpg_sum0 == pytest.approx(sum(mpgs.values()))


def test_poison_record_does_not_hold_the_vehicle(make_ctx):
    ctx = make_ctx("fuel")
    v = unique_vehicle()
    recs = _trip(v, unique_driver(), unique_fleet(), now_ms() - 3 * HOUR, n=4, l_per_min=0.5)
    event = kinesis_event([recs[0], recs[1], b"not json", recs[2], recs[3]])
    event["Records"][2]["kinesis"]["partitionKey"] = v
    samples0, _ = _observed(ctx)
    assert fuel_analytics.handler(event, None) == {"batchItemFailures": []}
    assert [m["reason"] for m in ctx.dlq()] == ["MALFORMED_JSON"]
    assert _observed(ctx)[0] - samples0 == 3


def test_redis_keys_grow_with_vehicles_not_records(make_ctx):
    ctx = make_ctx("fuel")
    vehicles = [unique_vehicle() for _ in range(4)]
    t0 = now_ms() - 3 * HOUR
    recs = [
        r
        for i, v in enumerate(vehicles)
        for r in _trip(v, unique_driver(), unique_fleet(), t0 + i * 1_000, n=15, l_per_min=0.5)
    ]
    recs.sort(key=lambda r: r["ts"])
    before = ctx.redis.dbsize()
    for start in range(0, len(recs), 20):
        assert fuel_analytics.handler(kinesis_event(recs[start : start + 20]), None) == {"batchItemFailures": []}
    assert len(_mpgs(ctx, *vehicles)) == 4 * 14
    mine = [k for k in ctx.redis.scan_iter(count=1_000) if any(v in k for v in vehicles)]
    assert sorted(mine) == sorted(f"fuel:{kind}:{v}" for v in vehicles for kind in ("win", "counted"))
    assert ctx.redis.dbsize() - before <= 2 * len(vehicles) + 1  # + a class counter hash, if new
    assert not [k for k in ctx.redis.scan_iter("fuel:seen:*", count=1_000)]
