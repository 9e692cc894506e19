"""Message bodies for `make event`, built from the simulator's records through the pipeline's own code.

- `hos_violation_messages`: hos-violations bodies as hos_processor publishes them. Each simulated
  driver (identity, fleet, cycle, home-terminal zone, rule set from the simulator's HOS records) gets a
  day whose log breaks the 11-hour driving limit (10 h off, 15 min on duty, 11 h 30 min driving); the
  HOS engine finds the violations and `hos_processor.violation_message` builds the bodies.
- `coaching_messages`: driver-coaching bodies as fuel_analytics publishes them: one simulated vehicle
  hour of diagnostics with the engine idling through it, assessed by the fuel domain against the
  vehicle type's benchmark (`fuel_analytics.coaching_message`).
- `dot_driver_ids`: drivers of the simulated fleet (a scenario run logs their statuses in driver_logs,
  which is where report_driver finds a driver not registered in Aurora).
"""

from __future__ import annotations

import datetime as dt
import uuid

from handlers.domain.telemetry import decode, iso_to_epoch_ms


def _decoded(data: bytes) -> dict:
    record = decode(data)
    record.setdefault("ts_ms", iso_to_epoch_ms(record["ts"]))
    return record


def _records(kind: str, count: int, vehicles: int | None = None) -> list[dict]:
    from harness.events import simulated_records

    return [_decoded(data) for _key, data in simulated_records(kind, count, vehicles=vehicles)]


def _drivers(count: int) -> list[dict]:
    """One HOS record per driver of a simulated fleet of `count` drivers (the first of each). The
    fleet's first batch holds each one's status at the start, however many statuses a driver logged
    since the last rest (at 06:00 UTC the first driver's shift filled the first 11 records)."""
    from harness.events import simulated_fleet

    first_batch = next(iter(simulated_fleet(max(count, 2)).batches()))
    seen: dict[str, dict] = {}
    for _key, data in first_batch.records["hos"]:
        record = _decoded(data)
        seen.setdefault(record["driver_id"], record)
    return list(seen.values())[:count]


def hos_violation_messages(count: int, now: dt.datetime | None = None) -> list[tuple[dict, dict]]:
    """(body, attributes) of `count` violations, attributes as hos_processor sets them."""
    from handlers import hos_processor
    from handlers.domain import hos

    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    end = now - dt.timedelta(minutes=5)
    drive_from = end - dt.timedelta(hours=11, minutes=30)
    log = [
        (drive_from - dt.timedelta(hours=10, minutes=15), "OFF"),
        (drive_from - dt.timedelta(minutes=15), "ON"),
        (drive_from, "D"),
        (end, "OFF"),
    ]
    found: list[tuple[dict, dict]] = []
    for driver in _drivers(max(count, 1)):
        record = {
            **driver,
            "status": "OFF",
            "ts": end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "ts_ms": int(end.timestamp() * 1000),
            "record_id": f"{driver['vehicle_id']}-h-{int(end.timestamp() * 1000)}",
        }
        result = hos.evaluate_log(
            [{"status": status, "at": at} for at, status in log],
            cycle=record["cycle"],
            time_zone=record["time_zone"],
            exceptions=record.get("exceptions") or (),
            as_of=end,
            ruleset=record.get("ruleset"),
        )
        for violation in result.violations:
            body = hos_processor.violation_message(record, violation)
            attributes = {"severity": body["severity"], "event_type": hos_processor.EVENT_TYPE, "rule": violation.rule}
            found.append((body, attributes))
    if not found:
        raise RuntimeError("the HOS engine found no violation in an 11 h 30 min drive (rules changed?)")
    return found[:count]


def coaching_messages(count: int) -> list[tuple[dict, dict]]:
    """(body, attributes) of `count` coaching messages, attributes as fuel_analytics sets them."""
    from handlers import fuel_analytics
    from handlers.common.idempotency import stable_id
    from handlers.domain import fuel

    by_vehicle: dict[str, list[dict]] = {}
    vehicles = max(count, 1) + 1  # an hour of samples each (a record a minute)
    for record in _records("diagnostics", 60 * vehicles, vehicles=vehicles):
        by_vehicle.setdefault(record["vehicle_id"], []).append(record)
    found: list[tuple[dict, dict]] = []
    for records in by_vehicle.values():
        idled = []
        for index, record in enumerate(records):
            signals = dict(record["signals"], engine_rpm=700, vehicle_speed_kph=0.0, fuel_rate_lph=2.5)
            signals["fuel_used_l"] = record["signals"]["fuel_used_l"] + 2.5 * index / 60
            idled.append({"ts_ms": record["ts_ms"], **signals})
        last = records[-1]
        bench = fuel.Benchmark.from_mapping(last["vehicle_type"], {})
        result = fuel.assess(idled, bench)
        if not result.coaching or not last.get("driver_id"):
            continue
        bucket = last["ts_ms"] - last["ts_ms"] % fuel_analytics.COACHING_BUCKET_MS
        coaching_id = f"fc-{stable_id(last['vehicle_id'], last.get('driver_id'), bucket)}"
        body = fuel_analytics.coaching_message(last, result, bench, coaching_id)
        found.append((body, {"severity": body["severity"], "event_type": fuel_analytics.EVENT_TYPE}))
        if len(found) >= count:
            break
    if not found:
        raise RuntimeError("the fuel domain gave no coaching for an idling hour (rules changed?)")
    return found


