"""Diagnostics stream -> validated OBD-II records in vehicle_diagnostics (TTL 30 days).

Invalid records go to the DLQ with the domain's reason code. Valid ones are written with
BatchWriteItem after the batch (idempotent puts keyed by vehicle_id + timestamp): a redelivered
record rewrites the same item, and the anomaly detector dedupes the MODIFY stream event it causes.
"""

from __future__ import annotations

from handlers.common import batch
from handlers.common.config import get_config
from handlers.common.ddb_writer import DynamoBatchWriter
from handlers.common.records import telemetry_from_kinesis

processor = batch.Processor(batch.EventType.KinesisDataStreams)

_ITEM_FIELDS = ("record_id", "vin", "fleet_id", "vehicle_type", "driver_id", "ts", "signals", "dtcs")


def diagnostics_item(record: dict, ttl_days: int) -> dict:
    item = {k: record.get(k) for k in _ITEM_FIELDS}
    item.update(
        vehicle_id=record["vehicle_id"],
        timestamp=record["ts_ms"],
        expires_at=record["ts_ms"] // 1000 + ttl_days * 86400,
    )
    item["signals"] = record.get("signals") or {}
    item["dtcs"] = record.get("dtcs") or []
    return item


def handler(event, context):
    cfg = get_config()
    writer = DynamoBatchWriter(cfg.diagnostics_table, ("vehicle_id", "timestamp"))

    def process_record(raw: dict) -> None:
        writer.add(diagnostics_item(telemetry_from_kinesis(raw, "diagnostics"), cfg.diagnostics_ttl_days))

    response = batch.run(event, context, processor, process_record)
    writer.flush()  # a failure here fails the invocation: the whole batch is retried
    return response
