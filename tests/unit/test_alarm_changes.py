"""The run's view of alarm notifications (scenario_runner.alarms) and the IteratorAge the runtime
derives from a stream batch (harness.runtime.metrics)."""

from __future__ import annotations

from harness.runtime.metrics import iterator_age_ms
from scenario_runner import alarms
from scenario_runner.outcomes import Message


def notification(name: str, old: str, new: str, at: float) -> Message:
    body = {
        "AlarmName": name,
        "OldStateValue": old,
        "NewStateValue": new,
        "NewStateReason": "r",
        "StateChangeTime": "t",
    }
    return Message(body, {}, at)


def test_split_takes_alarm_notifications_out_of_the_topic_messages():
    other = Message({"hello": 1}, {}, 0.5)
    topics = {
        "ops-alarms": [notification("b", "ALARM", "OK", 2.0), other, notification("a", "OK", "ALARM", 1.0)],
        "vehicle-alerts": [Message({"x": 1}, {}, 0.0)],
    }
    kept, changes = alarms.split(topics)
    assert kept["ops-alarms"] == [other] and kept["vehicle-alerts"] == topics["vehicle-alerts"]
    assert [(c["alarm"], c["old"], c["new"]) for c in changes] == [("a", "OK", "ALARM"), ("b", "ALARM", "OK")]


def test_an_unexpected_alarm_is_a_miss_and_a_recovery_is_not():
    fired = [alarms.change_of(notification("fleettap-dev-dot-reporting-failed", "OK", "ALARM", 1.0))]
    recovered = [alarms.change_of(notification("fleettap-dev-redis-memory", "ALARM", "OK", 1.0))]
    assert not alarms.outcome({}, fired).ok
    assert alarms.outcome({}, recovered).ok
    assert alarms.outcome({"alarms": ["*-dot-reporting-failed"]}, fired).ok
    assert not alarms.outcome({"alarms": ["*-dot-reporting-failed"]}, recovered).ok  # expected, did not fire
    assert alarms.outcome({"strict": False}, fired) is None


def test_iterator_age_is_measured_from_the_batchs_last_record():
    kinesis = {
        "Records": [
            {"kinesis": {"approximateArrivalTimestamp": 90.0}},
            {"kinesis": {"approximateArrivalTimestamp": 95.5}},
        ]
    }
    dynamodb = {"Records": [{"dynamodb": {"ApproximateCreationDateTime": 98}}]}
    assert iterator_age_ms(kinesis, 100.0) == 4500.0
    assert iterator_age_ms(dynamodb, 100.0) == 2000.0
    assert iterator_age_ms({"Records": [{"body": "sqs"}]}, 100.0) is None
    assert iterator_age_ms({"step": "gather"}, 100.0) is None
