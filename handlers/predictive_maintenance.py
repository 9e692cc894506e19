"""Diagnostics stream -> Aurora vehicle_history -> SageMaker -> predicted_failures -> maintenance-required.

Every reading is appended to vehicle_history (record_id key, so redelivery writes nothing new).
Inference runs for the newest reading of each vehicle in the batch, by the scheduling rules of
handlers.domain.predictive.schedule: at most once per PREDICTION_INTERVAL_MS of event time per
vehicle (a failure horizon is days, so scoring every 60 s reading would multiply endpoint cost by
60 without changing a decision), and only once the vehicle's window spans its scoring span:
MIN_WINDOW_SPAN_MIN (the model was trained on 30-minute windows, and a score from the first few
readings of a trip would block a meaningful one for an hour) plus a fixed per-vehicle share of
PREDICTION_FIRST_SCORE_SPREAD_MIN, so a fleet that starts together is scored over that many
minutes, not all within one.
The prediction item carries `publish_pending` until the SNS publish succeeded, so a crash between
the two re-publishes (same prediction_id) instead of losing the maintenance request.

Cost per batch: the batch's history rows go in with one pipelined executemany (one transaction,
one round trip; a malformed record is left out of it and dead-lettered at its turn, a database
error fails the invocation for retry); the feature windows of the vehicles that may be scored
come back in one SELECT, their vehicle rows in one more, and only a vehicle whose window already
spans its scoring span asks predicted_failures for its latest prediction (the query that
decides "once an hour") - unless vehicle_history proves that no prediction blocking this reading
can exist (predictive.maybe_scored: no reading of the last interval could have been scored, and
this reading is new), as for every vehicle reaching the first full window of a trip. Within one
invocation only the newest reading per vehicle is scored, and predict checks the container's
memory (reset() clears it) for a prediction made since.
"""

from __future__ import annotations

import datetime as dt

from handlers.common import batch, db
from handlers.common.aws import client, from_item, to_item, warm
from handlers.common.config import get_config
from handlers.common.errors import DEPENDENCY_ERRORS, PoisonRecord
from handlers.common.idempotency import stable_id
from handlers.common.records import telemetry_from_kinesis
from handlers.common.sns import publish
from handlers.domain import predictive

processor = batch.Processor(batch.EventType.KinesisDataStreams)
warm("dynamodb", "sagemaker-runtime", "sns")  # clients in the cold start, not on a late first use

EVENT_TYPE = "predicted_failure"
# The predictions this container knows of (written by it, or read from predicted_failures when
# that one blocked a scoring). A shard keeps its vehicles, so a warm container skips the window and
# the predicted_failures query for the ~59 of 60 readings that fall inside the interval.
_scored = predictive.ScoredMemory(max_entries=100_000)
_HISTORY_SIGNALS = predictive.HISTORY_SIGNALS

_HISTORY_COLUMNS = ("record_id", "vehicle_id", "fleet_id", "vehicle_type", "ts", *_HISTORY_SIGNALS, "dtc_count", "dtcs")
_INSERT_HISTORY = f"""
INSERT INTO vehicle_history ({", ".join(_HISTORY_COLUMNS)}) VALUES ({", ".join(["%s"] * len(_HISTORY_COLUMNS))})
ON CONFLICT (record_id) DO NOTHING RETURNING record_id
"""
# The window of every requested (vehicle, reading) in one statement; `i` says whose row it is.
_RECENT = f"""
SELECT q.i, h.ts, h.vehicle_type, {", ".join(f"h.{s}" for s in _HISTORY_SIGNALS)}, h.dtcs
FROM unnest(%s::text[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS q(vehicle_id, lo, hi, i)
JOIN vehicle_history h ON h.vehicle_id = q.vehicle_id AND h.ts > q.lo AND h.ts <= q.hi
ORDER BY q.i, h.ts
"""
# The vehicle row of every requested (vehicle, reading) (LEFT JOIN: an unknown vehicle gives
# NULLs, i.e. no history), and the times and record_ids of the vehicle's readings since `since`,
# for predictive.maybe_scored.
_HISTORY = """
SELECT q.i,
       EXTRACT(EPOCH FROM (q.at - (v.in_service_date::timestamp AT TIME ZONE 'UTC'))) / 86400 AS age_days,
       v.last_service_km, v.prior_failures,
       (SELECT max(odometer_km) FROM vehicle_history h WHERE h.vehicle_id = v.vehicle_id) AS odometer_km,
       ARRAY(SELECT h.ts FROM vehicle_history h WHERE h.vehicle_id = q.vehicle_id AND h.ts > q.since
             ORDER BY h.ts, h.record_id) AS times,
       ARRAY(SELECT h.record_id FROM vehicle_history h
             WHERE h.vehicle_id = q.vehicle_id AND h.ts > q.since ORDER BY h.ts, h.record_id) AS ids
FROM unnest(%s::text[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS q(vehicle_id, at, since, i)
LEFT JOIN vehicles v ON v.vehicle_id = q.vehicle_id
"""
_HISTORY_FIELDS = ("age_days", "last_service_km", "prior_failures", "odometer_km")


