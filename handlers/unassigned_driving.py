"""Unassigned-driving events, checked by location_tracker on every fresh GPS fix (not a Lambda).

The vehicle's moving run (handlers.domain.unassigned) lives in Redis `ud:run:<vehicle_id>`; once it
has lasted more than a minute, the duty statuses recorded for the vehicle during the run
(handlers.common.vehicle_duty, written by hos_processor) decide: when none of them puts a driver in
the vehicle (D, ON, YM or PC), one `unassigned_driving` message goes to the hos-violations topic for
the fleet to assign (docs/data-model.md). Its id is fixed by (vehicle, run start), published before
the mark `ud:done:<id>` is set, so a redelivery or a retry after a crash re-publishes the same id at
worst and later fixes of the same run publish nothing. A vehicle with no recorded status at all is
not judged: its ELD has reported nothing yet, and the HOS stream may simply lag the GPS stream.
"""
from __future__ import annotations

import json

import redis

from handlers.common.config import get_config
from handlers.common.idempotency import already_done, mark_done, stable_id
from handlers.common.sns import publish
from handlers.common.vehicle_duty import DRIVER_PRESENT, statuses_during
from handlers.domain import unassigned
from handlers.domain.telemetry import epoch_ms_to_iso

EVENT_TYPE = "unassigned_driving"
RUN_TTL_S = 86_400
SOURCE = "49 CFR 395 subpart B, Appendix A, 4.6.1.5"


def check_fix(r: redis.Redis, record: dict) -> int:
    """Advance the vehicle's moving run with this fix; publish the run once if it is unassigned."""
    key = f"ud:run:{record['vehicle_id']}"
    raw = r.get(key)
    run = unassigned.MovingRun(**json.loads(raw)) if raw else None
    new_run = unassigned.step(run, record["ts_ms"], record.get("speed_kph"))
    if new_run is None:
        if run is not None:
            r.delete(key)
        return 0
    if new_run != run:
        r.set(key, json.dumps({"since_ms": new_run.since_ms, "last_ms": new_run.last_ms}), ex=RUN_TTL_S)
    if not new_run.qualifies:
        return 0
    event_id = f"ud-{stable_id(record['vehicle_id'], new_run.since_ms)}"
    mark = f"ud:done:{event_id}"
    if already_done(r, mark):
        return 0
    statuses = statuses_during(r, record["vehicle_id"], new_run.since_ms, new_run.last_ms)
    if statuses is None or any(status in DRIVER_PRESENT for status, _ in statuses):
        return 0
    message = {
        "event_id": event_id, "event_type": EVENT_TYPE, "vehicle_id": record["vehicle_id"],
        "fleet_id": record["fleet_id"], "start": epoch_ms_to_iso(new_run.since_ms), "detected_at": record["ts"],
        "moving_s": (new_run.last_ms - new_run.since_ms) // 1000, "lat": record["lat"], "lon": record["lon"],
        "speed_kph": record.get("speed_kph"), "drivers_off_duty": sorted({driver for _, driver in statuses}),
        "severity": "warning", "source": SOURCE,
    }
    publish(get_config().require("violations_topic_arn"), message, "warning", EVENT_TYPE)
    mark_done(r, mark)
    return 1
