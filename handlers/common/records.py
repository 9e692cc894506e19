"""Telemetry out of a Kinesis record: decode + validate via the domain core, or PoisonRecord."""

from __future__ import annotations

import time

from handlers.common.errors import PoisonRecord
from handlers.common.events import kinesis_data
from handlers.domain import validation

KIND_UNEXPECTED = "KIND_UNEXPECTED"


def now_ms() -> int:
    return int(time.time() * 1000)


def telemetry_from_kinesis(raw_record: dict, kind: str) -> dict:
    """The normalized record (with `ts_ms`) or PoisonRecord carrying the first reason code."""
    result = validation.decode_and_validate(kinesis_data(raw_record), now_ms=now_ms())
    if not result.ok:
        detail = "; ".join(f"{r.field}: {r.detail}" if r.detail else r.field for r in result.reasons[:5])
        raise PoisonRecord(result.reason_code or "REJECTED", detail)
    record = result.record
    if record["kind"] != kind:
        raise PoisonRecord(KIND_UNEXPECTED, f"expected {kind}, got {record['kind']}")
    return record
