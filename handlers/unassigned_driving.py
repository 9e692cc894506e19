"""Unassigned-driving events, checked by location_tracker on every fresh GPS fix (not a Lambda).

The vehicle's moving run (handlers.domain.unassigned) lives in Redis `ud:run:<vehicle_id>`; once it
has lasted more than a minute it becomes the vehicle's candidate `ud:pending:<vehicle_id>` (the run as
it was then), judged at the first fix of the vehicle processed CONFIRM_AFTER_S or more later: the duty
statuses recorded for the vehicle during the run (handlers.common.vehicle_duty, written by
hos_processor) decide; when none of them puts a driver in the vehicle (D, ON, YM or PC), one
`unassigned_driving` message goes to the hos-violations topic for the fleet to assign
(docs/data-model.md). Its id is fixed by (vehicle, run start), published before
the mark `ud:done:<id>` is set, so a redelivery or a retry after a crash re-publishes the same id at
worst and later fixes of the same run publish nothing (a run found assigned is marked decided too).
A vehicle with no recorded status at all is not judged: its ELD has reported nothing yet.
"""
from __future__ import annotations

import json
import time

import redis

from handlers.common.config import get_config
from handlers.common.idempotency import already_done, mark_done, stable_id
from handlers.common.sns import publish
from handlers.common.vehicle_duty import DRIVER_PRESENT, statuses_during
from handlers.domain import unassigned
from handlers.domain.telemetry import epoch_ms_to_iso

EVENT_TYPE = "unassigned_driving"
RUN_TTL_S = 86_400
# Processing time a qualifying run waits before it is judged: the HOS stream is consumed apart from the
# GPS stream, and a duty-status change delivered a little later than the fixes must still count. In real
# time a run is over a minute long anyway; a simulator sending hours per minute needs the wait.
CONFIRM_AFTER_S = 10
SOURCE = "49 CFR 395 subpart B, Appendix A, 4.6.1.5"


def check_fix(r: redis.Redis, record: dict, wall_ms: int | None = None) -> int:
    """Advance the vehicle's moving run with this fix; publish a run once if it is unassigned."""
    wall_ms = int(time.time() * 1000) if wall_ms is None else wall_ms
    key = f"ud:run:{record['vehicle_id']}"
    raw = r.get(key)
    run = unassigned.MovingRun(**json.loads(raw)) if raw else None
    new_run = unassigned.step(run, record["ts_ms"], record.get("speed_kph"))
    if new_run is None and run is not None:
        r.delete(key)
    elif new_run is not None and new_run != run:
        r.set(key, json.dumps({"since_ms": new_run.since_ms, "last_ms": new_run.last_ms}), ex=RUN_TTL_S)
    pending_key = f"ud:pending:{record['vehicle_id']}"
    if new_run is not None and new_run.qualifies and not already_done(r, _mark(record, new_run)):
        # Held until CONFIRM_AFTER_S of processing time has passed (the HOS stream may lag the GPS stream);
        # the same run keeps its first candidate.
        r.set(pending_key, json.dumps({"since_ms": new_run.since_ms, "last_ms": new_run.last_ms,
                                       "wall_ms": wall_ms}), ex=RUN_TTL_S, nx=True)
    raw_pending = r.get(pending_key)
    if not raw_pending:
        return 0
    pending = json.loads(raw_pending)
    if wall_ms - pending["wall_ms"] < CONFIRM_AFTER_S * 1000:
        return 0
    candidate = unassigned.MovingRun(pending["since_ms"], pending["last_ms"])
    published = _publish_if_unassigned(r, record, candidate)
    r.delete(pending_key)
    return published


def _mark(record: dict, run: unassigned.MovingRun) -> str:
    return f"ud:done:{_event_id(record, run)}"


def _event_id(record: dict, run: unassigned.MovingRun) -> str:
    return f"ud-{stable_id(record['vehicle_id'], run.since_ms)}"


def _publish_if_unassigned(r: redis.Redis, record: dict, run: unassigned.MovingRun) -> int:
    mark = _mark(record, run)
    if already_done(r, mark):
        return 0
    statuses = statuses_during(r, record["vehicle_id"], run.since_ms, run.last_ms)
    if statuses is None:
        return 0  # nothing recorded for the vehicle yet: judged again at a later fix
    if any(status in DRIVER_PRESENT for status, _ in statuses):
        mark_done(r, mark)  # a driver was in it: the run is decided, its later fixes are not judged again
        return 0
    message = {
        "event_id": _event_id(record, run), "event_type": EVENT_TYPE, "vehicle_id": record["vehicle_id"],
        "fleet_id": record["fleet_id"], "start": epoch_ms_to_iso(run.since_ms), "moving_until": epoch_ms_to_iso(
            run.last_ms), "moving_s": (run.last_ms - run.since_ms) // 1000, "detected_at": record["ts"],
        "lat": record["lat"], "lon": record["lon"],
        "drivers_off_duty": sorted({driver for _, driver in statuses}), "severity": "warning", "source": SOURCE,
    }
    publish(get_config().require("violations_topic_arn"), message, "warning", EVENT_TYPE)
    mark_done(r, mark)
    return 1
