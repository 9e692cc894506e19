"""Issue 18, defects 1 and 2: late HOS records (ELD store-and-forward) and corrections.

1. An earlier event that arrives after later ones moves a violation's start; the violation keeps its
   id: it is announced once, then updated (event_type hos_violation_update, same violation_id), and
   the report writer amends the locked report with a new object that references it.
2. A different record for the same driver and millisecond is not dropped silently.
"""

from __future__ import annotations

import json

from handlers import hos_processor, hos_report_writer
from tests.handlers.handler_events import kinesis_event, sns_event
from tests.handlers.handler_factories import hos, now_ms
from tests.handlers.test_hos import H, _driver, _logs


def _rule(msgs, rule):
    return [m for m in msgs if m["message"]["rule"] == rule]


def _backfill(driver, t0):
    """A 12 h drive recorded first, then the hour before it uploaded late."""
    first = [hos(driver, "OFF", t0), hos(driver, "D", t0 + 12 * H), hos(driver, "OFF", t0 + 24 * H)]
    late = [hos(driver, "D", t0 + 10 * H), hos(driver, "ON", t0 + 11 * H)]
    return first, late


def test_late_record_updates_the_violation_instead_of_announcing_a_new_one(make_ctx):
    ctx = make_ctx("hos")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    driver, t0 = _driver(), now_ms() - 30 * H
    first, late = _backfill(driver, t0)
    hos_processor.handler(kinesis_event(first, stream="hos"), None)
    announced = _rule(tap.messages(), "DRIVING_11")
    assert len(announced) == 1
    original = announced[0]["message"]

    hos_processor.handler(kinesis_event(late, stream="hos"), None)  # late upload
    hos_processor.handler(kinesis_event([hos(driver, "ON", t0 + 25 * H)], stream="hos"), None)
    after = _rule(tap.messages(), "DRIVING_11")
    assert [m["attributes"]["event_type"] for m in after] == ["hos_violation_update"], after
    update = after[0]["message"]
    assert update["violation_id"] == original["violation_id"]
    assert update["start"] < original["start"]
    assert update["report_date"] == original["report_date"]
    assert update["revision"] == 1
    assert update["history"] == [{k: original[k] for k in ("start", "end", "over_s", "record_id")}]

    # Redelivering everything changes nothing more.
    hos_processor.handler(kinesis_event(first + late, stream="hos"), None)
    assert _rule(tap.messages(), "DRIVING_11") == []


def test_report_is_amended_by_a_new_object_never_a_second_report(make_ctx):
    ctx = make_ctx("hos")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    driver, t0 = _driver(), now_ms() - 30 * H
    first, late = _backfill(driver, t0)
    hos_processor.handler(kinesis_event(first, stream="hos"), None)
    original = _rule(tap.messages(), "DRIVING_11")
    hos_processor.handler(kinesis_event([*late, hos(driver, "ON", t0 + 25 * H)], stream="hos"), None)
    update = _rule(tap.messages(), "DRIVING_11")
    ctx = make_ctx("hos_report")
    bucket = ctx.env["REPORTS_BUCKET"]
    for batch in (original, update, update):  # the update is delivered twice
        event = sns_event([m["message"] for m in batch], ctx.env["VIOLATIONS_TOPIC_ARN"], batch[0]["attributes"])
        hos_report_writer.handler(event, None)
    msg = original[0]["message"]
    prefix = f"fleet_id={msg['fleet_id']}/date={msg['report_date']}/{msg['violation_id']}"
    versions = ctx.s3.list_object_versions(Bucket=bucket, Prefix=prefix)["Versions"]
    keys = sorted(v["Key"] for v in versions)
    assert keys == [f"{prefix}.amendment-1.json", f"{prefix}.json"], keys
    amendment = json.loads(ctx.s3.get_object(Bucket=bucket, Key=f"{prefix}.amendment-1.json")["Body"].read())
    assert amendment["report_type"] == "hos_violation_amendment"
    assert amendment["amends"] == f"{prefix}.json"
    assert amendment["violation"]["start"] < msg["start"]
    assert amendment["history"][0]["start"] == msg["start"]
    head = ctx.s3.head_object(Bucket=bucket, Key=f"{prefix}.amendment-1.json")
    assert head["ObjectLockMode"] == "COMPLIANCE"


def test_a_different_record_at_the_same_instant_is_kept_not_dropped(make_ctx, caplog):
    ctx = make_ctx("hos")
    driver, t0 = _driver(), now_ms() - 5 * H
    hos_processor.handler(kinesis_event([hos(driver, "OFF", t0), hos(driver, "D", t0 + H)], stream="hos"), None)
    conflicting = hos(driver, "ON", t0 + H)  # same driver and millisecond, another status, not an edit
    assert hos_processor.handler(kinesis_event([conflicting], stream="hos"), None) == {"batchItemFailures": []}
    logs = {i["event_time"]: i for i in _logs(ctx, driver)}
    stored = logs[t0 + H]
    assert stored["status"] == "D"  # the first record stays in effect
    conflicts = stored.get("conflicts") or []
    assert [c["record_id"] for c in conflicts] == [conflicting["record_id"]]
    assert conflicts[0]["status"] == "ON"
    assert any(getattr(line, "event", None) == "hos_record_conflict" for line in caplog.records)


def _edit(driver, status, ts_ms, annotation):
    return {**hos(driver, status, ts_ms), "origin": "edit", "annotation": annotation}


def test_a_second_edit_replaces_the_first_and_keeps_it_with_its_annotation(make_ctx):
    ctx = make_ctx("hos")
    driver, t0 = _driver(), now_ms() - 5 * H
    recorded = hos(driver, "ON", t0 + H)
    first, second = _edit(driver, "OFF", t0 + H, "forgot to go off duty"), _edit(driver, "SB", t0 + H, "was in berth")
    for batch in ([hos(driver, "OFF", t0), recorded], [first], [second], [first, second]):  # last: redelivery
        assert hos_processor.handler(kinesis_event(batch, stream="hos"), None) == {"batchItemFailures": []}
    stored = {i["event_time"]: i for i in _logs(ctx, driver)}[t0 + H]
    assert (stored["status"], stored["annotation"], stored["record_id"]) == ("SB", "was in berth", second["record_id"])
    assert stored["replaced_status"] == "ON"  # the original recorded status is kept
    assert [(e["record_id"], e["status"], e["annotation"]) for e in stored["edit_history"]] == [
        (first["record_id"], "OFF", "forgot to go off duty")
    ]


def test_a_recorded_event_arriving_after_its_edit_is_kept_as_the_replaced_original(make_ctx):
    ctx = make_ctx("hos")
    driver, t0 = _driver(), now_ms() - 5 * H
    edit = _edit(driver, "OFF", t0 + H, "left the truck")
    hos_processor.handler(kinesis_event([hos(driver, "OFF", t0), edit], stream="hos"), None)
    hos_processor.handler(kinesis_event([hos(driver, "ON", t0 + H)], stream="hos"), None)
    stored = {i["event_time"]: i for i in _logs(ctx, driver)}[t0 + H]
    assert (stored["status"], stored["origin"], stored["replaced_status"]) == ("OFF", "edit", "ON")
