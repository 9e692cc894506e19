"""Throughput of each Lambda handler at batch size 100 against the local stack (moto, Redis, Postgres).

Run: .venv/bin/python -m pytest tests/bench/test_handlers_bench.py -q -s
Each handler is invoked in-process with BATCHES AWS-shaped batches of 100 distinct records; the
clock covers only the handler call. Results print as a table and go to reports/bench/handlers.json.
Every batch must succeed completely and its writes are checked, so a broken handler cannot post
a number. The numbers measure this machine + moto (HTTP per AWS call); see docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from handlers import (
    anomaly_detector,
    coaching_dispatcher,
    diagnostics_processor,
    dot_reporting,
    driver_notifier,
    firehose_transformer,
    fleet_dashboard,
    fuel_analytics,
    hos_processor,
    hos_report_writer,
    location_tracker,
    maintenance_scheduler,
    predictive_maintenance,
)
from handlers.common import aws
from tests.handlers.handler_events import dynamodb_stream_event, firehose_event, kinesis_event, sns_event, sqs_event
from tests.handlers.handler_factories import (
    alert,
    diagnostics,
    diagnostics_image,
    gps,
    hos,
    now_ms,
    unique_driver,
    unique_fleet,
    unique_vehicle,
)

pytestmark = pytest.mark.slow
BATCH = 100
BATCHES = 5
RESULTS: dict[str, dict] = {}
OUT = Path(__file__).resolve().parents[2] / "reports" / "bench" / "handlers.json"


def _measure(name: str, events: list, call, check=None) -> None:
    elapsed = cpu = 0.0
    for event in events:
        start, start_cpu = time.perf_counter(), time.thread_time()
        resp = call(event)
        cpu += time.thread_time() - start_cpu  # the handler's own CPU: what a Lambda environment spends
        elapsed += time.perf_counter() - start
        assert not (resp or {}).get("batchItemFailures"), resp
    if check:
        check()
    records = sum(len(e.get("Records", e.get("records", [None]))) for e in events)
    RESULTS[name] = {
        "records": records,
        "seconds": round(elapsed, 3),
        "records_per_s": round(records / elapsed, 1),
        "ms_per_batch": round(1000 * elapsed / len(events), 1),
        "cpu_ms_per_record": round(1000 * cpu / records, 3),
    }


def _diag_batches(**kw):
    base = now_ms() - 600_000
    return [[diagnostics(unique_vehicle(), base + i, **kw) for i in range(BATCH)] for _ in range(BATCHES)]


def test_stream_handlers(make_ctx):
    ctx = make_ctx("processor")
    batches = _diag_batches()
    _measure(
        "diagnostics_processor (Kinesis)",
        [kinesis_event(b) for b in batches],
        lambda e: diagnostics_processor.handler(e, None),
        lambda: ctx.ddb.get_item(
            TableName=ctx.env["DIAGNOSTICS_TABLE"],
            Key={
                "vehicle_id": {"S": batches[-1][-1]["vehicle_id"]},
                "timestamp": {
                    "N": str(
                        int(
                            dt.datetime.fromisoformat(batches[-1][-1]["ts"][:-1]).replace(tzinfo=dt.UTC).timestamp()
                            * 1000
                        )
                    )
                },
            },
        )["Item"],
    )

    make_ctx("anomaly")
    for label, temp in (("normal readings", lambda i: 88.0), ("every reading alerts", lambda i: 105.0 + i % 12)):
        batches = [
            [diagnostics(unique_vehicle(), now_ms() - 60_000 + i, coolant_temp_c=temp(i)) for i in range(BATCH)]
            for _ in range(BATCHES)
        ]
        _measure(
            f"anomaly_detector (DynamoDB stream, {label})",
            [dynamodb_stream_event([diagnostics_image(r) for r in b], ctx.env["DIAGNOSTICS_TABLE"]) for b in batches],
            lambda e: anomaly_detector.handler(e, None),
        )

    make_ctx("fuel")
    _measure(
        "fuel_analytics (Kinesis, first reading of each vehicle)",
        [kinesis_event(b) for b in _diag_batches()],
        lambda e: fuel_analytics.handler(e, None),
    )
    # Steady state: 100 vehicles driving (1.5 km and 0.5 L a minute), one reading a minute each; from
    # the second minute every reading has an MPG (an INSERT and a counted sample each).
    start, vehicles = now_ms() - 3_600_000, [unique_vehicle() for _ in range(BATCH)]
    minutes = [
        kinesis_event(
            [
                diagnostics(v, start + m * 60_000, odometer_km=250_000 + 1.5 * m, fuel_used_l=120_000 + 0.5 * m)
                for v in vehicles
            ]
        )
        for m in range(1 + BATCHES)
    ]
    fuel_analytics.handler(minutes[0], None)
    _measure(
        "fuel_analytics (Kinesis, steady state: every reading has an MPG)",
        minutes[1:],
        lambda e: fuel_analytics.handler(e, None),
        lambda: (
            ctx.sql("SELECT count(*) FROM fuel_analytics WHERE vehicle_id = ANY(%s)", (vehicles,))[0][0]
            == BATCH * BATCHES
            or pytest.fail("fuel_analytics rows")
        ),
    )

    make_ctx("location")
    gps_batches = [
        [gps(unique_vehicle(), 41.0 + i / 1000, -87.0, now_ms() - 60_000 + i) for i in range(BATCH)]
        for _ in range(BATCHES)
    ]
    _measure(
        "location_tracker (Kinesis)",
        [kinesis_event(b, stream="gps") for b in gps_batches],
        lambda e: location_tracker.handler(e, None),
    )

    make_ctx("hos")
    t0 = now_ms() - 12 * 3_600_000
    hos_batches = [
        [hos(unique_driver(), "D" if i % 2 else "ON", t0 + i * 60_000) for i in range(BATCH)] for _ in range(BATCHES)
    ]
    _measure(
        "hos_processor (Kinesis)",
        [kinesis_event(b, stream="hos") for b in hos_batches],
        lambda e: hos_processor.handler(e, None),
    )

    make_ctx("firehose_transform")
    _measure(
        "firehose_transformer (Firehose)",
        [firehose_event(b) for b in _diag_batches()],
        lambda e: {
            "batchItemFailures": [r for r in firehose_transformer.handler(e, None)["records"] if r["result"] != "Ok"]
        },
    )


def test_predictive_maintenance(make_ctx):
    """Its own test so it can be run alone: `-k predictive`."""
    ctx = make_ctx("predictive")
    for service in ("dynamodb", "sagemaker-runtime", "sns"):  # made once per container: not a batch's cost
        aws.client(service)
    # 100 vehicles streaming one reading a minute: 20 batches build each vehicle's window (nothing
    # can be scored yet: a fleet that just started), the 21st makes every vehicle eligible (one
    # inference each), the next ones are steady state.
    start, vehicles = now_ms() - 3_600_000, [unique_vehicle() for _ in range(BATCH)]
    minute_batches = [kinesis_event([diagnostics(v, start + m * 60_000) for v in vehicles]) for m in range(25)]
    _measure(
        "predictive_maintenance (Kinesis, window < 20 min: nothing due)",
        minute_batches[:20],
        lambda e: predictive_maintenance.handler(e, None),
    )
    _measure(
        "predictive_maintenance (Kinesis, every vehicle due: 100 inferences/batch)",
        minute_batches[20:21],
        lambda e: predictive_maintenance.handler(e, None),
    )
    _measure(
        "predictive_maintenance (Kinesis, steady state: scored < 1 h ago)",
        minute_batches[21:],
        lambda e: predictive_maintenance.handler(e, None),
    )
    assert ctx.sql("SELECT count(*) FROM vehicle_history WHERE vehicle_id = ANY(%s)", (vehicles,))[0][0] == 25 * BATCH
    for v in vehicles[::10]:  # scored once, at the 21st reading
        items = ctx.ddb.query(
            TableName=ctx.env["PREDICTIONS_TABLE"],
            KeyConditionExpression="vehicle_id = :v",
            ExpressionAttributeValues={":v": {"S": v}},
        )["Items"]
        assert [int(i["predicted_at"]["N"]) for i in items] == [start + 20 * 60_000], v


def test_queue_and_topic_handlers(make_ctx):
    ctx = make_ctx("maintenance")
    alert_batches = [[alert(severity="high") for _ in range(BATCH)] for _ in range(BATCHES)]
    _measure(
        "maintenance_scheduler (SQS)",
        [sqs_event(b) for b in alert_batches],
        lambda e: maintenance_scheduler.handler(e, None),
        lambda: ctx.sql("SELECT 1 FROM maintenance_schedule WHERE alert_id = %s", (alert_batches[-1][-1]["alert_id"],))[
            0
        ],
    )
    make_ctx("driver_notifier")
    _measure(
        "driver_notifier (SQS -> mock API)",
        [sqs_event([alert() for _ in range(BATCH)]) for _ in range(BATCHES)],
        lambda e: driver_notifier.handler(e, None),
    )
    make_ctx("fleet")
    fleet = unique_fleet()
    _measure(
        "fleet_dashboard (SQS)",
        [sqs_event([alert(fleet_id=fleet) for _ in range(BATCH)]) for _ in range(BATCHES)],
        lambda e: fleet_dashboard.handler(e, None),
        lambda: ctx.redis.hget(f"dash:fleet:{fleet}", "total") == str(BATCH * BATCHES) or pytest.fail("counts"),
    )

    # SNS -> Lambda delivers one message per invocation: measured as invocations of one record.
    ctx = make_ctx("hos_report")
    day = dt.date.today().isoformat()
    violations = [
        {
            "violation_id": f"hv-bench-{unique_driver()}",
            "fleet_id": "FL-1",
            "report_date": day,
            "rule": "DRIVING_11",
            "driver_id": "DR-1",
        }
        for _ in range(BATCH)
    ]
    _measure(
        "hos_report_writer (SNS, 1 msg/invoke)",
        [sns_event([v], ctx.env["VIOLATIONS_TOPIC_ARN"]) for v in violations],
        lambda e: hos_report_writer.handler(e, None),
    )
    ctx = make_ctx("coaching")
    tips = [{"code": "low_mpg", "priority": 1, "message": "m", "est_fuel_saving_l": 1.0}]
    _measure(
        "coaching_dispatcher (SNS, 1 msg/invoke)",
        [
            sns_event(
                [{"coaching_id": f"fc-bench-{unique_driver()}", "driver_id": "DR-1", "tips": tips}],
                ctx.env["COACHING_TOPIC_ARN"],
            )
            for _ in range(BATCH)
        ],
        lambda e: coaching_dispatcher.handler(e, None),
    )


def test_dot_report_steps(make_ctx):
    ctx = make_ctx("dot_report")
    fleet, day = unique_fleet(), (dt.date.today() - dt.timedelta(days=1)).isoformat()
    drivers = [unique_driver() for _ in range(20)]
    for d in drivers:
        ctx.sql("INSERT INTO drivers (driver_id, fleet_id, name) VALUES (%s, %s, %s)", (d, fleet, d))
    start = time.perf_counter()
    gathered = dot_reporting.handler({"step": "gather", "report_date": day, "fleet_id": fleet})
    gather_s = time.perf_counter() - start
    start = time.perf_counter()
    results = []
    manifest = json.loads(ctx.s3.get_object(Bucket=gathered["bucket"], Key=gathered["key"])["Body"].read())
    for item in manifest:  # the distributed Map's items (gather writes them to S3, not the state)
        results.append(dot_reporting.handler({**item, "step": "report_driver"}))
    per_driver_s = (time.perf_counter() - start) / len(drivers)
    dot_reporting.handler({"step": "publish_summary", "report_date": day, "results": results})
    RESULTS["dot_reporting gather (20 drivers)"] = {
        "records": 20,
        "seconds": round(gather_s, 3),
        "records_per_s": round(20 / gather_s, 1),
    }
    RESULTS["dot_reporting report_driver (gather, render, upload, status) per driver"] = {
        "records": 20,
        "seconds": round(per_driver_s * 20, 3),
        "records_per_s": round(1 / per_driver_s, 1),
    }


def teardown_module(module):
    if not RESULTS:
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "batch_size": BATCH,
                "results": RESULTS,
            },
            indent=2,
        )
    )
    print("\n| handler | records | seconds | records/s | CPU ms/record |")
    print("|---|---|---|---|---|")
    for name, r in RESULTS.items():
        print(f"| {name} | {r['records']} | {r['seconds']} | {r['records_per_s']} | {r.get('cpu_ms_per_record', '')} |")
