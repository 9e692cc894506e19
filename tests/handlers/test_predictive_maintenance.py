"""predictive_maintenance: diagnostics -> vehicle_history -> SageMaker -> predicted_failures -> topic."""

from __future__ import annotations

import datetime as dt
import math

import boto3
import pytest

from handlers import predictive_maintenance
from handlers.common.aws import from_item
from handlers.domain import predictive
from handlers.domain.validation import validate
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import diagnostics, now_ms, unique_vehicle


def _window(vehicle_id, t0, *, degraded: bool, n: int = 30):
    recs = []
    for i in range(n):
        if degraded:  # failing cooling: hot, still rising, ECU raising SPN 110 FMI 0
            recs.append(
                diagnostics(
                    vehicle_id,
                    t0 + i * 60_000,
                    coolant_temp_c=112.0 + i * 0.3,
                    engine_load_pct=70.0,
                    battery_v=13.8,
                    engine_hours=30000.0 + i / 60,
                    odometer_km=900000.0 + i,
                    dtcs=[{"spn": 110, "fmi": 0, "oc": 1}],
                )
            )
        else:
            recs.append(
                diagnostics(
                    vehicle_id,
                    t0 + i * 60_000,
                    coolant_temp_c=86.0 + (i % 3) * 0.2,
                    engine_hours=2000.0 + i / 60,
                    odometer_km=100000.0 + i,
                )
            )
    return recs


def _register(ctx, vehicle_id, *, age_days, km_since_service, prior_failures, odometer):
    ctx.sql(
        "INSERT INTO vehicles (vehicle_id, vin, fleet_id, vehicle_type, in_service_date, last_service_km,"
        " prior_failures) VALUES (%s, '1FUJGLDR0CLBP8834', 'FL-001', 'tractor', %s, %s, %s)",
        (vehicle_id, dt.date.today() - dt.timedelta(days=age_days), odometer - km_since_service, prior_failures),
    )


def _oracle(ctx, recs, history):
    """What the endpoint answers for the same window, computed without the handler."""
    normalized = [validate(r, now_ms=now_ms()).record for r in recs]
    body = predictive.to_csv(predictive.build_features(normalized, history))
    resp = boto3.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=ctx.env["SAGEMAKER_ENDPOINT_NAME"],
        ContentType="text/csv",
        Accept="application/json",
        Body=body.encode(),
    )
    return predictive.parse_prediction(resp["Body"].read())


def _predictions(ctx, vehicle_id):
    resp = ctx.ddb.query(
        TableName=ctx.env["PREDICTIONS_TABLE"],
        KeyConditionExpression="vehicle_id = :v",
        ExpressionAttributeValues={":v": {"S": vehicle_id}},
    )
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

    rows = ctx.sql(
        "SELECT vehicle_id, count(*), max(coolant_temp_c) FROM vehicle_history "
        "WHERE vehicle_id = ANY(%s) GROUP BY vehicle_id ORDER BY max(coolant_temp_c) DESC",
        ([sick, healthy],),
    )
    assert [(r[0], r[1]) for r in rows] == [(sick, 30), (healthy, 30)]

    last_ts = t0 + 29 * 60_000

    def age(vehicle_id):  # vehicle age at the scored reading, from vehicles.in_service_date (UTC midnight)
        # read back rather than recomputed from date.today(), which may have moved on since _register
        [(in_service,)] = ctx.sql("SELECT in_service_date FROM vehicles WHERE vehicle_id = %s", (vehicle_id,))
        start = dt.datetime.combine(in_service, dt.time(), dt.UTC)
        return (last_ts / 1000 - start.timestamp()) / 86400

    expect_sick = _oracle(
        ctx,
        sick_recs,
        {"age_days": age(sick), "last_service_km": 900029.0 - 38000, "prior_failures": 3.0, "odometer_km": 900029.0},
    )
    expect_ok = _oracle(
        ctx,
        ok_recs,
        {"age_days": age(healthy), "last_service_km": 99029.0, "prior_failures": 0.0, "odometer_km": 100029.0},
    )
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


