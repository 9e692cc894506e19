"""Property tests: any order, any mix of statuses, the engine answers and stays consistent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handlers.domain.hos import HosRules, evaluate_log
from handlers.domain.hos.timeline import build_timeline, read_events

START = datetime(2024, 3, 1, tzinfo=UTC)
STATUSES = ["OFF", "SB", "D", "ON"]

durations = st.lists(
    # Zero-minute steps put two statuses on one instant, the conflicting-duplicate case.
    st.tuples(st.sampled_from(STATUSES), st.integers(min_value=0, max_value=20 * 60)),
    min_size=0,
    max_size=60,
)
options = st.fixed_dictionaries(
    {
        "cycle": st.sampled_from(["70/8", "60/7"]),
        "time_zone": st.sampled_from(["UTC", "America/Chicago", "America/St_Johns", "Asia/Kolkata"]),
        "exceptions": st.sets(st.sampled_from(["adverse_driving", "short_haul_150", "sixteen_hour"])).map(sorted),
    }
)


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
    rewritten = [
        {"status": e["status"], "at": datetime.fromisoformat(e["at"]).astimezone(shifted).isoformat()} for e in events
    ]
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


# Minimal counterexamples hypothesis found to the unqualified property (see the two split-sleeper
# cases in the body), plus the one that exposed the pairing-choice bug fixed in duty_window.
@example(
    steps=[("OFF", 180), ("D", 662), ("ON", 600), ("D", 1), ("SB", 420)],
    kwargs={"cycle": "70/8", "time_zone": "UTC", "exceptions": []},
    data=None,
).via("regression")
@example(
    steps=[("OFF", 181), ("ON", 419), ("D", 1), ("SB", 420), ("D", 420)],
    kwargs={"cycle": "70/8", "time_zone": "UTC", "exceptions": []},
    data=None,
).via("regression")
@example(
    steps=[("SB", 481), ("ON", 119), ("D", 1), ("OFF", 120), ("D", 720)],
    kwargs={"cycle": "70/8", "time_zone": "UTC", "exceptions": []},
    data=None,
).via("regression")
@example(
    steps=[
        ("OFF", 120),
        ("ON", 480),
        ("ON", 26),
        ("OFF", 119),
        ("D", 840),
        ("SB", 480),
        ("D", 36),
        ("OFF", 120),
        ("D", 625),
    ],
    kwargs={"cycle": "70/8", "time_zone": "UTC", "exceptions": []},
    data=None,
).via("regression")
@example(
    steps=[("ON", 178), ("D", 662), ("OFF", 176), ("D", 1), ("SB", 424), ("D", 1)],
    kwargs={"cycle": "70/8", "time_zone": "UTC", "exceptions": []},
    data=None,
).via("regression")
@settings(max_examples=300, deadline=None)
@given(durations, options, st.data())
def test_turning_on_duty_time_into_off_duty_never_adds_a_violation(steps, kwargs, data):
    on_duty = [index for index, (status, _) in enumerate(steps) if status == "ON"]
    if not on_duty:
        return
    # The explicit examples above turn their first ON step into OFF.
    index = on_duty[0] if data is None else data.draw(st.sampled_from(on_duty))
    rested = list(steps)
    rested[index] = ("OFF", steps[index][1])
    before = evaluate_log(to_events(steps)[0], as_of=to_events(steps)[1], **kwargs)
    after = evaluate_log(to_events(rested)[0], as_of=to_events(rested)[1], **kwargs)
    rules = {v.rule for v in after.violations}
    if forfeits_a_split_sleeper_pause(steps, rested):
        # The extra rest completes 10 consecutive hours off duty (395.3(a)(1)), which resets the
        # duty period instead of pausing it: FMCSA's 2020 split-sleeper FAQ says a 10-hour off-duty
        # period cannot be paired with a 7-hour berth period, so a short break that the original log
        # paired with a later 7-hour berth stay is no longer excluded from the 14-hour period
        # (395.1(g)(1)(ii)(D)) and the 14-hour (or 16-hour) window can end earlier. Only the window
        # depends on that exclusion; every other limit must still not get worse.
        rules -= {"WINDOW_14", "WINDOW_16"}
    elif adds_a_split_sleeper_candidate(steps, rested):
        # The extra rest is a new 2-hour break that can pair with a 7-hour berth stay
        # (395.1(g)(1)(ii)(B)); the pairing chosen (FMCSA 2020 FAQ, question 4) can then trade a
        # minute past the 14-hour window for a minute over 11 hours of driving. Both limits are
        # recalculated from the same pair, so their over-limit driving together must not grow.
        def driving_and_window(result):
            return over_s(result, "DRIVING_11") + over_s(result, "WINDOW_14")  # WINDOW_16 included

        assert driving_and_window(after) <= driving_and_window(before), "DRIVING_11+WINDOW"
        rules -= {"DRIVING_11", "WINDOW_14", "WINDOW_16"}
    # A reset can split one violation into two, so compare over-limit driving time per rule.
    for rule in rules:
        assert over_s(after, rule) <= over_s(before, rule), rule


def forfeits_a_split_sleeper_pause(steps, rested):
    """The change creates a new 10-hour rest in a log that holds a 7-hour sleeper-berth stay."""
    hos = HosRules()
    original, changed = timeline_of(steps), timeline_of(rested)
    resets_before = {(r.start, r.end) for r in original.rest_runs if r.length >= hos.reset_rest_s}
    resets_after = {(r.start, r.end) for r in changed.rest_runs if r.length >= hos.reset_rest_s}
    has_long_berth_stay = any(r.longest_sleeper_s >= hos.split_sleeper_long_s for r in original.rest_runs)
    return bool(resets_after - resets_before) and has_long_berth_stay


def adds_a_split_sleeper_candidate(steps, rested):
    """The change creates a new rest of 2 to 10 hours in a log that holds a 7-hour berth stay."""
    hos = HosRules()
    original, changed = timeline_of(steps), timeline_of(rested)
    old_rests = {(r.start, r.end) for r in original.rest_runs}
    new_candidates = [
        r
        for r in changed.rest_runs
        if (r.start, r.end) not in old_rests and hos.split_short_s <= r.length < hos.reset_rest_s
    ]
    has_long_berth_stay = any(r.longest_sleeper_s >= hos.split_sleeper_long_s for r in original.rest_runs)
    return bool(new_candidates) and has_long_berth_stay


def timeline_of(steps):
    events, end = to_events(steps)
    return build_timeline(read_events(events), int(end.timestamp()))


def evaluate_steps(steps):
    events, end = to_events(steps)
    return evaluate_log(events, as_of=end)


def violations_of(result):
    return [(v.rule, v.start - START, v.over_s) for v in result.violations if v.rule != "BREAK_30"]


def test_a_ten_hour_off_duty_rest_forfeits_the_pause_of_a_break_paired_later():
    # Regression (hypothesis' minimal counterexample): 3 h off, 11 h 02 driving, 10 h on duty,
    # 1 min driving, 7 h in the berth. The 3-hour break pairs with the 7-hour berth stay, so it is
    # excluded from the 14-hour period (395.1(g)(1)(ii)(D)): only the last minute is past the window.
    worked = evaluate_steps([("OFF", 180), ("D", 662), ("ON", 600), ("D", 1), ("SB", 420)])
    assert violations_of(worked) == [
        ("DRIVING_11", timedelta(hours=14), 3 * 60),
        ("WINDOW_14", timedelta(hours=24, minutes=2), 60),
    ]
    # The same 10 hours off duty instead are a full rest (395.3(a)(1)); FMCSA's 2020 split-sleeper
    # FAQ: a 10-hour off-duty period cannot be paired, and without 7 berth hours it cannot complete
    # the pair either. The 3-hour break counts in the window again (from the first event, as the
    # log does not show what came before), so the 14-hour window is exceeded by 2 minutes.
    rested = evaluate_steps([("OFF", 180), ("D", 662), ("OFF", 600), ("D", 1), ("SB", 420)])
    assert violations_of(rested) == [
        ("DRIVING_11", timedelta(hours=14), 2 * 60),
        ("WINDOW_14", timedelta(hours=14), 2 * 60),
    ]


def test_a_ten_hour_rest_does_not_pair_with_a_later_berth_stay():
    # Regression (hypothesis' counterexample): FMCSA 2020 FAQ, "May a 10-consecutive hour off-duty
    # period be paired with a subsequent qualifying 7+-consecutive hour sleeper berth period? No."
    # 3 h 01 off + 7 h berth pair, so the berth stay is out of the window recalculated from the end
    # of the break; after 10 h off the berth stay counts and the window ends 1 minute too early.
    tail = [("D", 1), ("SB", 420), ("D", 420)]
    assert violations_of(evaluate_steps([("OFF", 181), ("ON", 419)] + tail)) == []
    assert violations_of(evaluate_steps([("OFF", 181), ("OFF", 419)] + tail)) == [
        ("WINDOW_14", timedelta(hours=24), 60),
    ]


def test_a_ten_hour_berth_rest_at_the_log_start_does_not_pair_with_a_later_break():
    # Regression (hypothesis' counterexample), the same FAQ with the berth stay first: 8 h 01 in the
    # berth + 2 h off pair (window recalculated from 8 h 01, the 2 h excluded); when the 1 h 59 on
    # duty after the berth is off duty too, the 10-hour rest resets and the 2 h break counts.
    tail = [("D", 1), ("OFF", 120), ("D", 720)]
    split = evaluate_steps([("SB", 481), ("ON", 119)] + tail)
    assert violations_of(split) == [("DRIVING_11", timedelta(hours=23), 3660)]
    reset = evaluate_steps([("SB", 481), ("OFF", 119)] + tail)
    assert violations_of(reset) == [
        ("DRIVING_11", timedelta(hours=23), 3660),
        ("WINDOW_14", timedelta(hours=24), 60),
    ]


def test_a_pairing_is_not_rejected_for_splitting_a_violation_into_calculation_periods():
    # Regression (hypothesis' counterexample to the DRIVING_11 part of the property): after a 10-hour
    # rest the driver drives 14 h, 8 h berth, 36 min, 2 h off, 10 h 25. Pairing the berth stay with
    # the 2-hour break (395.1(g)(1)(ii)) leaves 3 h 37 over 11 hours and 3 h 01 past the window; not
    # pairing leaves 14 h 01 and 13 h 26. The pairing used to lose because its last minute over 11 h
    # falls in a second calculation period and was counted as one more (nominal) violation.
    result = evaluate_steps(
        [("OFF", 600), ("ON", 26), ("OFF", 119), ("D", 840), ("SB", 480), ("D", 36), ("OFF", 120), ("D", 625)]
    )
    assert over_s(result, "DRIVING_11") == 3 * 3600 + 37 * 60
    assert over_s(result, "WINDOW_14") == 3 * 3600 + 60


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
