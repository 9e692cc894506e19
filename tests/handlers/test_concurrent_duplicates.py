"""Issue 18 #11: concurrent duplicate deliveries of one message to consumers whose side effect lies
outside their own store. Check -> act -> mark let every concurrent copy pass the check and act;
claim-before-act (handlers.common.leases) lets one act and the others find the mark."""

from __future__ import annotations

import threading
import uuid

from handlers import coaching_dispatcher, hos_report_writer
from tests.handlers.handler_events import sns_event

COPIES = 6


def _concurrently(fn, copies=COPIES):
    barrier = threading.Barrier(copies)
    errors: list[BaseException] = []

    def run():
        barrier.wait()
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_copies_of_a_coaching_message_queue_one_training_assignment(make_ctx):
    ctx = make_ctx("coaching")
    coaching = {
        "coaching_id": f"fc-{uuid.uuid4().hex}",
        "driver_id": "DR-000123",
        "vehicle_id": "VH-000123",
        "fleet_id": "FL-001",
        "ts": "2026-12-06T12:00:00.000Z",
        "tips": [{"code": "low_mpg", "priority": 1, "message": "slow down", "est_fuel_saving_l": 3.0}],
    }
    event = sns_event(
        [coaching], ctx.env["COACHING_TOPIC_ARN"], attrs={"severity": "info", "event_type": "fuel_coaching"}
    )
    errors = _concurrently(lambda: coaching_dispatcher.handler(event, None))
    assert errors == []
    queued = ctx.drain(ctx.env["TRAINING_QUEUE_URL"])
    assert [m["body"]["assignment_id"] for m in queued if m["body"]["assignment_id"] == coaching["coaching_id"]] == [
        coaching["coaching_id"]
    ]


def test_concurrent_copies_of_a_violation_write_one_locked_report_version(make_ctx):
    ctx = make_ctx("hos_report")
    message = {
        "violation_id": f"hv-{uuid.uuid4().hex}",
        "driver_id": "DR-000123",
        "fleet_id": "FL-001",
        "vehicle_id": "VH-000123",
        "rule": "DRIVING_11",
        "start": "2026-12-05T20:00:00Z",
        "end": "2026-12-05T21:00:00Z",
        "over_s": 3600,
        "severity": "high",
        "report_date": "2026-12-05",
    }
    event = sns_event(
        [message], ctx.env["VIOLATIONS_TOPIC_ARN"], attrs={"severity": "high", "event_type": "hos_violation"}
    )
    errors = _concurrently(lambda: hos_report_writer.handler(event, None))
    assert errors == []
    key = f"fleet_id=FL-001/date=2026-12-05/{message['violation_id']}.json"
    versions = ctx.s3.list_object_versions(Bucket=ctx.env["REPORTS_BUCKET"], Prefix=key).get("Versions", [])
    assert len(versions) == 1