def _ts(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _ms(ts: dt.datetime) -> int:
    return int(ts.timestamp() * 1000)


def history_row(record: dict) -> tuple:
    from psycopg.types.json import Jsonb

    signals = record.get("signals") or {}
    return (
        *(record.get(k) for k in ("record_id", "vehicle_id", "fleet_id", "vehicle_type")),
        _ts(record["ts_ms"]),
        *(signals.get(s) for s in _HISTORY_SIGNALS),
        len(record.get("dtcs") or []),
        Jsonb(record.get("dtcs") or []),
    )


def store_history(record: dict) -> None:
    store_histories([history_row(record)])


def store_histories(rows: list[tuple]) -> set[str]:
    """All rows in one transaction and one pipelined round trip (sorted by record_id: concurrent
    redeliveries lock in one order); returns the record_ids it inserted (not those already there)."""
    inserted = db.execute_many(_INSERT_HISTORY, sorted(rows, key=lambda r: r[0]), returning=True)
    return {r["record_id"] for r in inserted}


def features_many(records: list[dict], inserted: set[str] | None = None) -> list[tuple[dict | None, bool]]:
    """(features, never_scored) for each record's window, in order: one SELECT for all windows,
    one for the vehicle rows of those whose window spans their scoring span. features is None
    for the others (they cannot be scored yet). `never_scored`: no prediction that would block
    this reading can exist (predictive.maybe_scored); only for records in `inserted`, the record_ids
    this invocation inserted."""
    if not records:
        return []
    rows = db.execute(
        _RECENT,
        (
            [r["vehicle_id"] for r in records],
            [_ts(r["ts_ms"] - predictive.WINDOW_MS) for r in records],
            [_ts(r["ts_ms"]) for r in records],
        ),
    )
    recent: list[list[dict]] = [[] for _ in records]
    for r in rows:
        recent[r["i"] - 1].append(
            {
                "ts_ms": _ms(r["ts"]),
                "vehicle_type": r["vehicle_type"],
                "signals": {s: r[s] for s in _HISTORY_SIGNALS if r[s] is not None},
                "dtcs": r["dtcs"],
            }
        )
    out: list[tuple[dict | None, bool]] = [(None, False)] * len(records)
    spans = [scoring_span_min(r["vehicle_id"]) for r in records]
    due = [n for n, window in enumerate(recent) if predictive.window_spans((row["ts_ms"] for row in window), spans[n])]
    if due:
        found = {
            h["i"] - 1: h
            for h in db.execute(
                _HISTORY,
                (
                    [records[n]["vehicle_id"] for n in due],
                    [_ts(records[n]["ts_ms"]) for n in due],
                    [_ts(records[n]["ts_ms"] - predictive.LOOKBACK_MS) for n in due],
                ),
            )
        }
        for k, n in enumerate(due):
            h = found.get(k, {})
            history = {key: float(h[key]) for key in _HISTORY_FIELDS if h.get(key) is not None}
            never_scored = (
                inserted is not None
                and records[n]["record_id"] in inserted
                and not predictive.maybe_scored(
                    records[n]["ts_ms"], [_ms(t) for t in h.get("times") or []], h.get("ids") or [], inserted, spans[n]
                )
            )
            out[n] = (predictive.build_features(recent[n], history), never_scored)
    return out


def features_for(record: dict) -> dict | None:
    """The model's features for the record's window; None while it spans less than the vehicle's
    scoring span (scoring_span_min)."""
    return features_many([record])[0][0]


def scoring_span_min(vehicle_id: str) -> float:
    """The window span (minutes) at which the vehicle is scored, with the configured spread
    (predictive.scoring_span_min)."""
    return predictive.scoring_span_min(vehicle_id, get_config().prediction_first_score_spread_min)


def latest_prediction(vehicle_id: str) -> dict | None:
    resp = client("dynamodb").query(
        TableName=get_config().predictions_table,
        KeyConditionExpression="vehicle_id = :v",
        ExpressionAttributeValues={":v": {"S": vehicle_id}},
        ScanIndexForward=False,
        Limit=1,
    )
    return from_item(resp["Items"][0]) if resp["Items"] else None


def infer(features: dict) -> predictive.Prediction:
    resp = client("sagemaker-runtime").invoke_endpoint(
        EndpointName=get_config().require("sagemaker_endpoint_name"),
        ContentType=predictive.CONTENT_TYPE,
        Accept=predictive.ACCEPT,
        Body=predictive.to_csv(features).encode(),
    )
    try:
        return predictive.parse_prediction(resp["Body"].read())
    except predictive.PredictionUnparsable as exc:
        raise PoisonRecord("PREDICTION_UNPARSABLE", str(exc)) from exc


def predict(record: dict, features: dict | None = None, never_scored: bool = False) -> dict | None:
    """`features`, `never_scored`: as features_many gave them for this record, if already asked
    (None: predict reads the window itself)."""
    cfg = get_config()
    vehicle_id, ts_ms = record["vehicle_id"], record["ts_ms"]
    if _scored.recently_scored(vehicle_id, ts_ms):
        return None
    # The window first (it is needed for scoring anyway): a vehicle that cannot be scored yet
    # costs no predicted_failures query. Both are reads, so the order changes no decision.
    if features is None:
        features = features_for(record)
    if features is None:
        return None  # too little history yet; a later reading of this trip will be scored
    # never_scored (the handler proved no blocking prediction can exist, see maybe_scored) holds
    # only if this container has not scored the vehicle since (another reading of it, same batch)
    prior = None if never_scored and vehicle_id not in _scored else latest_prediction(vehicle_id)
    if prior is not None:
        retry_publish = prior["predicted_at"] == ts_ms and prior.get("publish_pending")
        if not retry_publish and predictive.blocks(prior["predicted_at"], ts_ms):
            # scored elsewhere (another container, before a cold start): skip its interval here too
            _scored.remember(vehicle_id, max(prior["predicted_at"], _scored.get(vehicle_id, prior["predicted_at"])))
            return None
    prediction = infer(features)
    wanted = prediction.component != "none" and predictive.should_publish(
        prediction.confidence, cfg.prediction_confidence_threshold
    )
    prediction_id = f"pf-{stable_id(vehicle_id, ts_ms)}"
    item = {
        **prediction.to_item(vehicle_id, ts_ms),
        "prediction_id": prediction_id,
        "fleet_id": record.get("fleet_id"),
        "record_id": record["record_id"],
        "publish_pending": wanted,
    }
    ddb = client("dynamodb")
    ddb.put_item(TableName=cfg.predictions_table, Item=to_item(item))
    # `event`/`confidence` feed the predictions metric filters ({ $.event = "prediction" ... }).
    batch.logger.info(
        "prediction",
        extra={
            "event": "prediction",
            "vehicle_id": vehicle_id,
            "component": prediction.component,
            "confidence": prediction.confidence,
            "horizon_days": prediction.horizon_days,
            "publish": wanted,
        },
    )
    if wanted:
        message = {
            **item,
            "driver_id": record.get("driver_id"),
            "vehicle_type": record.get("vehicle_type"),
            "ts": record["ts"],
            "severity": "critical" if prediction.confidence >= 0.95 else "high",
        }
        message.pop("publish_pending")
        publish(
            cfg.require("maintenance_topic_arn"),
            message,
            message["severity"],
            EVENT_TYPE,
            component=prediction.component,
        )
        ddb.update_item(
            TableName=cfg.predictions_table,
            Key=to_item({"vehicle_id": vehicle_id, "predicted_at": ts_ms}),
            UpdateExpression="SET publish_pending = :f",
            ExpressionAttributeValues={":f": {"BOOL": False}},
        )
    _scored.remember(vehicle_id, ts_ms)
    return item


def reset() -> None:
    """Forget the predictions this container knows of, as a cold start would."""
    _scored.clear()


class _Batch:
    """What the handler prepares once per invocation, on its first record: every record decoded,
    the good ones' history rows inserted in one transaction and round trip, the windows of the newest reading of
    each vehicle that may be due fetched with one (or two) SELECTs."""

    def __init__(self, raws: list[dict]) -> None:
        self.raws = raws
        self.newest: dict[str, str] = {}
        for raw in raws:
            self.newest[raw["kinesis"]["partitionKey"]] = raw["kinesis"]["sequenceNumber"]
        self.ready = False
        self.parsed: dict[str, dict | BaseException] = {}  # sequenceNumber -> record or its error
        self.stored = False  # False: insert each record's row at its turn (the per-record fallback)
        self.features: dict[str, tuple[dict, bool]] = {}  # sequenceNumber -> features_many's answer

    def is_newest(self, raw: dict) -> bool:
        return self.newest.get(raw["kinesis"]["partitionKey"]) == raw["kinesis"]["sequenceNumber"]

    def prepare(self) -> None:
        self.ready = True
        rows = []
        for raw in self.raws:
            seq = raw["kinesis"]["sequenceNumber"]
            try:
                record = telemetry_from_kinesis(raw, "diagnostics")
                rows.append(history_row(record))
            except Exception as exc:  # raised again at the record's turn: DLQ or batchItemFailures
                self.parsed[seq] = exc
                continue
            self.parsed[seq] = record
        try:
            inserted = store_histories(rows)
        except DEPENDENCY_ERRORS:
            raise  # the whole invocation fails and is retried; nothing was written
        except Exception:
            # e.g. a row the database refuses (one transaction: nothing was written). One INSERT
            # per record then, so only that record fails, as it did before the batch insert.
            return
        self.stored = True
        due: dict[str, dict] = {}  # sequenceNumber -> newest reading of a vehicle that may be due
        for raw in self.raws:
            record = self.parsed[raw["kinesis"]["sequenceNumber"]]
            if (
                self.is_newest(raw)
                and isinstance(record, dict)
                and not _scored.recently_scored(record["vehicle_id"], record["ts_ms"])
            ):
                due[raw["kinesis"]["sequenceNumber"]] = record
        try:
            features = features_many(list(due.values()), inserted)
        except DEPENDENCY_ERRORS:
            raise
        except Exception:
            return  # each record then reads its own window at its turn, and fails alone if it must
        self.features = dict(zip(due, features))

    def process(self, raw: dict):
        if not self.ready:
            self.prepare()
        parsed = self.parsed.get(raw["kinesis"]["sequenceNumber"])
        if parsed is None:  # not seen by prepare (cannot happen with one event); decode it now
            parsed = telemetry_from_kinesis(raw, "diagnostics")
            store_history(parsed)
        elif isinstance(parsed, BaseException):
            raise parsed
        elif not self.stored:
            store_history(parsed)
        if not self.is_newest(raw):
            return None
        seq = raw["kinesis"]["sequenceNumber"]
        if seq not in self.features:
            return predict(parsed)  # its window was not fetched in prepare: predict reads it
        features, never_scored = self.features.pop(seq)
        if features is None:
            return None  # the window is shorter than the vehicle's scoring span: nothing to score yet
        return predict(parsed, features, never_scored)


def handler(event, context):
    return batch.run(event, context, processor, _Batch(event.get("Records", [])).process)
