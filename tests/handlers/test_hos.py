"""hos_processor (Kinesis hos) and hos_report_writer (SNS hos-violations)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from handlers import hos_processor, hos_report_writer
from handlers.common.aws import from_item, to_item
from handlers.domain.hos import evaluate_log
from tests.handlers.handler_events import kinesis_event, sns_event
from tests.handlers.handler_factories import hos, now_ms

H = 3_600_000


def _driver():
    import uuid

    return f"DR-{uuid.uuid4().int % 10**6:06d}"


def _long_day(driver, t0):
    """10 h off, on duty, then 12 h of driving without a break, then off duty."""
    return [
        hos(driver, "OFF", t0),
        hos(driver, "ON", t0 + 10 * H),
        hos(driver, "D", t0 + 10 * H + 15 * 60_000),
        hos(driver, "OFF", t0 + 22 * H + 15 * 60_000),
    ]


def _logs(ctx, driver):
    resp = ctx.ddb.query(
        TableName=ctx.env["DRIVER_LOGS_TABLE"],
        KeyConditionExpression="driver_id = :d",
        ExpressionAttributeValues={":d": {"S": driver}},
    )
    return [from_item(i) for i in resp["Items"]]


@pytest.fixture
def log_lines():
    """JSON lines the handlers' Powertools logger writes (what CloudWatch metric filters see)."""
    import io
    import logging

    from handlers.common import batch

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(batch.logger.registered_formatter)
    batch.logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    batch.logger.removeHandler(handler)


def test_driver_logs_written_and_violations_published_once(make_ctx, log_lines):
    ctx = make_ctx("hos")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    driver, t0 = _driver(), now_ms() - 23 * H
    recs = _long_day(driver, t0)
    event = kinesis_event(recs, stream="hos")
    assert hos_processor.handler(event, None) == {"batchItemFailures": []}
    logs = sorted(_logs(ctx, driver), key=lambda i: i["event_time"])
    assert [(i["status"], i["event_time"], i["record_id"]) for i in logs] == [
        (r["status"], t0 + off, r["record_id"]) for r, off in zip(recs, (0, 10 * H, 10 * H + 900_000, 22 * H + 900_000))
    ]
    oracle = evaluate_log(
        [{"status": r["status"], "at": r["ts"]} for r in recs], cycle="70/8", time_zone="America/Chicago"
    )
    msgs = tap.messages()
    assert sorted(m["message"]["rule"] for m in msgs) == sorted(v.rule for v in oracle.violations)
    assert "DRIVING_11" in {m["message"]["rule"] for m in msgs}
    d11 = next(m for m in msgs if m["message"]["rule"] == "DRIVING_11")
    assert d11["attributes"]["event_type"] == "hos_violation"
    assert d11["attributes"]["severity"] == hos_processor.SNS_SEVERITY[d11["message"]["hos_severity"]]
    assert d11["message"]["over_s"] == next(v.over_s for v in oracle.violations if v.rule == "DRIVING_11")
    # one JSON log line per published violation, for the { $.event = "hos_violation" } metric filter
    assert sorted(e["violation_id"] for e in log_lines() if e.get("event") == "hos_violation") == sorted(
        m["message"]["violation_id"] for m in msgs
    )
    # redelivery, and a later event that re-evaluates the same log: nothing new
    assert hos_processor.handler(event, None) == {"batchItemFailures": []}
    hos_processor.handler(kinesis_event([hos(driver, "ON", t0 + 22 * H + 30 * 60_000)], stream="hos"), None)
    assert tap.messages() == []
    assert len(_logs(ctx, driver)) == 5


