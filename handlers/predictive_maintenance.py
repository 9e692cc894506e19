"""Diagnostics stream -> Aurora vehicle_history -> SageMaker -> predicted_failures -> maintenance-required.

Every reading is appended to vehicle_history (record_id key, so redelivery writes nothing new).
Inference runs for the newest reading of each vehicle in the batch, at most once per
PREDICTION_INTERVAL_MS of event time per vehicle (a failure horizon is days, so scoring every
60 s reading would multiply endpoint cost by 60 without changing a decision), and only once the
vehicle's window holds MIN_WINDOW_SPAN_MIN of history: the model was trained on 30-minute windows,
and a score from the first few readings of a trip would block a meaningful one for an hour.
The prediction item carries `publish_pending` until the SNS publish succeeded, so a crash between
the two re-publishes (same prediction_id) instead of losing the maintenance request.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from handlers.common import batch, db
from handlers.common.aws import client, from_item, to_item
from handlers.common.config import get_config
from handlers.common.errors import PoisonRecord
from handlers.common.idempotency import stable_id
from handlers.common.records import telemetry_from_kinesis
from handlers.common.sns import publish
from handlers.domain import predictive

processor = batch.Processor(batch.EventType.KinesisDataStreams)

WINDOW_MS = 30 * 60_000            # the model was trained on 30-minute windows
PREDICTION_INTERVAL_MS = 3_600_000
MIN_WINDOW_SPAN_MIN = 20
EVENT_TYPE = "predicted_failure"
# vehicle_id -> predicted_at of its latest prediction seen by this container. A shard keeps its
# vehicles, so a warm container skips the predicted_failures query for the ~59 of 60 readings
# that fall inside the interval. Bounded: ~100 B an entry.
_last_scored: "OrderedDict[str, int]" = OrderedDict()
_LAST_SCORED_MAX = 100_000
_HISTORY_SIGNALS = ("engine_hours", "odometer_km", "engine_rpm", "coolant_temp_c", "battery_v",
                    "engine_load_pct", "fuel_rate_lph")

_INSERT_HISTORY = f"""
INSERT INTO vehicle_history (record_id, vehicle_id, fleet_id, vehicle_type, ts, {", ".join(_HISTORY_SIGNALS)},
    dtc_count, dtcs)
VALUES (%(record_id)s, %(vehicle_id)s, %(fleet_id)s, %(vehicle_type)s, %(ts)s,
    {", ".join(f"%({s})s" for s in _HISTORY_SIGNALS)}, %(dtc_count)s, %(dtcs)s)
ON CONFLICT (record_id) DO NOTHING
"""
_RECENT = f"""
SELECT ts, vehicle_type, {", ".join(_HISTORY_SIGNALS)}, dtcs FROM vehicle_history
WHERE vehicle_id = %s AND ts > %s AND ts <= %s ORDER BY ts
"""
_HISTORY = """
SELECT EXTRACT(EPOCH FROM (%s::timestamptz - (v.in_service_date::timestamp AT TIME ZONE 'UTC'))) / 86400
           AS age_days,
       v.last_service_km, v.prior_failures,
       (SELECT max(odometer_km) FROM vehicle_history h WHERE h.vehicle_id = v.vehicle_id) AS odometer_km
