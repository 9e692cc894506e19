"""driver_notifications queue -> in-cab warning through the external telematics API.

The alert_id is sent as the Idempotency-Key header, so a retried or redelivered message is
delivered once by the API. Each call has connect/read timeouts and a few quick retries on
5xx/429/connection errors; if it still fails the record is reported in batchItemFailures and
SQS redrive moves it to the DLQ after maxReceiveCount. 4xx other than 429 is the message's fault:
it goes straight to the function's DLQ. Every call ends before the invocation's deadline
(context.get_remaining_time_in_millis() minus MARGIN_S, shared by the attempts); a message the
invocation has no time left for is not called and is reported failed (DeliveryDeferred), for SQS to
redeliver, never dead-lettered.
"""

from __future__ import annotations

import json
import threading
import time

import urllib3

from handlers.common import batch
from handlers.common.config import get_config
from handlers.common.errors import PoisonRecord
from handlers.common.events import sqs_message

processor = batch.Processor(batch.EventType.SQS)

TIMEOUT = urllib3.Timeout(connect=2.0, read=5.0)
RETRIES = urllib3.Retry(
    total=2,
    backoff_factor=0.2,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=frozenset({"POST"}),
    raise_on_status=False,
)
# The invocation's deadline bounds every call: a hung API must not run the batch past the function's
# timeout (Lambda would kill it and SQS would count a receive for every message, valid in-cab
# warnings ending in the DLQ). MARGIN_S is kept for the partial batch response; a call needs at
# least MIN_CALL_S, and the retries' backoff (0.2 + 0.4 s) is set aside from the attempts' share.
MARGIN_S = 2.0
MIN_CALL_S = 0.5
_BACKOFF_S = 0.6
_deadline: float | None = None  # time.monotonic() value; None outside Lambda (no context)
_http: urllib3.PoolManager | None = None
_lock = threading.Lock()


class DeliveryFailed(RuntimeError):
    pass


class DeliveryDeferred(RuntimeError):
    """Not enough of the invocation left to call the API: reported failed, SQS redelivers it."""


def call_timeout() -> dict:
    """The request's `timeout` argument: none outside Lambda (the pool's TIMEOUT applies), else TIMEOUT
    shortened so that all attempts (1 + RETRIES.total) end before the deadline."""
    if _deadline is None:
        return {}
    budget = _deadline - time.monotonic() - MARGIN_S
    attempts = 1 + (RETRIES.total or 0)
    per_attempt = (budget - _BACKOFF_S) / attempts
    if per_attempt < MIN_CALL_S:
        raise DeliveryDeferred(f"{max(budget, 0):.1f} s left in the invocation: not called, redelivered later")
    bounded = urllib3.Timeout(
        connect=min(TIMEOUT.connect_timeout, per_attempt), read=min(TIMEOUT.read_timeout, per_attempt)
    )
    return {"timeout": bounded}


def http() -> urllib3.PoolManager:
    global _http
    with _lock:
        if _http is None:
            _http = urllib3.PoolManager(num_pools=4, maxsize=8, timeout=TIMEOUT, retries=RETRIES)
        return _http


def notification(alert: dict, attrs: dict) -> dict:
    if not alert.get("alert_id") or not alert.get("vehicle_id"):
        raise PoisonRecord("FIELD_MISSING", "alert_id/vehicle_id")
    severity = alert.get("severity") or attrs.get("severity", "warning")
    return {
        "notification_id": alert["alert_id"],
        "vehicle_id": alert["vehicle_id"],
        "driver_id": alert.get("driver_id"),
        "fleet_id": alert.get("fleet_id"),
        "severity": severity,
        "title": f"{severity.upper()}: {alert.get('rule', 'vehicle alert')}",
        "text": alert.get("message") or "",
        "ts": alert.get("ts"),
    }


def process_record(raw: dict) -> int:
    alert, attrs = sqs_message(raw)
    body = notification(alert, attrs)
    try:
        resp = http().request(
            "POST",
            f"{get_config().require('telematics_api_url')}/v1/notifications",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": body["notification_id"]},
            **call_timeout(),
        )
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryFailed(f"telematics API unreachable: {exc}") from exc
    if 200 <= resp.status < 300:
        return resp.status
    if 400 <= resp.status < 500 and resp.status not in (408, 409, 429):
        raise PoisonRecord("API_REJECTED", f"HTTP {resp.status}: {resp.data[:200]!r}")
    raise DeliveryFailed(f"telematics API answered HTTP {resp.status}")


def handler(event, context):
    global _deadline
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    _deadline = time.monotonic() + remaining_ms() / 1000 if callable(remaining_ms) else None
    return batch.run(event, context, processor, process_record)