def dot_driver_ids(count: int) -> list[str]:
    return [record["driver_id"] for record in _drivers(count)]


DOT_STEPS = ("gather", "report_driver", "publish_summary")
# infra/tap_stack.tf: dot_work_prefix and the Map's ResultWriter prefix (dot_results_prefix).
DOT_WORK_PREFIX = "dot-reports/work"
DOT_RESULTS_PREFIX = f"{DOT_WORK_PREFIX}/map-runs"


def dot_task_payload(
    step: str,
    zones: list[str],
    work_bucket: str,
    machine_arn: str,
    count: int,
    now: dt.datetime | None = None,
    finished_run: dict | None = None,
) -> dict:
    """The DOT state machine's Task payload for `step` (infra/tap_stack.tf dot_definition), for the
    report day of `now` in the fleet's home-terminal `zones` (handlers.domain.hos.report_day):

    - gather: the schedule's input `{"trigger": "schedule", "report_date": "yesterday"}` and
      `execution_started_at` ($$.Execution.StartTime);
    - report_driver: the inline Map's ItemSelector `{driver_id, report_date}` of a simulated driver;
    - publish_summary: gather's output (report_date, the manifest's bucket and key, count) with the
      distributed Map's ResultPath `map_run` (MapRunArn, ResultWriterDetails of its manifest). The
      files it names exist after a DOT execution of that day ran its Map (make sim SCENARIO=dot-daily-report);
      `finished_run` ({report_date, count, map_run}, `latest_map_run`) is such a run: then the
      payload names its files, which publish_summary reads."""
    from handlers.domain.hos.report_day import report_day
    from harness.event_envelopes import iso_instant, step_functions_task

    if step not in DOT_STEPS:
        raise LookupError(f"dot_report has no step {step!r}; steps: {', '.join(DOT_STEPS)}")
    now = now or dt.datetime.now(dt.UTC)
    if step == "gather":
        state = {"trigger": "schedule", "report_date": "yesterday"}
        return step_functions_task(step, state, execution_started_at=iso_instant(now.timestamp()))
    if not zones:
        raise LookupError("dot_report has no REPORT_TIME_ZONES in its environment: cannot name the report day")
    report_date = report_day(now, zones).isoformat()
    if step == "report_driver":
        return step_functions_task(step, {"driver_id": dot_driver_ids(1)[0], "report_date": report_date})
    if finished_run is not None:
        state = {
            "report_date": finished_run["report_date"],
            "bucket": work_bucket,
            "key": f"{DOT_WORK_PREFIX}/date={finished_run['report_date']}/manifest.json",
            "count": finished_run["count"],
            "map_run": finished_run["map_run"],
        }
        return step_functions_task(step, state)
    run_id = str(uuid.uuid4())
    execution = machine_arn.replace(":stateMachine:", ":mapRun:") + f"/DotDrivers:{run_id}"
    state = {
        "report_date": report_date,
        "bucket": work_bucket,
        "key": f"{DOT_WORK_PREFIX}/date={report_date}/manifest.json",
        "count": len(dot_driver_ids(count)),
        "map_run": {
            "MapRunArn": execution,
            "ResultWriterDetails": {"Bucket": work_bucket, "Key": f"{DOT_RESULTS_PREFIX}/{run_id}/manifest.json"},
        },
    }
    return step_functions_task(step, state)


def latest_map_run(s3, bucket: str) -> dict | None:
    """The DOT workflow's latest finished map run in the work bucket, as publish_summary's state
    names it: {report_date, count (drivers in that day's manifest), map_run {MapRunArn,
    ResultWriterDetails}}; None when no run wrote its results there (or they cannot be read)."""
    import json

    latest = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{DOT_RESULTS_PREFIX}/"):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/manifest.json") and (
                latest is None or item["LastModified"] > latest["LastModified"]
            ):
                latest = item
    if latest is None:
        return None

    def read(key: str, where: str = bucket):
        return json.loads(s3.get_object(Bucket=where, Key=key)["Body"].read())

    manifest = read(latest["Key"])
    for result_file in (manifest.get("ResultFiles") or {}).get("SUCCEEDED") or []:
        for record in read(result_file["Key"], manifest.get("DestinationBucket") or bucket):
            output = json.loads(record.get("Output") or "null")
            for result in output if isinstance(output, list) else [output]:
                if isinstance(result, dict) and result.get("report_date"):
                    date = result["report_date"]
                    drivers = read(f"{DOT_WORK_PREFIX}/date={date}/manifest.json")
                    return {
                        "report_date": date,
                        "count": len(drivers),
                        "map_run": {
                            "MapRunArn": manifest.get("MapRunArn"),
                            "ResultWriterDetails": {"Bucket": bucket, "Key": latest["Key"]},
                        },
                    }
    return None