def test_compliance_rules_table_overrides_limits_and_bad_records_dlq(make_ctx):
    ctx = make_ctx("hos")
    # a stricter carrier policy in compliance_rules: 6 h of driving
    ctx.ddb.put_item(
        TableName=ctx.env["COMPLIANCE_RULES_TABLE"],
        Item=to_item({"rule_set": "property", "rule_code": "DRIVING_11", "limit_s": 6 * 3600}),
    )
    try:
        tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
        driver, t0 = _driver(), now_ms() - 20 * H
        recs = [hos(driver, "OFF", t0), hos(driver, "D", t0 + 10 * H), hos(driver, "OFF", t0 + 17 * H)]
        bad = dict(hos(driver, "D", t0 + 1), status="DRIVING")
        assert hos_processor.handler(kinesis_event([recs[0], bad, recs[1], recs[2]], stream="hos"), None) == {
            "batchItemFailures": []
        }
        d11 = [m["message"] for m in tap.messages() if m["message"]["rule"] == "DRIVING_11"]
        assert len(d11) == 1 and d11[0]["over_s"] == 3600
        assert [m["reason"] for m in ctx.dlq()] == ["HOS_STATUS_INVALID"]
    finally:
        ctx.ddb.delete_item(
            TableName=ctx.env["COMPLIANCE_RULES_TABLE"],
            Key=to_item({"rule_set": "property", "rule_code": "DRIVING_11"}),
        )


def test_report_writer_object_locked_report_per_violation(make_ctx):
    ctx = make_ctx("hos_report")
    tap = ctx.subscribe("VIOLATIONS_TOPIC_ARN")
    driver, t0 = _driver(), now_ms() - 23 * H
    make_ctx("hos")
    hos_processor.handler(kinesis_event(_long_day(driver, t0), stream="hos"), None)
    published = tap.messages()
    assert published
    ctx = make_ctx("hos_report")
    event = sns_event(
        [m["message"] for m in published],
        ctx.env["VIOLATIONS_TOPIC_ARN"],
        attrs={"severity": "high", "event_type": "hos_violation"},
    )
    out = hos_report_writer.handler(event, None)
    bucket = ctx.env["REPORTS_BUCKET"]
    for m in published:
        msg = m["message"]
        key = f"fleet_id={msg['fleet_id']}/date={msg['report_date']}/{msg['violation_id']}.json"
        assert key in out["written"]
        body = json.loads(ctx.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        assert body["violation"]["violation_id"] == msg["violation_id"]
        assert body["rule"]["cfr"].startswith("49 CFR")
        head = ctx.s3.head_object(Bucket=bucket, Key=key)  # moto 5.2.5 lacks GetObjectRetention
        assert head["ObjectLockMode"] == "COMPLIANCE"
        days = (head["ObjectLockRetainUntilDate"] - dt.datetime.now(dt.UTC)).total_seconds() / 86400
        assert 29.9 < days <= 30
    # redelivery writes nothing, and the locked object cannot be deleted
    assert hos_report_writer.handler(event, None) == {"written": []}
    first = published[0]["message"]
    key = f"fleet_id={first['fleet_id']}/date={first['report_date']}/{first['violation_id']}.json"
    versions = ctx.s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert len(versions) == 1
    with pytest.raises(ClientError):
        ctx.s3.delete_object(Bucket=bucket, Key=key, VersionId=versions[0]["VersionId"])


def test_report_writer_bad_message_to_dlq(make_ctx):
    ctx = make_ctx("hos_report")
    event = sns_event(
        [{"violation_id": "../etc", "fleet_id": "FL-1", "report_date": "2026-11-25"}],
        "arn:aws:sns:us-east-1:123456789012:x",
    )
    assert hos_report_writer.handler(event, None) == {"written": []}
    assert [m["reason"] for m in ctx.dlq()] == ["FIELD_INVALID"]


def test_malformed_compliance_rule_fails_the_batch_instead_of_dropping_records(make_ctx):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    ctx = make_ctx("hos")
    key = {"rule_set": "property", "rule_code": "WINDOW_14"}
    ctx.ddb.put_item(TableName=ctx.env["COMPLIANCE_RULES_TABLE"], Item=to_item({**key, "limit_s": "fourteen hours"}))
    try:
        driver = _driver()
        with pytest.raises(BatchProcessingError):
            hos_processor.handler(kinesis_event([hos(driver, "ON", now_ms() - H)], stream="hos"), None)
        assert ctx.dlq() == []
    finally:
        ctx.ddb.delete_item(TableName=ctx.env["COMPLIANCE_RULES_TABLE"], Key=to_item(key))
