"""Unassigned driving (49 CFR 395 subpart B, App. A 4.6.1.5): location_tracker publishes one
`unassigned_driving` event on hos-violations when a vehicle moves over 5 mph for more than a minute
while the duty statuses hos_processor recorded for it put no driver in it."""

from __future__ import annotations

import pytest

from handlers import hos_processor, location_tracker, unassigned_driving
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import gps, hos, now_ms, unique_vehicle

MIN = 60_000


def _drive(vehicle, t0, speeds, step_ms=30_000):
    return [gps(vehicle, 41.9 + i * 0.001, -87.7, t0 + i * step_ms, speed_kph=speed) for i, speed in enumerate(speeds)]


@pytest.fixture
def no_wait(monkeypatch):
    """Judge a run at the fix that qualifies it (the wait for a lagging HOS stream is tested apart)."""
    monkeypatch.setattr(unassigned_driving, "CONFIRM_AFTER_S", 0)


def _unassigned(tap):
    return [m for m in tap.messages() if m["attributes"]["event_type"] == "unassigned_driving"]


def test_vehicle_moving_with_its_driver_off_duty_is_reported_once(make_ctx, no_wait):
    hos_ctx = make_ctx("hos")
    vehicle, t0 = unique_vehicle(), now_ms() - 3 * 3_600_000
    hos_processor.handler(
        kinesis_event([hos("DR-000777", "OFF", t0 - 10 * MIN, vehicle_id=vehicle)], stream="hos"), None
    )
    ctx = make_ctx("location")
    tap = hos_ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    # 60 s of movement is not "more than a minute"; the fourth fix (90 s) is.
    fixes = _drive(vehicle, t0, [40, 50, 60, 70, 70])
    location_tracker.handler(kinesis_event(fixes[:3], stream="gps"), None)
    assert _unassigned(tap) == []
    event = kinesis_event(fixes[3:], stream="gps")
    assert location_tracker.handler(event, None) == {"batchItemFailures": []}
    messages = _unassigned(tap)
    assert len(messages) == 1
    body = messages[0]["message"]
    assert (body["vehicle_id"], body["start"], body["moving_s"], body["drivers_off_duty"]) == (
        vehicle,
        fixes[0]["ts"],
        90,
        ["DR-000777"],
    )
    assert messages[0]["attributes"]["severity"] == "warning"
    location_tracker.handler(event, None)  # redelivery
    location_tracker.handler(kinesis_event(_drive(vehicle, t0 + 150_000, [70, 70]), stream="gps"), None)  # same run
    assert _unassigned(tap) == []
    assert ctx.dlq() == []


def test_a_duty_change_that_arrives_after_the_fixes_still_counts(make_ctx):
    """The run is judged CONFIRM_AFTER_S of processing time after it qualified, with the statuses known then."""
    hos_ctx = make_ctx("hos")
    late, really_off = unique_vehicle(), unique_vehicle()
    t0 = now_ms() - 3 * 3_600_000
    hos_processor.handler(
        kinesis_event(
            [
                hos("DR-000781", "OFF", t0 - 10 * MIN, vehicle_id=late),
                hos("DR-000782", "OFF", t0 - 10 * MIN, vehicle_id=really_off),
            ],
            stream="hos",
        ),
        None,
    )
    make_ctx("location")
    tap = hos_ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    r, wall = hos_ctx.redis, 1_000_000
    for vehicle in (late, really_off):
        for fix in _drive(vehicle, t0, [50] * 4):
            unassigned_driving.check_fix(r, _validated(fix), wall_ms=wall)
    assert _unassigned(tap) == []  # qualified, but not judged yet
    # the D record, sent before the vehicle moved, is processed after its fixes
    hos_processor.handler(kinesis_event([hos("DR-000781", "D", t0 - 1000, vehicle_id=late)], stream="hos"), None)
    later = wall + unassigned_driving.CONFIRM_AFTER_S * 1000
    for vehicle in (late, really_off):
        [fix] = _drive(vehicle, t0 + 4 * 30_000, [0])
        unassigned_driving.check_fix(r, _validated(fix), wall_ms=later)
    assert [m["message"]["vehicle_id"] for m in _unassigned(tap)] == [really_off]


def _validated(record):
    from handlers.domain.validation import validate

    return validate(record, now_ms=now_ms()).record


def test_no_event_when_a_driver_is_on_duty_or_pc_or_the_stop_breaks_the_run(make_ctx, no_wait):
    hos_ctx = make_ctx("hos")
    on_duty, pc, stop_and_go, unknown = (unique_vehicle() for _ in range(4))
    t0 = now_ms() - 3 * 3_600_000
    hos_processor.handler(
        kinesis_event(
            [
                hos("DR-000778", "OFF", t0 - 10 * MIN, vehicle_id=on_duty),
                hos("DR-000778", "D", t0 + 30_000, vehicle_id=on_duty),
                hos("DR-000779", "PC", t0 - MIN, vehicle_id=pc),
                hos("DR-000780", "OFF", t0 - MIN, vehicle_id=stop_and_go),
            ],
            stream="hos",
        ),
        None,
    )
    make_ctx("location")
    tap = hos_ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    fixes = (
        _drive(on_duty, t0, [50] * 5)
        + _drive(pc, t0, [50] * 5)
        + _drive(unknown, t0, [50] * 5)
        + _drive(stop_and_go, t0, [50, 50, 3, 50, 50, 6])
    )  # 5 mph is 8.05 km/h: 6 km/h is stopped
    assert location_tracker.handler(kinesis_event(fixes, stream="gps"), None) == {"batchItemFailures": []}
    assert _unassigned(tap) == []


def test_report_writer_skips_unassigned_driving_and_cites_the_rule_set_of_a_violation(make_ctx):
    import json

    from handlers import hos_report_writer
    from tests.handlers.handler_events import sns_event

    ctx = make_ctx("hos_report")
    topic = ctx.env["VIOLATIONS_TOPIC_ARN"]
    skipped = sns_event(
        [{"event_id": "ud-1", "event_type": "unassigned_driving", "vehicle_id": "VH-1"}],
        topic,
        attrs={"severity": "warning", "event_type": "unassigned_driving"},
    )
    assert hos_report_writer.handler(skipped, None) == {"written": []}
    assert ctx.dlq() == []
    texas = {
        "violation_id": f"hv-{unique_vehicle()}",
        "fleet_id": "FL-001",
        "report_date": "2026-11-25",
        "rule": "DRIVING_12",
        "ruleset": "us-texas-intrastate",
    }
    [key] = hos_report_writer.handler(
        sns_event([texas], topic, attrs={"severity": "high", "event_type": "hos_violation"}), None
    )["written"]
    body = json.loads(ctx.s3.get_object(Bucket=ctx.env["REPORTS_BUCKET"], Key=key)["Body"].read())
    assert (body["rule"]["cfr"], body["rule"]["limit_s"]) == ("37 TAC 4.12", 12 * 3600)
