"""The outcome checker as a pure function over observed messages."""

from scenario_runner import scenario
from scenario_runner.outcomes import Message, Observed, check, passed


def _hos(rule, vehicle):
    return Message(
        {"driver_id": "DR-1", "vehicle_id": vehicle, "violations": [{"rule": rule}]},
        {"severity": "high", "event_type": "hos_violation"},
    )


HOS_EXPECT = scenario.load("hos-violation").expect


def test_hos_violation_passes_when_all_four_rules_arrive():
    observed = Observed(
        topics={
            "hos-violations": [
                _hos("DRIVING_11", "VH-000001"),
                _hos("WINDOW_14", "VH-000002"),
                _hos("BREAK_30", "VH-000003"),
                _hos("CYCLE_70_8", "VH-000004"),
            ]
        }
    )
    outcomes = check(HOS_EXPECT, observed)
    assert passed(outcomes), [o for o in outcomes if not o.ok]


def test_a_missing_rule_fails_and_names_it():
    observed = Observed(
        topics={
            "hos-violations": [
                _hos("DRIVING_11", "VH-000001"),
                _hos("WINDOW_14", "VH-000002"),
                _hos("BREAK_30", "VH-000003"),
                _hos("BREAK_30", "VH-000004"),
            ]
        }
    )
    failures = [o for o in check(HOS_EXPECT, observed) if not o.ok]
    assert [o.name for o in failures] == ["hos-violations: rules"]
    assert "CYCLE_70_8" in failures[0].detail


def test_silent_topics_and_unexpected_topics_fail():
    alert = Message({"vehicle_id": "VH-000009", "rule": "threshold:coolant_temp_c"}, {"severity": "high"})
    observed = Observed(topics={"vehicle-alerts": [alert], "ops-alarms": [alert], "compliance-summary": [alert]})
    failures = {o.name for o in check(scenario.load("mixed-fleet").expect, observed) if not o.ok}
    # vehicle-alerts is listed as silent; ops-alarms is not mentioned at all; summary is allowed
    assert failures == {"vehicle-alerts: silent", "ops-alarms: nothing unexpected"}


def test_severity_filter_metric_and_count_bounds():
    expect = {
        "topics": {"vehicle-alerts": {"severity": ["high", "critical"], "min": 2, "max": 3, "metrics": ["coolant_*"]}}
    }
    warning = Message({"metric": "coolant_temp_c"}, {"severity": "warning"})
    high = Message({"metric": "coolant_temp_c"}, {"severity": "high"})
    assert not passed(check(expect, Observed(topics={"vehicle-alerts": [warning, warning, high]})))
    assert passed(check(expect, Observed(topics={"vehicle-alerts": [high, high, warning]})))
    assert not passed(check(expect, Observed(topics={"vehicle-alerts": [high] * 4})))


def test_geofence_event_types_from_body_or_attributes():
    expect = {"topics": {"geofence-alerts": {"event_types": ["exit", "enter", "dwell"]}}}
    messages = [Message({"event_type": "exit"}), Message({}, {"event_type": "enter"}), Message({"event": "dwell"})]
    assert passed(check(expect, Observed(topics={"geofence-alerts": messages})))
    assert not passed(check(expect, Observed(topics={"geofence-alerts": messages[:2]})))


def test_counts_from_tables_buckets_and_sink():
    expect = {
        "dynamodb": {"predicted_failures": {"min": 1}},
        "s3": {"reports/": 1},
        "sink": {"failed": {"max": 0}},
        "aurora": {"work_orders": {"min": 1}},
    }
    good = Observed(
        dynamodb={"predicted_failures": 2}, s3={"reports/": 1}, sink={"failed": 0}, aurora={"work_orders": 1}
    )
    assert passed(check(expect, good))
    bad = check(expect, Observed(dynamodb={"predicted_failures": 0}, sink={"failed": 3}))
    assert {o.name for o in bad if not o.ok} == {
        "dynamodb.predicted_failures",
        "s3.reports/",
        "sink.failed",
        "aurora.work_orders",
    }


def test_strict_false_ignores_other_topics():
    noise = Observed(topics={"vehicle-alerts": [Message({})]}, sink={"failed": 0})
    assert passed(check(scenario.load("fleet-234k").expect, noise))


def test_dead_letters_fail_unless_the_scenario_expects_them():
    counts = {"processor-dlq": 2, "maintenance-dlq": 0, "hos-processor-dlq": 1}
    failures = [
        o for o in check({"dead_letters": {"processor-dlq": {"min": 1}}}, Observed(dead_letters=counts)) if not o.ok
    ]
    assert [(o.name, o.detail) for o in failures] == [
        ("dead-letter queues: nothing unexpected", "hos-processor-dlq: 1")
    ]
    assert passed(check({}, Observed(dead_letters={"processor-dlq": 0})))
    assert not passed(
        check({"dead_letters": {"processor-dlq": {"min": 1}}}, Observed(dead_letters={"processor-dlq": 0}))
    )


def test_dead_letters_not_looked_at_are_not_judged():
    assert passed(check({}, Observed()))
