"""maintenance_alerts queue -> one work order per alert in Aurora maintenance_schedule.

alert_id is deterministic upstream and UNIQUE here, so INSERT ... ON CONFLICT DO NOTHING makes a
redelivered (or re-published) alert a no-op. Messages from maintenance-required (predictions,
keyed by prediction_id) are accepted too, should that topic be subscribed to this queue.
"""

from __future__ import annotations

import datetime as dt

from handlers.common import batch, db
from handlers.common.errors import PoisonRecord
from handlers.common.events import sqs_message
from handlers.domain.telemetry import iso_to_epoch_ms

processor = batch.Processor(batch.EventType.SQS)

# Severity -> (priority, time allowed until the work must be done). Critical = next 24 h:
# the vehicle should not start another shift with it.
SERVICE_WINDOWS = {"critical": (1, 24), "high": (2, 72), "warning": (3, 14 * 24), "info": (4, 30 * 24)}

_INSERT = """
INSERT INTO maintenance_schedule (alert_id, vehicle_id, fleet_id, driver_id, vehicle_type, rule, metric,
    value, threshold, severity, priority, alert_ts, due_by, description)
VALUES (%(alert_id)s, %(vehicle_id)s, %(fleet_id)s, %(driver_id)s, %(vehicle_type)s, %(rule)s, %(metric)s,
    %(value)s, %(threshold)s, %(severity)s, %(priority)s, %(alert_ts)s, %(due_by)s, %(description)s)
ON CONFLICT (alert_id) DO NOTHING
"""


def work_order(alert: dict) -> dict:
    if "prediction_id" in alert and "alert_id" not in alert:
        alert = {
            **alert,
            "alert_id": alert["prediction_id"],
            "rule": f"predicted:{alert.get('component')}",
            "metric": "confidence",
            "value": alert.get("confidence"),
            "threshold": None,
            "message": f"predicted {alert.get('component')} failure within {alert.get('horizon_days')} d",
        }
    missing = [k for k in ("alert_id", "vehicle_id", "fleet_id", "rule", "severity", "ts") if not alert.get(k)]
    if missing:
        raise PoisonRecord("FIELD_MISSING", ",".join(missing))
    if alert["severity"] not in SERVICE_WINDOWS:
        raise PoisonRecord("SEVERITY_INVALID", str(alert["severity"]))
    try:
        alert_ts = dt.datetime.fromtimestamp(iso_to_epoch_ms(alert["ts"]) / 1000, dt.UTC)
    except ValueError as exc:
        raise PoisonRecord("TS_INVALID", str(exc)) from exc
    priority, hours = SERVICE_WINDOWS[alert["severity"]]
    return {
        "alert_id": alert["alert_id"],
        "vehicle_id": alert["vehicle_id"],
        "fleet_id": alert["fleet_id"],
        "driver_id": alert.get("driver_id"),
        "vehicle_type": alert.get("vehicle_type"),
        "rule": alert["rule"],
        "metric": alert.get("metric"),
        "value": _num(alert.get("value")),
        "threshold": _num(alert.get("threshold")),
        "severity": alert["severity"],
        "priority": priority,
        "alert_ts": alert_ts,
        "due_by": alert_ts + dt.timedelta(hours=hours),
        "description": alert.get("message"),
    }


def _num(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def process_record(raw: dict) -> bool:
    alert, _ = sqs_message(raw)
    return db.execute_rowcount(_INSERT, work_order(alert)) == 1


def handler(event, context):
    return batch.run(event, context, processor, process_record)
