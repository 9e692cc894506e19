"""Property tests for the additions of issue 21: every rule set answers any log, well formed and order-free;
PC and YM are exactly OFF and ON; an edit gives the answer of the log it produces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.domain.hos import evaluate_log

START = datetime(2024, 3, 1, tzinfo=UTC)
RULESETS = {
    "us-property": ["60/7", "70/8"],
    "us-passenger": ["60/7", "70/8"],
    "us-texas-intrastate": ["70/7"],
    "us-california-intrastate": ["80/8"],
    "canada-south": ["cycle-1", "cycle-2"],
}
steps = st.lists(
    st.tuples(st.sampled_from(["OFF", "SB", "D", "ON", "PC", "YM"]), st.integers(min_value=0, max_value=20 * 60)),
    max_size=50,
)
choice = st.sampled_from(sorted(RULESETS)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(RULESETS[name]))
)
zones = st.sampled_from(["UTC", "America/Chicago", "America/Toronto"])


def to_events(plan):
    moment, events = START, []
    for status, minutes in plan:
        events.append({"status": status, "at": moment.isoformat()})
        moment += timedelta(minutes=minutes)
    return events, moment


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, choice, zones, st.randoms(use_true_random=False))
def test_every_rule_set_answers_in_any_order(plan, ruleset_cycle, zone, rnd):
    ruleset, cycle = ruleset_cycle
    events, end = to_events(plan)
    result = evaluate_log(events, ruleset=ruleset, cycle=cycle, time_zone=zone, as_of=end)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert evaluate_log(shuffled, ruleset=ruleset, cycle=cycle, time_zone=zone, as_of=end) == result
    available = result.available
    assert 0 <= available.drive_s and 0 <= available.window_s and 0 <= available.cycle_s
    for violation in result.violations:
        assert violation.start <= violation.end and violation.over_s > 0


@settings(max_examples=200, deadline=None)
@given(steps, choice)
def test_pc_is_off_and_ym_is_on(plan, ruleset_cycle):
    ruleset, cycle = ruleset_cycle
    events, end = to_events(plan)
    plain = [{**e, "status": {"PC": "OFF", "YM": "ON"}.get(e["status"], e["status"])} for e in events]
    assert evaluate_log(events, ruleset=ruleset, cycle=cycle, as_of=end) == evaluate_log(
        plain, ruleset=ruleset, cycle=cycle, as_of=end
    )


@settings(max_examples=150, deadline=None)
@given(steps.filter(bool), st.data())
def test_an_edit_answers_as_the_log_it_produces(plan, data):
    events, end = to_events(plan)
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    status = data.draw(st.sampled_from(["OFF", "SB", "D", "ON"]))
    edit = {"status": status, "at": events[index]["at"], "origin": "edit", "annotation": "corrected status"}
    edited = evaluate_log(events + [edit], as_of=end)
    produced = [e for e in events if e["at"] != edit["at"]] + [{"status": status, "at": edit["at"]}]
    expected = evaluate_log(produced, as_of=end)
    assert (edited.violations, edited.available) == (expected.violations, expected.available)
    assert edited.edits[0]["status"] == status
