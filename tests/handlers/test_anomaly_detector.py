"""anomaly_detector: DynamoDB stream NewImage -> thresholds + Redis windows -> vehicle-alerts."""

from __future__ import annotations

import json

import pytest

from handlers import anomaly_detector
from handlers.common.aws import to_item
from handlers.domain import anomaly
from tests.handlers.handler_events import dynamodb_stream_event
from tests.handlers.handler_factories import diagnostics, diagnostics_image, now_ms, unique_vehicle
from tests.handlers.handler_servers import DedicatedRedis


def _event(ctx, records):
    return dynamodb_stream_event([diagnostics_image(r) for r in records], ctx.env["DIAGNOSTICS_TABLE"])


def test_threshold_breach_publishes_alert_with_severity_attribute(make_ctx):
    ctx = make_ctx("anomaly")
    tap = ctx.subscribe("ALERTS_TOPIC_ARN")
    vid, ts = unique_vehicle(), now_ms() - 1000
    rec = diagnostics(vid, ts, coolant_temp_c=117.0, fleet_id="FL-007", driver_id="DR-000042")
    assert anomaly_detector.handler(_event(ctx, [rec]), None) == {"batchItemFailures": []}
    msgs = tap.messages()
    assert len(msgs) == 1
    body, attrs = msgs[0]["message"], msgs[0]["attributes"]
    assert attrs["severity"] == "critical" and attrs["event_type"] == "anomaly"
    assert body["rule"] == "threshold:coolant_temp_c" and body["value"] == 117.0 and body["threshold"] == 116
    assert body["fleet_id"] == "FL-007" and body["driver_id"] == "DR-000042"
    assert body["alert_id"] == anomaly.alert_id(vid, "threshold:coolant_temp_c", anomaly.bucket_start_ms(ts, 900))
    assert set(body) == {
        "alert_id",
        "vehicle_id",
        "fleet_id",
        "driver_id",
        "vehicle_type",
        "rule",
        "metric",
        "value",
        "threshold",
        "severity",
        "ts",
        "message",
    }
    state = json.loads(ctx.redis.get(anomaly.dedupe_key(vid, "threshold:coolant_temp_c")))
    assert state["alert_id"] == body["alert_id"]


def test_rolling_window_sorted_set_detects_trend_and_is_trimmed(make_ctx):
    ctx = make_ctx("anomaly")
    tap = ctx.subscribe("ALERTS_TOPIC_ARN")
    vid, t0 = unique_vehicle(), now_ms() - 3_600_000
    # an old reading that the 30-minute fuel window must trim away
    old = diagnostics(vid, t0, fuel_level_pct=80.0)
    # then fuel falls 3 %/min for 4 minutes: theft/leak trend (critical level is 2 %/min)
    recent = [diagnostics(vid, t0 + 3_000_000 + i * 60_000, fuel_level_pct=70.0 - 3 * i) for i in range(5)]
    assert anomaly_detector.handler(_event(ctx, [old] + recent), None) == {"batchItemFailures": []}
    members = ctx.redis.zrange(anomaly.window_key(vid, "fuel_level_pct"), 0, -1, withscores=True)
    assert [int(s) for _, s in members] == [t0 + 3_000_000 + i * 60_000 for i in range(5)]
    trend = [m for m in tap.messages() if m["message"]["rule"] == "trend:fuel_level_pct:drop_per_min"]
    assert trend and trend[0]["attributes"]["severity"] == "critical"
    assert trend[0]["message"]["value"] == pytest.approx(3.0)


def test_vehicle_specific_calibration_from_alert_thresholds_table(make_ctx):
    ctx = make_ctx("anomaly")
    vid = unique_vehicle()
    ctx.ddb.put_item(
        TableName=ctx.env["THRESHOLDS_TABLE"],
        Item=to_item({"scope": f"vehicle#{vid}", "metric": "coolant_temp_c", "warn": 95, "high": 99, "critical": 103}),
    )
    tap = ctx.subscribe("ALERTS_TOPIC_ARN")
    other = unique_vehicle()
    recs = [
        diagnostics(vid, now_ms() - 2000, coolant_temp_c=100.0),
        diagnostics(other, now_ms() - 2000, coolant_temp_c=100.0),
    ]
    anomaly_detector.handler(_event(ctx, recs), None)
    msgs = tap.messages()
    assert [(m["message"]["vehicle_id"], m["attributes"]["severity"]) for m in msgs] == [(vid, "high")]
    # a table holding only one vehicle's calibration still leaves everyone the default limits
    anomaly_detector.handler(_event(ctx, [diagnostics(other, now_ms() - 1000, coolant_temp_c=111.0)]), None)
    assert [(m["message"]["vehicle_id"], m["attributes"]["severity"]) for m in tap.messages()] == [(other, "high")]


def test_same_batch_twice_publishes_once(make_ctx):
    ctx = make_ctx("anomaly")
    tap = ctx.subscribe("ALERTS_TOPIC_ARN")
    vid = unique_vehicle()
    event = _event(ctx, [diagnostics(vid, now_ms() - 5000, battery_v=10.5, dtcs=[{"code": "P0217"}])])
    anomaly_detector.handler(event, None)
    anomaly_detector.handler(event, None)
    rules = sorted(m["message"]["rule"] for m in tap.messages())
    assert rules == ["dtc:P0217", "threshold:battery_v"]


def test_malformed_image_goes_to_dlq_rest_succeeds(make_ctx):
    ctx = make_ctx("anomaly")
    tap = ctx.subscribe("ALERTS_TOPIC_ARN")
    vid = unique_vehicle()
    event = _event(ctx, [diagnostics(vid, now_ms() - 3000, coolant_temp_c=111.0)])
    bad = json.loads(json.dumps(event["Records"][0]))
    bad["dynamodb"]["NewImage"] = {"foo": {"S": "bar"}}
    event["Records"].insert(0, bad)
    assert anomaly_detector.handler(event, None) == {"batchItemFailures": []}
    assert [m["reason"] for m in ctx.dlq()] == ["MALFORMED_IMAGE"]
    assert [m["attributes"]["severity"] for m in tap.messages()] == ["high"]


def test_redis_down_fails_batch_then_succeeds_after_restart(make_ctx):
    server = DedicatedRedis()
    server.start()
    try:
        ctx = make_ctx("anomaly", REDIS_PORT=str(server.port))
        tap = ctx.subscribe("ALERTS_TOPIC_ARN")
        vid = unique_vehicle()
        event = _event(ctx, [diagnostics(vid, now_ms() - 9000 + i, coolant_temp_c=105.0 + i) for i in range(3)])
        server.stop()
        with pytest.raises(Exception) as err:
            anomaly_detector.handler(event, None)
        assert "ConnectionError" in str(err.value) or "Redis" in type(err.value.__cause__).__module__
        assert tap.messages() == []
        server.start()
        assert anomaly_detector.handler(event, None) == {"batchItemFailures": []}
        import redis as _r

        rr = _r.Redis(port=server.port, decode_responses=True)
        assert rr.zcard(anomaly.window_key(vid, "coolant_temp_c")) == 3
        assert [m["message"]["rule"] for m in tap.messages()] == ["threshold:coolant_temp_c"]
    finally:
        server.close()
