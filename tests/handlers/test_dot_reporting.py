"""dot_reporting: the Step Functions task steps, run in the order the state machine runs them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest

from handlers import dot_reporting, hos_processor
from handlers.common.aws import from_item
from handlers.common.config import MissingSetting
from handlers.domain.hos.report_day import report_day
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import hos, unique_driver, unique_fleet

ZONE = ZoneInfo("America/Chicago")


def _manifest(ctx, gathered: dict) -> list[dict]:
    """The driver list gather wrote for the Map state's ItemReader (never in the state itself)."""
    assert gathered["bucket"] == ctx.env["DOT_WORK_BUCKET"]
    return json.loads(ctx.s3.get_object(Bucket=gathered["bucket"], Key=gathered["key"])["Body"].read())


def _at(day: dt.date, hh: int, mm: int = 0) -> int:
    return int(dt.datetime.combine(day, dt.time(hh, mm), ZONE).timestamp() * 1000)


@pytest.fixture
def fleet_day(make_ctx):
    """Two drivers of a new fleet with HOS logs (via the HOS processor) for one local day."""
    make_ctx("hos")
    fleet, busy, calm = unique_fleet(), unique_driver(), unique_driver()
    day = dt.datetime.now(ZONE).date() - dt.timedelta(days=2)
    hos_processor.handler(
        kinesis_event(
            [
                hos(busy, "OFF", _at(day, 0, 30), fleet_id=fleet, vehicle_id="VH-000101"),
                hos(busy, "ON", _at(day, 6), fleet_id=fleet, vehicle_id="VH-000101"),
                hos(busy, "D", _at(day, 6, 15), fleet_id=fleet, vehicle_id="VH-000101"),
                hos(busy, "OFF", _at(day, 18, 30), fleet_id=fleet, vehicle_id="VH-000101"),
                hos(calm, "ON", _at(day, 8), fleet_id=fleet, vehicle_id="VH-000102"),
                hos(calm, "D", _at(day, 8, 30), fleet_id=fleet, vehicle_id="VH-000102"),
                hos(calm, "OFF", _at(day, 14), fleet_id=fleet, vehicle_id="VH-000102"),
            ],
            stream="hos",
        ),
        None,
    )
    ctx = make_ctx("dot_report")
    for driver in (busy, calm):
        ctx.sql(
            "INSERT INTO drivers (driver_id, fleet_id, name, home_time_zone) VALUES (%s, %s, %s, %s)",
            (driver, fleet, f"Driver {driver}", "America/Chicago"),
        )
    ctx.sql(
        "INSERT INTO inspections (inspection_id, vehicle_id, driver_id, fleet_id, kind, inspected_at, result, defects)"
        " VALUES (%s, 'VH-000101', %s, %s, 'pre_trip', %s, 'defects', '[{\"item\": \"tires\"}]')",
        (f"insp-{busy}", busy, fleet, dt.datetime.combine(day, dt.time(5, 50), ZONE)),
    )
    return ctx, fleet, day.isoformat(), busy, calm


def _status(ctx, driver: str, day: str) -> dict:
    return from_item(
        ctx.ddb.get_item(
            TableName=ctx.env["COMPLIANCE_STATUS_TABLE"], Key={"driver_id": {"S": driver}, "report_date": {"S": day}}
        )["Item"]
    )


