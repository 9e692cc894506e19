"""hos_processor with the fields of issue 21: the record's rule set is applied, PC/YM, edits and
exception objects reach the engine, bad values go to the DLQ with their reason."""

from __future__ import annotations

import datetime as dt
import uuid

from handlers import hos_processor
from handlers.common.aws import from_item
from handlers.common.vehicle_duty import duty_key
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import hos, now_ms, unique_vehicle

H = 3_600_000


def _driver():
    return f"DR-{uuid.uuid4().int % 10**6:06d}"


def _day(driver, t0, driving_h, **fields):
    """8 h off, then `driving_h` hours of driving, then off duty."""
    vehicle = fields.pop("vehicle_id", unique_vehicle())
    recs = [
        hos(driver, "OFF", t0, vehicle_id=vehicle),
        hos(driver, "D", t0 + 10 * H, vehicle_id=vehicle),
        hos(driver, "OFF", t0 + 10 * H + int(driving_h * H), vehicle_id=vehicle),
    ]
    return [{**r, **fields} for r in recs]


def _rules(tap):
    return sorted(m["message"]["rule"] for m in tap.messages())


def test_texas_driver_gets_12_hours_where_the_federal_rule_gives_11(make_ctx):
    # 37 TAC 4.12(a)(2): 12 hours of driving intrastate; 49 CFR 395.3(a)(3)(i) would fire at 11.
    ctx = make_ctx("hos")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    t0 = now_ms() - 25 * H
    texas = _day(_driver(), t0, 11.5, ruleset="us-texas-intrastate", cycle="70/7")
    assert hos_processor.handler(kinesis_event(texas, stream="hos"), None) == {"batchItemFailures": []}
    assert _rules(tap) == []
    federal = _day(_driver(), t0, 11.5)
    hos_processor.handler(kinesis_event(federal, stream="hos"), None)
    assert "DRIVING_11" in _rules(tap)
    over = _day(_driver(), t0, 12.5, ruleset="us-texas-intrastate", cycle="70/7")
    hos_processor.handler(kinesis_event(over, stream="hos"), None)
    messages = [m["message"] for m in tap.messages()]
    assert [(m["rule"], m["ruleset"], m["over_s"]) for m in messages] == [("DRIVING_12", "us-texas-intrastate", 1800)]


def test_passenger_and_canadian_rule_sets_fire_their_own_codes(make_ctx):
    ctx = make_ctx("hos")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    t0 = now_ms() - 25 * H
    # 49 CFR 395.5(a)(1): 10 hours of driving for a passenger carrier.
    hos_processor.handler(kinesis_event(_day(_driver(), t0, 10.5, ruleset="us-passenger"), stream="hos"), None)
    assert _rules(tap) == ["DRIVING_10"]
    # SOR/2005-313 s. 13: 13 hours of driving in a work shift (s. 12 the same per day, and 14 on duty).
    hos_processor.handler(
        kinesis_event(
            _day(_driver(), t0, 13.5, ruleset="canada-south", cycle="cycle-1", time_zone="America/Toronto"),
            stream="hos",
        ),
        None,
    )
    assert (
        {"DRIVING_13"}
        <= set(_rules(tap))
        <= {"DRIVING_13", "DAY_DRIVING_13", "ON_DUTY_14", "DAY_ON_DUTY_14", "DAY_OFF_10"}
    )


def test_pc_ym_edit_and_exception_object_are_stored_and_evaluated(make_ctx):
    ctx = make_ctx("hos")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    driver, vehicle, t0 = _driver(), unique_vehicle(), now_ms() - 23 * H
    at = dt.datetime.fromtimestamp((t0 + 10 * H + 600_000) / 1000, dt.UTC).isoformat()
    claim = [{"type": "adverse_driving", "at": at, "note": "snow"}]
    recs = [
        hos(driver, "OFF", t0, vehicle_id=vehicle),
        hos(driver, "YM", t0 + 10 * H, vehicle_id=vehicle),
        hos(driver, "D", t0 + 10 * H + 600_000, vehicle_id=vehicle, exceptions=claim),
        # 12 h 10 min of driving: legal only with the adverse-driving extension of that duty period
        hos(driver, "PC", t0 + 22 * H + 1_200_000, vehicle_id=vehicle, exceptions=claim),
        {
            **hos(driver, "OFF", t0 + 22 * H + 1_200_000, vehicle_id=vehicle, exceptions=claim),
            "origin": "edit",
            "annotation": "personal trip was off duty",
        },
    ]
    assert hos_processor.handler(kinesis_event(recs, stream="hos"), None) == {"batchItemFailures": []}
    assert ctx.dlq() == []
    assert _rules(tap) == ["BREAK_30"]  # no DRIVING_11: the period's adverse-driving claim held
    items = sorted(
        (
            from_item(i)
            for i in ctx.ddb.query(
                TableName=ctx.env["DRIVER_LOGS_TABLE"],
                KeyConditionExpression="driver_id = :d",
                ExpressionAttributeValues={":d": {"S": driver}},
            )["Items"]
        ),
        key=lambda i: i["event_time"],
    )
    assert [i["status"] for i in items] == ["OFF", "YM", "D", "OFF"]
    assert items[2]["exceptions"] == claim
    edit = items[3]  # replaced the PC record at its instant, keeping what it replaced
    assert (edit["origin"], edit["annotation"], edit["replaced_status"]) == ("edit", "personal trip was off duty", "PC")
    hos_processor.handler(kinesis_event(recs[3:], stream="hos"), None)  # redelivery: the edit stays
    assert (
        from_item(
            ctx.ddb.get_item(
                TableName=ctx.env["DRIVER_LOGS_TABLE"],
                Key={"driver_id": {"S": driver}, "event_time": {"N": str(edit["event_time"])}},
            )["Item"]
        )["origin"]
        == "edit"
    )
    statuses = [str(m).split("|")[1] for m in ctx.redis.zrange(duty_key(vehicle), 0, -1)]
    assert statuses[:3] == ["OFF", "YM", "D"] and sorted(statuses[3:]) == ["OFF", "PC"]


def test_bad_rule_set_values_go_to_the_dlq_with_their_reason(make_ctx):
    ctx = make_ctx("hos")
    driver, t0 = _driver(), now_ms() - 2 * H
    bad = [
        dict(hos(driver, "D", t0), ruleset="eu-561"),
        dict(hos(driver, "D", t0 + 1), ruleset="canada-south"),
        dict(hos(driver, "D", t0 + 2), origin="edit"),
    ]
    assert hos_processor.handler(kinesis_event(bad, stream="hos"), None) == {"batchItemFailures": []}
    assert sorted(m["reason"] for m in ctx.dlq()) == [
        "HOS_ANNOTATION_INVALID",
        "HOS_CYCLE_INVALID",
        "HOS_RULESET_INVALID",
    ]
