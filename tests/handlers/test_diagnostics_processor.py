"""diagnostics_processor: Kinesis diagnostics -> vehicle_diagnostics (TTL), poison -> DLQ."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from handlers import diagnostics_processor
from handlers.common.aws import from_item
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import diagnostics, now_ms, unique_vehicle


def _items(ctx, vehicle_id):
    resp = ctx.ddb.query(
        TableName=ctx.env["DIAGNOSTICS_TABLE"],
        KeyConditionExpression="vehicle_id = :v",
        ExpressionAttributeValues={":v": {"S": vehicle_id}},
    )
    return [from_item(i) for i in resp["Items"]]


def test_valid_records_are_stored_with_30_day_ttl(make_ctx):
    ctx = make_ctx("processor")
    vid, t0 = unique_vehicle(), now_ms() - 60_000
    recs = [diagnostics(vid, t0 + i * 1000, coolant_temp_c=90.0 + i, dtcs=[{"code": "P0217"}]) for i in range(5)]
    resp = diagnostics_processor.handler(kinesis_event(recs), None)
    assert resp == {"batchItemFailures": []}
    items = sorted(_items(ctx, vid), key=lambda i: i["timestamp"])
    assert [i["timestamp"] for i in items] == [t0 + i * 1000 for i in range(5)]
    assert [i["record_id"] for i in items] == [r["record_id"] for r in recs]
    assert items[2]["signals"]["coolant_temp_c"] == 92.0
    assert items[0]["dtcs"] == [{"code": "P0217"}]
    assert all(i["expires_at"] == i["timestamp"] // 1000 + 30 * 86400 for i in items)
    assert ctx.dlq() == []


def test_malformed_and_invalid_records_go_to_dlq_with_reason_rest_succeeds(make_ctx):
    ctx = make_ctx("processor")
    vid, t0 = unique_vehicle(), now_ms() - 10_000
    good = [diagnostics(vid, t0 + i) for i in range(3)]
    bad_vin = diagnostics(vid, t0 + 10)
    bad_vin["vin"] = "1FUJGLDR0CLBP8834"[:-1] + "Z"
    wrong_kind = dict(good[0], kind="gps", lat=1.0, lon=2.0, speed_kph=1.0, heading_deg=1.0)
    event = kinesis_event([good[0], b"{not json", bad_vin, good[1], good[2]])
    resp = diagnostics_processor.handler(event, None)
    assert resp == {"batchItemFailures": []}  # poison never blocks the shard
    assert len(_items(ctx, vid)) == 3
    dlq = ctx.dlq()
    assert [m["reason"] for m in dlq] == ["MALFORMED_JSON", "VIN_CHECK_DIGIT"]
    assert base64.b64decode(dlq[0]["record"]["kinesis"]["data"]) == b"{not json"
    assert all(m["function"].endswith("-processor") for m in dlq)
    # a record of another kind on this stream is rejected, not stored
    wrong_kind.pop("signals"), wrong_kind.pop("dtcs")
    assert diagnostics_processor.handler(kinesis_event([wrong_kind]), None) == {"batchItemFailures": []}
    assert [m["reason"] for m in ctx.dlq()] == ["KIND_UNEXPECTED"]
    assert len(_items(ctx, vid)) == 3


def test_same_batch_twice_writes_once(make_ctx):
    ctx = make_ctx("processor")
    vid, t0 = unique_vehicle(), now_ms() - 5_000
    event = kinesis_event([diagnostics(vid, t0 + i) for i in range(4)])
    assert diagnostics_processor.handler(event, None) == {"batchItemFailures": []}
    assert diagnostics_processor.handler(event, None) == {"batchItemFailures": []}
    assert len(_items(ctx, vid)) == 4


def test_failed_write_fails_the_whole_invocation_for_retry(make_ctx):
    ctx = make_ctx("processor", DIAGNOSTICS_TABLE="fleettap-test-no-such-table")
    vid = unique_vehicle()
    with pytest.raises(ClientError, match="ResourceNotFound"):
        diagnostics_processor.handler(kinesis_event([diagnostics(vid, now_ms() - 1000), b"junk"]), None)
    assert [m["reason"] for m in ctx.dlq()] == ["MALFORMED_JSON"]  # poison still parked, valid one retried


def test_an_oversized_record_is_dead_lettered_whole_through_a_claim_check_and_replayable(make_ctx):
    """Issue 18 #5: a record whose DLQ body exceeds SQS's 256 KiB is kept whole in S3 (KMS) and the
    DLQ message points to it; original_record gives back the exact record for a replay."""
    import base64

    from handlers.common import dlq

    ctx = make_ctx("processor")
    payload = b'{"kind": "diagnostics", "pad": "' + b"x" * (300 * 1024) + b'"}'
    raw = {
        "eventSource": "aws:kinesis",
        "eventID": "shardId-000000000000:1",
        "kinesis": {
            "partitionKey": "VH-000001",
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588801",
            "data": base64.b64encode(payload).decode(),
            "approximateArrivalTimestamp": 1_700_000_000.0,
        },
    }
    assert diagnostics_processor.handler({"Records": [raw]}, None) == {"batchItemFailures": []}
    (message,) = ctx.dlq()
    import json

    assert len(json.dumps(message).encode()) <= 256 * 1024  # SQS's limit (the local emulator does not refuse more)
    assert message["reason"] == "TOO_LARGE" and "record" not in message
    ref = message["record_ref"]
    head = ctx.s3.head_object(Bucket=ref["bucket"], Key=ref["key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert dlq.original_record(message, ctx.s3) == raw