class _Context:
    """Lambda's context: only the remaining time is read."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def _result_writer(ctx, children_outputs: list, prefix: str = "dot-reports/work/map-runs") -> dict:
    """What a DISTRIBUTED Map's ResultWriter leaves in S3 (AWS's documented format): a manifest
    listing SUCCEEDED_n.json files, arrays of child executions whose Output is a JSON string."""
    bucket, run = ctx.env["DOT_WORK_BUCKET"], f"run-{uuid.uuid4().hex[:8]}"
    records = [
        {
            "ExecutionArn": f"arn:aws:states:us-east-1:123456789012:execution:m/{run}:{i}",
            "Name": str(i),
            "Input": "{}",
            "Output": json.dumps(out),
            "Status": "SUCCEEDED",
        }
        for i, out in enumerate(children_outputs)
    ]
    half = max(1, len(records) // 2)
    files = []
    for n, chunk in enumerate([records[:half], records[half:]]):
        key = f"{prefix}/{run}/SUCCEEDED_{n}.json"
        ctx.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(chunk).encode())
        files.append({"Key": key, "Size": 1})
    manifest_key = f"{prefix}/{run}/manifest.json"
    ctx.s3.put_object(
        Bucket=bucket,
        Key=manifest_key,
        Body=json.dumps(
            {
                "DestinationBucket": bucket,
                "MapRunArn": f"arn:aws:states:us-east-1:123456789012:mapRun:m/{run}:x",
                "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": files},
            }
        ).encode(),
    )
    return {
        "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/x:y",
        "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key},
    }


def test_workflow_steps_gather_report_driver_summary(fleet_day):
    ctx, fleet, day, busy, calm = fleet_day
    tap = ctx.subscribe("SUMMARY_TOPIC_ARN")
    gathered = dot_reporting.handler({"step": "gather", "report_date": day, "fleet_id": fleet})
    assert gathered["count"] == 2 and set(gathered) == {"report_date", "bucket", "key", "count"}
    # the manifest is a work file: in the work bucket (no Object Lock), not in the reports bucket
    assert gathered["bucket"] == ctx.env["DOT_WORK_BUCKET"] != ctx.env["REPORTS_BUCKET"]
    drivers = _manifest(ctx, gathered)
    assert sorted(d["driver_id"] for d in drivers) == sorted([busy, calm])
    results = []
    for item in drivers:
        # the state machine passes each manifest entry and sets "step" in the task's Parameters
        state = dot_reporting.handler({**item, "step": "report_driver"}, _Context(60_000))
        assert "step" not in state
        assert len(str(state)) < 400  # compact: the map run results keep one per driver
        results.append(state)
    by_driver = {r["driver_id"]: r for r in results}
    assert by_driver[busy]["status"] == "violations" and "DRIVING_11" in by_driver[busy]["violation_rules"]
    assert by_driver[calm]["status"] == "compliant" and by_driver[calm]["violation_count"] == 0

    bucket = ctx.env["REPORTS_BUCKET"]
    for driver in (busy, calm):
        key = f"dot-reports/date={day}/{driver}.pdf"
        obj = ctx.s3.get_object(Bucket=bucket, Key=key)
        assert obj["Body"].read().startswith(b"%PDF-") and obj["ObjectLockMode"] == "COMPLIANCE"
        status = _status(ctx, driver, day)
        assert status["report_key"] == key and status["status"] == by_driver[driver]["status"]
    # no per-driver work file is written any more: the document lives only in the invocation
    listed = ctx.s3.list_objects_v2(Bucket=bucket, Prefix="dot-reports/work/").get("Contents", [])
    assert listed == []

    doc = dot_reporting.gather_driver(dot_reporting._driver(busy), day)
    assert doc["totals"]["D"] == 12.25 and doc["totals"]["ON"] == 0.25
    assert [i["inspection_id"] for i in doc["inspections"]] == [f"insp-{busy}"]
    assert [e["status"] for e in doc["events"]] == ["OFF", "ON", "D", "OFF"]

    out = dot_reporting.handler({"step": "publish_summary", "report_date": day, "results": results})
    [msg] = tap.messages()
    assert msg["attributes"] == {"severity": "warning", "event_type": "dot_daily_summary"}
    assert msg["message"]["summary_id"] == out["summary_id"]
    assert (msg["message"]["drivers_reported"], msg["message"]["drivers_with_violations"]) == (2, 1)
    assert msg["message"]["drivers_failed"] == 0 and out["failures_key"] is None
    assert msg["message"]["by_fleet"] == {fleet: {"drivers": 2, "with_violations": 1}}

    # a Step Functions retry of report_driver rewrites the same keys and item
    again = dot_reporting.handler({"driver_id": busy, "report_date": day, "step": "report_driver"})
    assert again["report_key"] == by_driver[busy]["report_key"] and again["status"] == "violations"


def test_state_machine_payloads_gather_distributed_map_then_summary(fleet_day):
    """The Terraform state machine: Task payloads {"step": s, "input": <state>}; gather returns only
    {report_date, bucket, key, count}; a DISTRIBUTED Map reads the manifest (ItemReader), shards it
    (ItemBatcher: child input {"Items": [...]}), runs report_driver per driver in each child and
    writes the children's outputs to S3 (ResultWriter, at $.map_run); publish_summary reads them."""
    ctx, fleet, day, busy, calm = fleet_day
    tap = ctx.subscribe("SUMMARY_TOPIC_ARN")
    state = dot_reporting.handler({"step": "gather", "input": {"report_date": day, "fleet_id": fleet}})
    assert state["key"] == f"dot-reports/work/date={day}/manifest.json" and state["count"] == 2
    assert len(json.dumps(state)) < 400
    children = []
    for batch in ([entry] for entry in _manifest(ctx, state)):  # a shard size of 1: two children
        outputs = []
        for entry in batch:
            item = {"driver_id": entry["driver_id"], "report_date": entry["report_date"]}
            item = dot_reporting.handler({"step": "report_driver", "input": item})
            assert item["driver_id"] == entry["driver_id"] and len(json.dumps(item)) < 2000
            outputs.append(item)
        children.append(outputs)
    assert sorted((o["driver_id"], o["status"]) for c in children for o in c) == sorted(
        [(busy, "violations"), (calm, "compliant")]
    )
    out = dot_reporting.handler(
        {"step": "publish_summary", "input": {**state, "map_run": _result_writer(ctx, children)}}
    )
    assert out["drivers_reported"] == 2 and out["drivers_with_violations"] == 1 and out["drivers_failed"] == 0
    [msg] = tap.messages()
    assert msg["message"]["summary_id"] == out["summary_id"]
    assert msg["message"]["by_fleet"] == {fleet: {"drivers": 2, "with_violations": 1}}
    assert [d["driver_id"] for d in msg["message"]["drivers"]] == [busy]
    # the same results passed inline give the same summary
    inline = dot_reporting.handler(
        {"step": "publish_summary", "input": {**state, "results": [o for c in children for o in c]}}
    )
    assert inline["summary_id"] == out["summary_id"]