FROM vehicles v WHERE v.vehicle_id = %s
"""


def _ts(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)


def store_history(record: dict) -> None:
    from psycopg.types.json import Jsonb

    signals = record.get("signals") or {}
    row = {k: record.get(k) for k in ("record_id", "vehicle_id", "fleet_id", "vehicle_type")}
    row.update({s: signals.get(s) for s in _HISTORY_SIGNALS})
    row.update(ts=_ts(record["ts_ms"]), dtc_count=len(record.get("dtcs") or []),
               dtcs=Jsonb(record.get("dtcs") or []))
    db.execute(_INSERT_HISTORY, row)


def features_for(record: dict) -> dict:
    end = record["ts_ms"]
    rows = db.execute(_RECENT, (record["vehicle_id"], _ts(end - WINDOW_MS), _ts(end)))
    recent = [{"ts_ms": int(r["ts"].timestamp() * 1000), "vehicle_type": r["vehicle_type"],
               "signals": {s: r[s] for s in _HISTORY_SIGNALS if r[s] is not None}, "dtcs": r["dtcs"]}
              for r in rows]
    history = (db.execute(_HISTORY, (_ts(end), record["vehicle_id"])) or [{}])[0]
    return predictive.build_features(recent, {k: float(v) for k, v in history.items() if v is not None})


def latest_prediction(vehicle_id: str) -> dict | None:
    resp = client("dynamodb").query(
        TableName=get_config().predictions_table, KeyConditionExpression="vehicle_id = :v",
        ExpressionAttributeValues={":v": {"S": vehicle_id}}, ScanIndexForward=False, Limit=1)
    return from_item(resp["Items"][0]) if resp["Items"] else None


def infer(features: dict) -> predictive.Prediction:
    resp = client("sagemaker-runtime").invoke_endpoint(
        EndpointName=get_config().require("sagemaker_endpoint_name"), ContentType=predictive.CONTENT_TYPE,
        Accept=predictive.ACCEPT, Body=predictive.to_csv(features).encode())
    try:
        return predictive.parse_prediction(resp["Body"].read())
    except predictive.PredictionUnparsable as exc:
        raise PoisonRecord("PREDICTION_UNPARSABLE", str(exc)) from exc


def predict(record: dict) -> dict | None:
    cfg = get_config()
    vehicle_id, ts_ms = record["vehicle_id"], record["ts_ms"]
    cached = _last_scored.get(vehicle_id)
    if cached is not None and cached != ts_ms and 0 <= ts_ms - cached < PREDICTION_INTERVAL_MS:
        return None
    prior = latest_prediction(vehicle_id)
    if prior is not None:
        retry_publish = prior["predicted_at"] == ts_ms and prior.get("publish_pending")
        if not retry_publish and ts_ms - prior["predicted_at"] < PREDICTION_INTERVAL_MS:
            return None
    features = features_for(record)
    if not features.get("span_min", 0) >= MIN_WINDOW_SPAN_MIN:
        return None  # too little history yet; a later reading of this trip will be scored
    prediction = infer(features)
    wanted = prediction.component != "none" and predictive.should_publish(
        prediction.confidence, cfg.prediction_confidence_threshold)
    prediction_id = f"pf-{stable_id(vehicle_id, ts_ms)}"
    item = {**prediction.to_item(vehicle_id, ts_ms), "prediction_id": prediction_id,
            "fleet_id": record.get("fleet_id"), "record_id": record["record_id"], "publish_pending": wanted}
    ddb = client("dynamodb")
    ddb.put_item(TableName=cfg.predictions_table, Item=to_item(item))
    # `event`/`confidence` feed the predictions metric filters ({ $.event = "prediction" ... }).
    batch.logger.info("prediction", extra={"event": "prediction", "vehicle_id": vehicle_id,
                                           "component": prediction.component, "confidence": prediction.confidence,
                                           "horizon_days": prediction.horizon_days, "publish": wanted})
    if wanted:
        message = {**item, "driver_id": record.get("driver_id"), "vehicle_type": record.get("vehicle_type"),
                   "ts": record["ts"], "severity": "critical" if prediction.confidence >= 0.95 else "high"}
        message.pop("publish_pending")
        publish(cfg.require("maintenance_topic_arn"), message, message["severity"], EVENT_TYPE,
                component=prediction.component)
        ddb.update_item(TableName=cfg.predictions_table,
                        Key=to_item({"vehicle_id": vehicle_id, "predicted_at": ts_ms}),
                        UpdateExpression="SET publish_pending = :f", ExpressionAttributeValues={":f": {"BOOL": False}})
    _remember(vehicle_id, ts_ms)
    return item


def _remember(vehicle_id: str, ts_ms: int) -> None:
    _last_scored[vehicle_id] = ts_ms
    _last_scored.move_to_end(vehicle_id)
    while len(_last_scored) > _LAST_SCORED_MAX:
        _last_scored.popitem(last=False)


def handler(event, context):
    newest = {}
    for raw in event.get("Records", []):
        newest[raw["kinesis"]["partitionKey"]] = raw["kinesis"]["sequenceNumber"]

    def process_record(raw: dict):
        record = telemetry_from_kinesis(raw, "diagnostics")
        store_history(record)
        if newest.get(raw["kinesis"]["partitionKey"]) == raw["kinesis"]["sequenceNumber"]:
            return predict(record)
        return None

    return batch.run(event, context, processor, process_record)
