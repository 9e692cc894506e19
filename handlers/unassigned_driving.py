"""Unassigned-driving events, checked by location_tracker on every fresh GPS fix (not a Lambda).

Per vehicle, Redis `ud:state:<vehicle_id>` holds the moving run (handlers.domain.unassigned), the
candidate (`pending`: the run as it was when it passed a minute, with the processing time then) and the
start of the last run already decided. A candidate is judged at the first fix of the vehicle processed
CONFIRM_AFTER_S or more later: the duty statuses recorded for the vehicle during the run
(handlers.common.vehicle_duty, written by hos_processor) decide; when none of them puts a driver in the
vehicle (D, ON, YM or PC), one `unassigned_driving` message goes to the hos-violations topic for the
fleet to assign (docs/data-model.md). Its id is fixed by (vehicle, run start) and published before the
mark `ud:done:<id>` is set, so a redelivery or a retry after a crash re-publishes the same id at worst;
later fixes of a decided run (published, or a driver was found in it) are not judged again. A vehicle
with no recorded status at all is not judged: its ELD has reported nothing yet.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from handlers.common.config import get_config
from handlers.common.idempotency import already_done, mark_done, stable_id
from handlers.common.sns import publish
from handlers.common.vehicle_duty import DRIVER_PRESENT, statuses_during
from handlers.domain import unassigned
from handlers.domain.telemetry import epoch_ms_to_iso

EVENT_TYPE = "unassigned_driving"
STATE_TTL_S = 86_400
# Processing time a qualifying run waits before it is judged: the HOS stream is consumed apart from the
# GPS stream, and a duty-status change delivered a little later than the fixes must still count. In real
# time a run is over a minute long anyway; a simulator sending hours per minute needs the wait.
CONFIRM_AFTER_S = 10
SOURCE = "49 CFR 395 subpart B, Appendix A, 4.6.1.5"


def check_fix(r: redis.Redis, record: dict, wall_ms: int | None = None, state_store: Any = None) -> int:
    """Advance the vehicle's moving run with this fix; publish a run once if it is unassigned.

    One GET per fix (a parked vehicle with nothing pending writes nothing), one SET when the state changed;
    both through `state_store` when given (a handlers.common.batch_redis.BatchRedis: the batch's reads and
    writes in two round trips), else on `r`. Marks and duty statuses are always read and written on `r`."""
    wall_ms = int(time.time() * 1000) if wall_ms is None else wall_ms
    store = r if state_store is None else state_store
    key = state_key(record["vehicle_id"])
    raw = store.get(key)
    state = json.loads(raw) if raw else {}
    run = unassigned.MovingRun(**state["run"]) if state.get("run") else None
    new_run = unassigned.step(run, record["ts_ms"], record.get("speed_kph"))
    new_state = {"run": _as_dict(new_run), "pending": state.get("pending"), "decided": state.get("decided")}
    if (
        new_run is not None
        and new_run.qualifies
        and new_state["decided"] != new_run.since_ms
        and new_state["pending"] is None
    ):
        # Judged CONFIRM_AFTER_S of processing time later: the HOS stream may lag the GPS stream.
        new_state["pending"] = {**_as_dict(new_run), "wall_ms": wall_ms}
    published = 0
    pending = new_state["pending"]
    if pending is not None and wall_ms - pending["wall_ms"] >= CONFIRM_AFTER_S * 1000:
        candidate = unassigned.MovingRun(pending["since_ms"], pending["last_ms"])
        published, decided = _judge(r, record, candidate)
        new_state["pending"] = None  # undecided (nothing recorded yet): the run's next fix makes a new candidate
        if decided:
            new_state["decided"] = candidate.since_ms
    if new_state["run"] is None and new_state["pending"] is None:
        new_state["decided"] = None  # the run is over and nothing waits: nothing to keep
    if new_state != {"run": state.get("run"), "pending": state.get("pending"), "decided": state.get("decided")}:
        if any(value is not None for value in new_state.values()):
            store.set(key, json.dumps(new_state), ex=STATE_TTL_S)
        else:
            store.delete(key)
    return published


def state_key(vehicle_id: str) -> str:
    return f"ud:state:{vehicle_id}"


def _as_dict(run: unassigned.MovingRun | None) -> dict | None:
    return None if run is None else {"since_ms": run.since_ms, "last_ms": run.last_ms}


def _mark(record: dict, run: unassigned.MovingRun) -> str:
    return f"ud:done:{_event_id(record, run)}"


def _event_id(record: dict, run: unassigned.MovingRun) -> str:
    return f"ud-{stable_id(record['vehicle_id'], run.since_ms)}"


def _judge(r: redis.Redis, record: dict, run: unassigned.MovingRun) -> tuple[int, bool]:
    """(messages published, whether the run is decided)."""
    mark = _mark(record, run)
    if already_done(r, mark):
        return 0, True
    statuses = statuses_during(r, record["vehicle_id"], run.since_ms, run.last_ms)
    if statuses is None:
        return 0, False  # nothing recorded for the vehicle yet: judged again at a later fix
    if any(status in DRIVER_PRESENT for status, _ in statuses):
        return 0, True  # a driver was in it
    message = {
        "event_id": _event_id(record, run),
        "event_type": EVENT_TYPE,
        "vehicle_id": record["vehicle_id"],
        "fleet_id": record["fleet_id"],
        "start": epoch_ms_to_iso(run.since_ms),
        "moving_until": epoch_ms_to_iso(run.last_ms),
        "moving_s": (run.last_ms - run.since_ms) // 1000,
        "detected_at": record["ts"],
        "lat": record["lat"],
        "lon": record["lon"],
        "drivers_off_duty": sorted({driver for _, driver in statuses}),
        "severity": "warning",
        "source": SOURCE,
    }
    publish(get_config().require("violations_topic_arn"), message, "warning", EVENT_TYPE)
    mark_done(r, mark)
    return 1, True