def test_a_failing_driver_is_recorded_and_the_day_completes_for_the_others(fleet_day):
    """Per-driver failure isolation: a driver whose report fails (here an unknown home-terminal zone)
    raises in report_driver (Step Functions retries it); after the retries the state machine's Catch
    passes {driver_id, report_date, status: failed, error: {Error, Cause}} on as the driver's result.
    A driver of the manifest whose child failed has no result at all. publish_summary reports everyone
    else, writes the failures report (work bucket) and compliance_status report_failed with the reason."""
    ctx, fleet, day, busy, calm = fleet_day
    broken, lost = unique_driver(), unique_driver()
    for driver, zone in ((broken, "Mars/Olympus_Mons"), (lost, "America/Chicago")):
        ctx.sql(
            "INSERT INTO drivers (driver_id, fleet_id, name, home_time_zone) VALUES (%s, %s, %s, %s)",
            (driver, fleet, f"Driver {driver}", zone),
        )
    tap = ctx.subscribe("SUMMARY_TOPIC_ARN")
    state = dot_reporting.handler({"step": "gather", "input": {"report_date": day, "fleet_id": fleet}})
    assert state["count"] == 4
    with pytest.raises(Exception) as failed:
        dot_reporting.handler({"step": "report_driver", "input": {"driver_id": broken, "report_date": day}})
    caught = {
        "driver_id": broken,
        "report_date": day,
        "status": "failed",
        "error": {"Error": type(failed.value).__name__, "Cause": json.dumps({"errorMessage": str(failed.value)})},
    }
    good = [
        dot_reporting.handler({"step": "report_driver", "input": {"driver_id": d, "report_date": day}})
        for d in (busy, calm)
    ]
    # shard 1: busy + broken (caught), shard 2: calm; lost's shard failed and left no result
    out = dot_reporting.handler(
        {"step": "publish_summary", "input": {**state, "map_run": _result_writer(ctx, [[good[0], caught], [good[1]]])}}
    )
    assert (out["drivers_reported"], out["drivers_failed"]) == (2, 2)
    report = json.loads(ctx.s3.get_object(Bucket=ctx.env["DOT_WORK_BUCKET"], Key=out["failures_key"])["Body"].read())
    reasons = {f["driver_id"]: f["reason"] for f in report["failed"]}
    assert set(reasons) == {broken, lost}
    assert reasons[broken].startswith(type(failed.value).__name__) and "Mars/Olympus_Mons" in reasons[broken]
    assert reasons[lost] == "no result (child failed)"
    for driver in (broken, lost):
        status = _status(ctx, driver, day)
        assert status["status"] == "report_failed" and status["reason"] == reasons[driver]
    for driver in (busy, calm):
        assert _status(ctx, driver, day)["status"] in ("violations", "compliant")
    [msg] = tap.messages()
    assert msg["attributes"]["severity"] == "critical"
    assert sorted(msg["message"]["failed"]) == sorted([broken, lost]) and msg["message"]["drivers_reported"] == 2


def test_the_pdf_call_fits_in_the_invocations_remaining_time(fleet_day, monkeypatch):
    """With less than RESERVE_S + MIN_PDF_S left the PDF API is not called (BudgetExhausted, retried by
    Step Functions); otherwise no attempt's timeout exceeds what is left."""
    ctx, fleet, day, busy, calm = fleet_day
    with pytest.raises(dot_reporting.BudgetExhausted):
        dot_reporting.handler({"step": "report_driver", "driver_id": busy, "report_date": day}, _Context(6_000))
    seen = []
    real = dot_reporting._http.request

    def spy(*args, **kwargs):
        seen.append(kwargs["timeout"])
        return real(*args, **kwargs)

    monkeypatch.setattr(dot_reporting._http, "request", spy)
    dot_reporting.handler({"step": "report_driver", "driver_id": busy, "report_date": day}, _Context(20_000))
    [timeout] = seen
    assert timeout.total <= 20 - dot_reporting.RESERVE_S and timeout.connect_timeout <= 3.0


