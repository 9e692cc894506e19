"""predictive_maintenance: diagnostics -> vehicle_history -> SageMaker -> predicted_failures -> topic."""
from __future__ import annotations

import datetime as dt

import boto3
import pytest
from handler_events import kinesis_event
from handler_factories import diagnostics, now_ms, unique_vehicle

from handlers import predictive_maintenance
from handlers.common.aws import from_item
from handlers.domain import predictive
from handlers.domain.validation import validate


def _window(vehicle_id, t0, *, degraded: bool, n: int = 30):
    recs = []
    for i in range(n):
        if degraded:  # failing cooling: hot, still rising, ECU raising SPN 110 FMI 0
            recs.append(diagnostics(vehicle_id, t0 + i * 60_000, coolant_temp_c=112.0 + i * 0.3,
                                    engine_load_pct=70.0, battery_v=13.8, engine_hours=30000.0 + i / 60,
                                    odometer_km=900000.0 + i, dtcs=[{"spn": 110, "fmi": 0, "oc": 1}]))
        else:
            recs.append(diagnostics(vehicle_id, t0 + i * 60_000, coolant_temp_c=86.0 + (i % 3) * 0.2,
                                    engine_hours=2000.0 + i / 60, odometer_km=100000.0 + i))
    return recs


def _register(ctx, vehicle_id, *, age_days, km_since_service, prior_failures, odometer):
    ctx.sql("INSERT INTO vehicles (vehicle_id, vin, fleet_id, vehicle_type, in_service_date, last_service_km,"
            " prior_failures) VALUES (%s, '1FUJGLDR0CLBP8834', 'FL-001', 'tractor', %s, %s, %s)",
            (vehicle_id, dt.date.today() - dt.timedelta(days=age_days), odometer - km_since_service,
             prior_failures))


def _oracle(ctx, recs, history):
    """What the endpoint answers for the same window, computed without the handler."""
    normalized = [validate(r, now_ms=now_ms()).record for r in recs]
    body = predictive.to_csv(predictive.build_features(normalized, history))
    resp = boto3.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=ctx.env["SAGEMAKER_ENDPOINT_NAME"], ContentType="text/csv", Accept="application/json",
        Body=body.encode())
    return predictive.parse_prediction(resp["Body"].read())


def _predictions(ctx, vehicle_id):
    resp = ctx.ddb.query(TableName=ctx.env["PREDICTIONS_TABLE"], KeyConditionExpression="vehicle_id = :v",
                         ExpressionAttributeValues={":v": {"S": vehicle_id}})
    return [from_item(i) for i in resp["Items"]]


def test_history_inference_prediction_and_publish_above_threshold(make_ctx):
    ctx = make_ctx("predictive")
    tap = ctx.subscribe("MAINTENANCE_TOPIC_ARN")
    sick, healthy = unique_vehicle(), unique_vehicle()
    t0 = now_ms() - 40 * 60_000
    _register(ctx, sick, age_days=2500, km_since_service=38000, prior_failures=3, odometer=900029.0)
    _register(ctx, healthy, age_days=200, km_since_service=1000, prior_failures=0, odometer=100029.0)
    sick_recs, ok_recs = _window(sick, t0, degraded=True), _window(healthy, t0, degraded=False)
    event = kinesis_event([r for pair in zip(sick_recs, ok_recs) for r in pair])
    assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}

    rows = ctx.sql("SELECT vehicle_id, count(*), max(coolant_temp_c) FROM vehicle_history "
                   "WHERE vehicle_id = ANY(%s) GROUP BY vehicle_id ORDER BY max(coolant_temp_c) DESC",
                   ([sick, healthy],))
    assert [(r[0], r[1]) for r in rows] == [(sick, 30), (healthy, 30)]

    last_ts = t0 + 29 * 60_000

    def age(vehicle_id):  # vehicle age at the scored reading, from vehicles.in_service_date (UTC midnight)
        # read back rather than recomputed from date.today(), which may have moved on since _register
        [(in_service,)] = ctx.sql("SELECT in_service_date FROM vehicles WHERE vehicle_id = %s", (vehicle_id,))
        start = dt.datetime.combine(in_service, dt.time(), dt.timezone.utc)
        return (last_ts / 1000 - start.timestamp()) / 86400

    expect_sick = _oracle(ctx, sick_recs, {"age_days": age(sick), "last_service_km": 900029.0 - 38000,
                                           "prior_failures": 3.0, "odometer_km": 900029.0})
    expect_ok = _oracle(ctx, ok_recs, {"age_days": age(healthy), "last_service_km": 99029.0,
                                       "prior_failures": 0.0, "odometer_km": 100029.0})
    assert expect_sick.confidence > 0.8 >= expect_ok.confidence  # the scenario exercises both branches
    [p_sick], [p_ok] = _predictions(ctx, sick), _predictions(ctx, healthy)
    assert p_sick["predicted_at"] == t0 + 29 * 60_000 and p_ok["predicted_at"] == t0 + 29 * 60_000
    assert (p_sick["component"], p_sick["confidence"]) == (expect_sick.component, pytest.approx(expect_sick.confidence))
    assert (p_ok["component"], p_ok["confidence"]) == (expect_ok.component, pytest.approx(expect_ok.confidence))
    assert p_sick["publish_pending"] is False
    msgs = tap.messages()
    assert [m["message"]["vehicle_id"] for m in msgs] == [sick]
    assert msgs[0]["attributes"]["event_type"] == "predicted_failure"
    assert msgs[0]["attributes"]["severity"] in ("high", "critical")
    assert msgs[0]["message"]["prediction_id"] == p_sick["prediction_id"]

    # redelivery: no second history row, no second inference item, no second publish
    assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
    assert ctx.sql("SELECT count(*) FROM vehicle_history WHERE vehicle_id = %s", (sick,))[0][0] == 30
    assert len(_predictions(ctx, sick)) == 1
    assert tap.messages() == []


def test_scoring_waits_for_a_full_window_and_then_once_an_hour(make_ctx):
    ctx = make_ctx("predictive")
    vid = unique_vehicle()
    t0 = now_ms() - 3 * 3_600_000
    minute = 60_000
    bad = dict(diagnostics(vid, t0 + 1), signals={"coolant_temp_c": "hot"})
    # one reading a minute for 85 minutes, delivered in 5-minute batches
    for start in range(0, 85, 5):
        batch = [diagnostics(vid, t0 + m * minute) for m in range(start, start + 5)] + ([bad] if start == 5 else [])
        assert predictive_maintenance.handler(kinesis_event(batch), None) == {"batchItemFailures": []}
    # scored first when the window holds >= 20 minutes (newest reading of the 20-24 batch),
    # then not again until an hour of event time later
    assert sorted(p["predicted_at"] for p in _predictions(ctx, vid)) == [t0 + 24 * minute, t0 + 84 * minute]
    assert ctx.sql("SELECT count(*) FROM vehicle_history WHERE vehicle_id = %s", (vid,))[0][0] == 85
    assert [m["reason"] for m in ctx.dlq()] == ["SIGNAL_TYPE"]