# --- cost of a batch: one INSERT, no predicted_failures query before a vehicle can be scored ---


class _Calls:
    """Counts the handler's own DynamoDB queries (botocore hook on its cached client) and its
    vehicle_history inserts (wrapper around db.execute_many: rows per call)."""

    def __init__(self, monkeypatch):
        from handlers.common import aws, db

        self.queries: list[str] = []
        self.inserts: list[int] = []
        aws.client("dynamodb").meta.events.register(
            "provide-client-params.dynamodb.Query",
            lambda params, **kw: self.queries.append(params["ExpressionAttributeValues"][":v"]["S"]),
        )
        real = db.execute_many

        def execute_many(sql, rows, *args, **kwargs):
            if "INSERT INTO vehicle_history" in sql:
                self.inserts.append(len(rows))
            return real(sql, rows, *args, **kwargs)

        monkeypatch.setattr(db, "execute_many", execute_many)

    def take(self) -> tuple[list[str], list[int]]:
        out = (self.queries[:], self.inserts[:])
        self.queries.clear()
        self.inserts.clear()
        return out


def _history_ids(ctx, vehicles):
    return sorted(
        r[0] for r in ctx.sql("SELECT record_id FROM vehicle_history WHERE vehicle_id = ANY(%s)", (list(vehicles),))
    )


def test_batch_history_is_one_insert_poison_dead_lettered_redelivery_writes_nothing_twice(make_ctx, monkeypatch):
    ctx = make_ctx("predictive")
    calls = _Calls(monkeypatch)
    vehicles = [unique_vehicle() for _ in range(4)]
    t0 = now_ms() - 30 * 60_000
    good = [diagnostics(v, t0 + m * 60_000) for m in range(5) for v in vehicles]
    bad_type = dict(diagnostics(vehicles[0], t0 + 1), signals={"coolant_temp_c": "hot"})
    payloads = good[:3] + [b"not json"] + good[3:11] + [bad_type] + good[11:] + [b"{}"]
    event = kinesis_event(payloads)
    assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
    assert _history_ids(ctx, vehicles) == sorted(r["record_id"] for r in good)
    assert calls.take() == ([], [len(good)])  # one call for the batch; nobody has 20 min yet
    assert sorted(m["reason"] for m in ctx.dlq()) == sorted(["MALFORMED_JSON", "SIGNAL_TYPE", "SCHEMA_UNSUPPORTED"])

    # redelivery, and an overlapping batch (Lambda retries from a checkpoint): only new rows go in
    assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
    more = [diagnostics(v, t0 + 5 * 60_000) for v in vehicles]
    assert predictive_maintenance.handler(kinesis_event(good[8:] + more), None) == {"batchItemFailures": []}
    ids = _history_ids(ctx, vehicles)
    assert ids == sorted(r["record_id"] for r in good + more) and len(ids) == len(set(ids)) == 24
    assert ctx.sql("SELECT count(*) FROM vehicle_history WHERE vehicle_id = ANY(%s)", (vehicles,))[0][0] == 24
    assert calls.take()[1] == [len(good), len(good[8:] + more)]


def test_a_batch_the_database_refuses_falls_back_to_one_insert_per_record(make_ctx, monkeypatch):
    """A row PostgreSQL rejects fails only its own record (batchItemFailures), as before."""
    ctx = make_ctx("predictive")
    vid = unique_vehicle()
    recs = [diagnostics(vid, now_ms() - 10 * 60_000 + i * 60_000) for i in range(4)]
    real_row = predictive_maintenance.history_row

    def history_row(record):  # the third record carries a value its column cannot take
        row = real_row(record)
        return row[:5] + ("not a number",) + row[6:] if record["record_id"] == recs[2]["record_id"] else row

    monkeypatch.setattr(predictive_maintenance, "history_row", history_row)
    event = kinesis_event(recs)
    resp = predictive_maintenance.handler(event, None)
    assert resp == {"batchItemFailures": [{"itemIdentifier": event["Records"][2]["kinesis"]["sequenceNumber"]}]}
    assert _history_ids(ctx, [vid]) == sorted(r["record_id"] for i, r in enumerate(recs) if i != 2)