def test_steps_refuse_state_they_cannot_use(fleet_day):
    """A per-driver step never loops over the fleet in one call; a summary needs the results."""
    ctx, fleet, day, busy, calm = fleet_day
    tap = ctx.subscribe("SUMMARY_TOPIC_ARN")
    state = dot_reporting.handler({"step": "gather", "input": {"report_date": day, "fleet_id": fleet}})
    with pytest.raises(dot_reporting.StepInputError, match="driver_id"):
        dot_reporting.handler({"step": "report_driver", "input": state})
    with pytest.raises(dot_reporting.StepInputError):
        dot_reporting.handler({"step": "publish_summary", "input": state})
    with pytest.raises(dot_reporting.StepInputError, match="1 results for 2"):  # inline results short of count
        dot_reporting.handler(
            {
                "step": "publish_summary",
                "input": {
                    "report_date": day,
                    "count": 2,
                    "results": [{"driver_id": busy, "report_date": day, "status": "compliant"}],
                },
            }
        )
    assert tap.messages() == []


def test_drivers_not_yet_in_aurora_are_reported_from_their_logs(make_ctx):
    make_ctx("hos")
    fleet, walkin = unique_fleet(), unique_driver()
    day = dt.datetime.now(ZONE).date() - dt.timedelta(days=1)
    hos_processor.handler(
        kinesis_event(
            [
                hos(walkin, "ON", _at(day, 9), fleet_id=fleet, cycle="60/7"),
                hos(walkin, "D", _at(day, 9, 30), fleet_id=fleet, cycle="60/7"),
                hos(walkin, "OFF", _at(day, 12), fleet_id=fleet, cycle="60/7"),
            ],
            stream="hos",
        ),
        None,
    )
    ctx = make_ctx("dot_report")
    gathered = dot_reporting.handler({"step": "gather", "input": {"report_date": day.isoformat(), "fleet_id": fleet}})
    assert [d["driver_id"] for d in _manifest(ctx, gathered)] == [walkin]
    doc = dot_reporting.gather_driver(dot_reporting._driver(walkin), day.isoformat())
    assert (doc["fleet_id"], doc["cycle"], doc["time_zone"]) == (fleet, "60/7", "America/Chicago")
    assert doc["totals"]["D"] == 2.5
    other_fleet = dot_reporting.handler({"step": "gather", "report_date": day.isoformat(), "fleet_id": unique_fleet()})
    assert other_fleet["count"] == 0 and _manifest(ctx, other_fleet) == []


def test_report_date_is_the_latest_day_over_in_every_fleet_zone(make_ctx):
    ctx = make_ctx("dot_report")
    zones = ctx.env["REPORT_TIME_ZONES"].split(",")
    fleet = unique_fleet()  # no drivers: only the date logic is exercised
    scheduled = {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2026-11-20T09:00:00Z",
        "detail": {},
    }
    assert (
        dot_reporting.handler({"step": "gather", "input": {**scheduled, "fleet_id": fleet}})["report_date"]
        == "2026-11-19"
    )
    # at 00:30 UTC the 19th is not over in Chicago or Los Angeles: the day before it is reported
    early = {**scheduled, "time": "2026-11-20T00:30:00Z"}
    assert (
        dot_reporting.handler({"step": "gather", "input": {**early, "fleet_id": fleet}})["report_date"] == "2026-11-18"
    )
    before = report_day(dt.datetime.now(dt.UTC), zones).isoformat()
    unscheduled = dot_reporting.handler({"step": "gather", "input": {"fleet_id": fleet}})["report_date"]
    assert unscheduled in (before, report_day(dt.datetime.now(dt.UTC), zones).isoformat())  # midnight may pass
    # the deployed schedule's constant input {"trigger": "schedule", "report_date": "yesterday"}, with the
    # execution start time the state machine adds to the gather payload
    schedule_input = {"trigger": "schedule", "report_date": "yesterday", "fleet_id": fleet}
    assert (
        dot_reporting.handler(
            {"step": "gather", "input": schedule_input, "execution_started_at": "2026-11-20T09:00:01.250Z"}
        )["report_date"]
        == "2026-11-19"
    )


def test_report_date_without_fleet_zones_is_a_configuration_error(make_ctx):
    make_ctx("dot_report", REPORT_TIME_ZONES="")
    with pytest.raises(MissingSetting, match="REPORT_TIME_ZONES"):
        dot_reporting.handler({"step": "gather", "input": {"report_date": "yesterday", "fleet_id": unique_fleet()}})
