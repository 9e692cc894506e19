import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain.geofence import Geofence, GeofenceIndex, GeofenceTracker, step

MINUTE = 60_000
T0 = 1_795_629_600_000
CENTER = (41.5250, -88.0817)
M_PER_DEG_LAT = 111_195


def yard(alert_on=("enter", "exit", "dwell"), dwell_s=600):
    return Geofence("gf-yard", "FL-001", "yard", "circle", *CENTER, 300.0, alert_on=alert_on, dwell_s=dwell_s)


def at(metres_north):
    return CENTER[0] + metres_north / M_PER_DEG_LAT, CENTER[1]


def drive(tracker, distances, start=T0, every=30_000, vehicle="VH-1"):
    events = []
    for n, metres in enumerate(distances):
        events += tracker.update(vehicle, *at(metres), start + n * every)
    return events


def test_enter_needs_two_fixes_and_exit_two_fixes_beyond_margin():
    tracker = GeofenceTracker(GeofenceIndex([yard()]))
    events = drive(tracker, [1000, 500, 200, 100, 0, 0, 400, 500, 600])
    assert [(e.event_type, e.ts_ms) for e in events] == [("enter", T0 + 3 * 30_000), ("exit", T0 + 7 * 30_000)]
    enter, leave = events
    assert enter.entered_ms == T0 + 2 * 30_000
    assert leave.dwell_s == (T0 + 6 * 30_000 - enter.entered_ms) // 1000


def test_idling_on_the_boundary_does_not_flap():
    tracker = GeofenceTracker(GeofenceIndex([yard()]))
    rng = random.Random(4)
    # GPS noise +-30 m around the 300 m boundary for two hours, after a clean entry.
    noisy = [0, 0] + [300 + rng.uniform(-30, 30) for _ in range(240)]
    events = drive(tracker, noisy)
    assert [e.event_type for e in events] == ["enter", "dwell"]


def test_single_stray_fix_does_not_enter_or_exit():
    tracker = GeofenceTracker(GeofenceIndex([yard()]))
    assert drive(tracker, [1000, 0, 1000, 1000]) == []
    tracker2 = GeofenceTracker(GeofenceIndex([yard()]))
    events = drive(tracker2, [0, 0, 1000, 0, 0])
    assert [e.event_type for e in events] == ["enter"]


def test_dwell_fires_once_after_dwell_s():
    tracker = GeofenceTracker(GeofenceIndex([yard(dwell_s=600)]))
    events = drive(tracker, [0] * 40)  # 20 minutes inside at 30 s fixes
    kinds = [e.event_type for e in events]
    assert kinds == ["enter", "dwell"]
    dwell = events[1]
    assert dwell.dwell_s >= 600 and dwell.ts_ms - dwell.entered_ms == 600_000


def test_alert_on_filters_events_but_not_state():
    tracker = GeofenceTracker(GeofenceIndex([yard(alert_on=("exit",))]))
    events = drive(tracker, [0, 0, 0, 1000, 1000])
    assert [e.event_type for e in events] == ["exit"]


def test_inside_lists_vehicles_and_state_is_json():
    tracker = GeofenceTracker(GeofenceIndex([yard()]))
    drive(tracker, [0, 0], vehicle="VH-1")
    drive(tracker, [0], vehicle="VH-2")
    drive(tracker, [5000, 5000], vehicle="VH-3")
    assert tracker.inside("gf-yard") == ["VH-1"]
    state = tracker.state("VH-1")
    assert json.loads(json.dumps(state)) == state
    assert tracker.state("VH-3") == {"last_ts_ms": T0 + 30_000, "fences": {}}


def test_step_ignores_stale_and_duplicate_fixes():
    fences = {"gf-yard": yard()}
    events, state = step(None, ["gf-yard"], T0, fences)
    events, state = step(state, ["gf-yard"], T0 + 30_000, fences)
    assert [e.event_type for e in events] == ["enter"]
    again, same = step(state, ["gf-yard"], T0 + 30_000, fences)
    assert again == [] and same == state
    stale, same = step(state, [], T0, fences)
    assert stale == [] and same == state


def test_step_without_near_ids_has_no_margin_and_removed_fence_is_forgotten():
    fences = {"gf-yard": yard()}
    _, state = step(None, ["gf-yard"], T0, fences, enter_fixes=1)
    events, state = step(state, [], T0 + 1, fences, exit_fixes=1)
    assert [e.event_type for e in events] == ["exit"]
    _, state = step(None, ["gf-yard"], T0, fences, enter_fixes=1)
    events, state = step(state, [], T0 + 1, {}, exit_fixes=1)
    assert events == [] and state["fences"] == {}


def test_step_accepts_garbage_state():
    events, state = step({"fences": "x", "last_ts_ms": "y"}, ["gf-yard"], T0, {"gf-yard": yard()}, enter_fixes=1)
    assert [e.event_type for e in events] == ["enter"]


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.lists(st.floats(min_value=0, max_value=1000), min_size=1, max_size=80))
def test_events_alternate_and_balance(path):
    """Whatever the path: enters and exits alternate starting with enter, dwell only while in."""
    tracker = GeofenceTracker(GeofenceIndex([yard(dwell_s=60)]))
    inside = False
    dwells_this_visit = 0
    for event in drive(tracker, path):
        if event.event_type == "enter":
            assert not inside
            inside, dwells_this_visit = True, 0
        elif event.event_type == "exit":
            assert inside
            inside = False
        else:
            assert inside and dwells_this_visit == 0
            dwells_this_visit += 1
    assert tracker.inside("gf-yard") == (["VH-1"] if inside else [])


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["in", "streak", "entered_ms", "pending_ms", "dwell_fired"]),
        st.none() | st.booleans() | st.integers(min_value=-5, max_value=T0) | st.text(max_size=3),
    )
)
def test_corrupt_state_entries_restart_tracking(entry):
    fences = {"gf-yard": yard()}
    for inside in ([], ["gf-yard"]):
        events, state = step({"last_ts_ms": T0 - 1, "fences": {"gf-yard": entry}}, inside, T0, fences)
        assert all(e.fence_id == "gf-yard" for e in events)
        assert set(state) == {"last_ts_ms", "fences"}