def test_database_outage_fails_the_whole_batch_then_the_retry_completes(make_ctx, dedicated_pg, pg_secret):
    ctx = make_ctx(
        "predictive", DB_PORT=str(dedicated_pg.info.postgres_port), DB_SECRET_ARN=pg_secret(dedicated_pg.info)
    )
    vid = unique_vehicle()
    t0 = now_ms() - 40 * 60_000
    recs = [diagnostics(vid, t0 + m * 60_000) for m in range(25)]
    assert predictive_maintenance.handler(kinesis_event(recs[:10]), None) == {"batchItemFailures": []}
    event = kinesis_event(recs[10:15] + [b"garbage"] + recs[15:])
    dedicated_pg.stop()
    with pytest.raises(Exception, match="DependencyUnavailable|OperationalError|connection"):
        predictive_maintenance.handler(event, None)
    assert _predictions(ctx, vid) == []
    dedicated_pg.start()
    assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
    import psycopg

    with psycopg.connect(dedicated_pg.info.postgres_dsn) as conn:
        ids = [
            r[0]
            for r in conn.execute("SELECT record_id FROM vehicle_history WHERE vehicle_id = %s ORDER BY ts", (vid,))
        ]
    assert ids == [r["record_id"] for r in recs]
    assert [p["predicted_at"] for p in _predictions(ctx, vid)] == [t0 + 24 * 60_000]
    assert "MALFORMED_JSON" in [m["reason"] for m in ctx.dlq()]


def test_predicted_failures_is_queried_only_when_a_prediction_could_block(make_ctx, monkeypatch):
    ctx = make_ctx("predictive")
    calls = _Calls(monkeypatch)
    vid, other = unique_vehicle(), unique_vehicle()
    t0 = now_ms() - 3 * 3_600_000
    minute = 60_000

    def run(minutes, vehicles=(vid,)):
        event = kinesis_event([diagnostics(v, t0 + m * minute) for m in minutes for v in vehicles])
        assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
        return calls.take()[0]

    # < 20 minutes of window: no query, no SageMaker, no prediction
    for start in range(0, 20, 5):
        assert run(range(start, start + 5), (vid, other)) == []
    assert _predictions(ctx, vid) == [] and _predictions(ctx, other) == []
    # the first full window of the trip: vehicle_history shows no reading of the last hour could
    # have been scored, so it is scored without asking predicted_failures
    assert run(range(20, 25)) == []
    assert [p["predicted_at"] for p in _predictions(ctx, vid)] == [t0 + 24 * minute]
    # within the hour: the container remembers it; no query
    assert run(range(25, 30)) == []
    # a cold container (or one that did not score it): asks once, then remembers the prediction
    predictive_maintenance.reset()
    assert run(range(30, 35)) == [vid]
    assert run(range(35, 40)) == []
    # `other` sent nothing for minutes 20-59 and comes back: no query until its window is full
    # again, then none either (none of its readings of the last hour had a full window)
    assert run(range(60, 65), (other,)) == []
    assert run(range(65, 85), (other,)) == []
    assert [p["predicted_at"] for p in _predictions(ctx, other)] == [t0 + 84 * minute]
    # an hour after its last prediction, readings of the last hour had full windows: ask (and score)
    assert run(range(40, 84)) == []
    assert run(range(84, 85)) == [vid]
    assert sorted(p["predicted_at"] for p in _predictions(ctx, vid)) == [t0 + 24 * minute, t0 + 84 * minute]


