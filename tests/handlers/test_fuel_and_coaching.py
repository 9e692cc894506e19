"""fuel_analytics (Kinesis diagnostics -> Aurora/Redis -> driver-coaching) and coaching_dispatcher."""
from __future__ import annotations

import pytest
from handler_events import kinesis_event, sns_event
from handler_factories import diagnostics, now_ms, unique_driver, unique_fleet, unique_vehicle
from handler_servers import DedicatedRedis

from handlers import coaching_dispatcher, fuel_analytics
from handlers.domain import fuel
from handlers.domain.validation import validate

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
    return [diagnostics(vehicle, t0 + i * 60_000, fleet_id=fleet, driver_id=driver, vehicle_type="reefer",
                        vehicle_speed_kph=90.0, engine_rpm=1400.0, odometer_km=300000.0 + 1.5 * i,
                        fuel_used_l=50000.0 + l_per_min * i, fuel_rate_lph=None) for i in range(n)]


def test_mpg_rows_benchmark_comparison_and_one_coaching(make_ctx, reefer_benchmark):
    ctx = make_ctx("fuel")
    tap = ctx.subscribe("COACHING_TOPIC_ARN")
    vid, driver, fleet = unique_vehicle(), unique_driver(), unique_fleet()
    t0 = (now_ms() - 3 * HOUR) // HOUR * HOUR + 60_000
    recs = _trip(vid, driver, fleet, t0)
    event = kinesis_event(recs)
    assert fuel_analytics.handler(event, None) == {"batchItemFailures": []}
    rows = ctx.sql("SELECT record_id, mpg, benchmark_mpg, distance_km, inefficient FROM fuel_analytics "
                   "WHERE vehicle_id = %s ORDER BY ts", (vid,))
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
    sns = sns_event([{"coaching_id": "fc-x", "driver_id": "DR-1", "tips": [{"code": "unknown", "priority": 1}]},
                     {"driver_id": "DR-1"}], ctx.env["COACHING_TOPIC_ARN"])
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
    ctx = make_ctx("fuel", DB_PORT=str(dedicated_pg.info.postgres_port), DB_SECRET_ARN=pg_secret(dedicated_pg.info))
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
        ids = [r[0] for r in conn.execute("SELECT record_id FROM fuel_analytics WHERE vehicle_id = %s ORDER BY ts",
                                          (vid,))]
    assert ids == [r["record_id"] for r in recs[1:]]
