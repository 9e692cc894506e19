"""Property tests: any order, any mix of statuses, the engine answers and stays consistent."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.domain.hos import evaluate_log

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
STATUSES = ["OFF", "SB", "D", "ON"]

durations = st.lists(
    # Zero-minute steps put two statuses on one instant, the conflicting-duplicate case.
    st.tuples(st.sampled_from(STATUSES), st.integers(min_value=0, max_value=20 * 60)),
    min_size=0, max_size=60,
)
options = st.fixed_dictionaries({
    "cycle": st.sampled_from(["70/8", "60/7"]),
    "time_zone": st.sampled_from(["UTC", "America/Chicago", "America/St_Johns", "Asia/Kolkata"]),
    "exceptions": st.sets(st.sampled_from(["adverse_driving", "short_haul_150", "sixteen_hour"])).map(sorted),
})


def to_events(steps):
    moment, events = START, []
    for status, minutes in steps:
        events.append({"status": status, "at": moment.isoformat()})
        moment += timedelta(minutes=minutes)
    return events, moment


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(durations, options, st.randoms(use_true_random=False))
def test_any_order_with_duplicates_gives_the_same_answer(steps, kwargs, rnd):
    events, end = to_events(steps)
    noisy = events + rnd.sample(events, k=len(events) // 3)
    rnd.shuffle(noisy)
    assert evaluate_log(noisy, as_of=end, **kwargs) == evaluate_log(events, as_of=end, **kwargs)


@settings(max_examples=100, deadline=None)
@given(durations, options, st.sampled_from([-12, -5, 0, 5.5, 9, 14]))
def test_the_offset_a_timestamp_is_written_in_does_not_matter(steps, kwargs, offset_h):
    events, end = to_events(steps)
    shifted = timezone(timedelta(hours=offset_h))
    rewritten = [{"status": e["status"], "at": datetime.fromisoformat(e["at"]).astimezone(shifted).isoformat()}
                 for e in events]
    assert evaluate_log(rewritten, as_of=end, **kwargs) == evaluate_log(events, as_of=end, **kwargs)


@settings(max_examples=300, deadline=None)
@given(durations, options, st.integers(min_value=-600, max_value=3000))
def test_results_are_well_formed(steps, kwargs, as_of_shift_min):
    events, end = to_events(steps)
    result = evaluate_log(events, as_of=end + timedelta(minutes=as_of_shift_min), **kwargs)
    available = result.available
    assert available.drive_s >= 0 and available.window_s >= 0 and available.cycle_s >= 0
    assert available.drive_s <= min(available.window_s, available.cycle_s)
    assert available.break_due_in_s is None or 0 <= available.break_due_in_s <= 8 * 3600
    for violation in result.violations:
        assert START <= violation.start < violation.end
        assert violation.over_s > 0
        assert violation.over_s <= (violation.end - violation.start).total_seconds()
        assert violation.severity in {"nominal", "normal", "out_of_service"}


@settings(max_examples=300, deadline=None)
@given(durations, options, st.data())
def test_turning_on_duty_time_into_off_duty_never_adds_a_violation(steps, kwargs, data):
    on_duty = [index for index, (status, _) in enumerate(steps) if status == "ON"]
    if not on_duty:
        return
    index = data.draw(st.sampled_from(on_duty))
    rested = list(steps)
    rested[index] = ("OFF", steps[index][1])
    before = evaluate_log(to_events(steps)[0], as_of=to_events(steps)[1], **kwargs)
    after = evaluate_log(to_events(rested)[0], as_of=to_events(rested)[1], **kwargs)
    # A reset can split one violation into two, so compare over-limit driving time per rule.
    for rule in {v.rule for v in after.violations}:
        assert over_s(after, rule) <= over_s(before, rule), rule


def over_s(result, rule):
    family = {"WINDOW_14", "WINDOW_16"} if rule.startswith("WINDOW") else {rule}
    return sum(v.over_s for v in result.violations if v.rule in family)


@settings(max_examples=200, deadline=None)
@given(durations, options)
def test_a_longer_rest_at_the_end_never_adds_a_violation(steps, kwargs):
    # Steps of at least a minute, so the final rest is not hidden by a simultaneous status.
    events, end = to_events([(status, max(minutes, 1)) for status, minutes in steps] + [("OFF", 60)])
    later = end + timedelta(hours=40)
    before = evaluate_log(events, as_of=end, **kwargs)
    after = evaluate_log(events, as_of=later, **kwargs)
    # Resting longer can complete a sleeper-berth pair and so remove violations, never add one.
    for rule in {v.rule for v in after.violations}:
        assert over_s(after, rule) <= over_s(before, rule), rule