def test_prediction_written_elsewhere_blocks_scoring_here(make_ctx, monkeypatch):
    """Another container scored the vehicle at a reading this one never saw: the rows show that
    reading had a full window, so this container asks predicted_failures and does not score."""
    ctx = make_ctx("predictive")
    calls = _Calls(monkeypatch)
    vid = unique_vehicle()
    t0 = now_ms() - 2 * 3_600_000
    recs = [diagnostics(vid, t0 + m * 60_000) for m in range(30)]
    assert predictive_maintenance.handler(kinesis_event(recs[:22]), None) == {"batchItemFailures": []}
    [scored] = _predictions(ctx, vid)  # at minute 21, as "the other container"
    ctx.ddb.delete_item(
        TableName=ctx.env["PREDICTIONS_TABLE"],
        Key={"vehicle_id": {"S": vid}, "predicted_at": {"N": str(scored["predicted_at"])}},
    )
    ctx.ddb.put_item(
        TableName=ctx.env["PREDICTIONS_TABLE"],
        Item={"vehicle_id": {"S": vid}, "predicted_at": {"N": str(t0 + 20 * 60_000)}, "component": {"S": "none"}},
    )
    predictive_maintenance.reset()
    calls.take()
    assert predictive_maintenance.handler(kinesis_event(recs[22:]), None) == {"batchItemFailures": []}
    assert calls.take()[0] == [vid]
    assert [p["predicted_at"] for p in _predictions(ctx, vid)] == [t0 + 20 * 60_000]


def test_publish_failure_is_retried_on_redelivery_with_the_same_prediction(make_ctx, monkeypatch):
    ctx = make_ctx("predictive")
    tap = ctx.subscribe("MAINTENANCE_TOPIC_ARN")
    calls = _Calls(monkeypatch)
    sick = unique_vehicle()
    t0 = now_ms() - 40 * 60_000
    _register(ctx, sick, age_days=2500, km_since_service=38000, prior_failures=3, odometer=900029.0)
    event = kinesis_event(_window(sick, t0, degraded=True))
    real_publish = predictive_maintenance.publish

    def broken(*args, **kwargs):
        raise RuntimeError("SNS said no")

    monkeypatch.setattr(predictive_maintenance, "publish", broken)
    resp = predictive_maintenance.handler(event, None)
    assert resp == {"batchItemFailures": [{"itemIdentifier": event["Records"][-1]["kinesis"]["sequenceNumber"]}]}
    [pending] = _predictions(ctx, sick)
    assert pending["publish_pending"] is True and calls.take()[0] == []  # first scoring: no query
    monkeypatch.setattr(predictive_maintenance, "publish", real_publish)
    # the redelivered reading is not new to vehicle_history: the prediction is looked up and re-published
    assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
    assert calls.take()[0] == [sick]
    [done] = _predictions(ctx, sick)
    assert done["publish_pending"] is False and done["prediction_id"] == pending["prediction_id"]
    assert [m["message"]["prediction_id"] for m in tap.messages()] == [pending["prediction_id"]]


def test_a_fleet_that_starts_together_is_first_scored_over_the_spread(make_ctx, monkeypatch):
    ctx = make_ctx("predictive", PREDICTION_FIRST_SCORE_SPREAD_MIN="8")
    calls = _Calls(monkeypatch)
    fleet = [unique_vehicle() for _ in range(24)]
    t0 = now_ms() - 3 * 3_600_000
    minute = 60_000
    for m in range(30):  # every vehicle reports once a minute from t0, one batch a minute
        event = kinesis_event([diagnostics(v, t0 + m * minute) for v in fleet])
        assert predictive_maintenance.handler(event, None) == {"batchItemFailures": []}
    first = {}
    for v in fleet:
        (prediction,) = _predictions(ctx, v)
        first[v] = (prediction["predicted_at"] - t0) // minute
        # the first reading whose window (one reading a minute) spans the vehicle's own span
        span = predictive.first_scoring_span_min(v, predictive.MIN_WINDOW_SPAN_MIN, 8)
        assert first[v] == math.ceil(span), (v, span)
    assert len(set(first.values())) >= 5 and min(first.values()) >= 20 and max(first.values()) <= 28
    # each was the vehicle's first full window: nothing asked predicted_failures
    assert calls.take()[0] == []
