"""Firehose data transformation for the diagnostics archive: validate, flatten, partition keys.

Output rows are flat JSON (one column per signal, DTC keys as a string array) so Firehose can
convert them to Parquet against the Glue table; `partitionKeys` {date, vehicle_type} drive
dynamic partitioning (`date=<yyyy-mm-dd>/vehicle_type=<type>/`). Invalid records are returned
as ProcessingFailed (Firehose writes them to its error prefix), non-diagnostics kinds as Dropped.
"""

from __future__ import annotations

import base64

import orjson

from handlers.common.records import now_ms
from handlers.domain import dtc, telemetry, validation

COLUMNS = ("record_id", "vehicle_id", "vin", "fleet_id", "vehicle_type", "driver_id", "ts", "ts_ms")
# Archived data may be replayed long after the fact; only reject timestamps from the future.
MAX_AGE_S = 10 * 365 * 86400


def flatten(record: dict) -> dict:
    row = {k: record.get(k) for k in COLUMNS}
    signals = record.get("signals") or {}
    for name in telemetry.SIGNAL_NAMES:
        value = signals.get(name)
        row[name] = float(value) if value is not None else None
    codes = [dtc.parse_dtc(d) for d in record.get("dtcs") or []]
    row["dtc_codes"] = [c.key for c in codes if not isinstance(c, str)]
    row["dtc_count"] = len(row["dtc_codes"])
    return row


def transform(fh_record: dict, now: int) -> dict:
    out = {"recordId": fh_record["recordId"]}
    result = validation.decode_and_validate(base64.b64decode(fh_record["data"]), now_ms=now, max_age_s=MAX_AGE_S)
    if not result.ok:
        return {**out, "result": "ProcessingFailed", "data": fh_record["data"]}
    record = result.record
    if record["kind"] != "diagnostics":
        return {**out, "result": "Dropped", "data": fh_record["data"]}
    row = flatten(record)
    return {
        **out,
        "result": "Ok",
        "data": base64.b64encode(orjson.dumps(row) + b"\n").decode(),
        "metadata": {"partitionKeys": {"date": record["ts"][:10], "vehicle_type": record["vehicle_type"]}},
    }


def handler(event, context):
    now = now_ms()
    return {"records": [transform(r, now) for r in event.get("records", [])]}
