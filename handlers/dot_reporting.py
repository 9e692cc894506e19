"""DOT daily reporting: the task steps of the Step Functions workflow, `handler(event)` on event["step"].

The task payload is `{"step": name, "input": <state>}` (the Terraform state machine) or the state
with "step" set; both are accepted. The state machine runs gather, then a DISTRIBUTED Map whose
ItemReader reads the gathered manifest from S3 (children take batches of drivers and call
render_pdf -> upload -> update_status once per driver: one Lambda call per driver and step, so no
call grows with the fleet), whose ResultWriter writes the children's outputs to S3, then
publish_summary, which reads those result files. No state carries the driver list: at 234,000
drivers it would break the 256 KB state limit and the 25,000-event execution history.
Bulky data lives in the reports bucket under dot-reports/work/ (gathered documents, rendered PDFs,
the manifest, the map run results), final PDFs under dot-reports/date=<d>/<driver_id>.pdf with
object-lock retention. Steps (input -> output):
- gather {report_date? (ISO date, or absent/"yesterday": the report day of the event's `time`, else of
  execution_started_at, else of now: the latest date that has ended in every zone of
  REPORT_TIME_ZONES, reported for each driver from 00:00 to 24:00 in the home terminal's zone, 49 CFR
  395.8; see handlers.domain.hos.report_day), fleet_id?, driver_ids?} -> {report_date, bucket,
  key (the manifest: a JSON array of {driver_id, report_date}), count}
- render_pdf {report_date, driver_id} -> {... , pdf_key (staging), sha256, status, violation_count}
- upload {..., pdf_key, sha256} -> {..., report_key, eld_key} (also writes the driver's ELD output file,
  eld/<report_date>/<driver_id>.csv: handlers.dot_eld)
- update_status {..., report_key, status, violation_count} -> {driver_id, report_date, fleet_id, status,
  violation_count, violation_rules, report_key} (compact: it is what the map run results keep)
- publish_summary {report_date, count, map_run: {ResultWriterDetails: {Bucket, Key}}} (or inline
  `results`, the per-driver outputs) -> {summary_id, message_id, counts}; fails when the results do
  not cover `count` drivers.
A per-driver step without a driver_id fails (StepInputError): it is a wiring bug, not a batch.
Every step is idempotent: a retry rewrites the same keys and items.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

import urllib3

from handlers import dot_eld
from handlers.common import db
from handlers.common.aws import client, from_item, to_item
from handlers.common.config import MissingSetting, get_config
from handlers.common.driver_logs import read_log
from handlers.common.idempotency import stable_id
from handlers.common.keys import hos_drivers_key
from handlers.common.redis_client import get_redis
from handlers.common.s3 import head
from handlers.common.sns import publish
from handlers.domain import hos
from handlers.domain.hos.report_day import day_bounds, report_day

LOOKBACK_DAYS = 9
WORK_PREFIX = "dot-reports/work"
_http = urllib3.PoolManager(
    timeout=urllib3.Timeout(connect=3.0, read=30.0),
    retries=urllib3.Retry(
        total=2, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504), allowed_methods=frozenset({"POST"})
    ),
)


class StepInputError(ValueError):
    """The state machine passed a state this step cannot use (a wiring bug: fail the execution)."""


def _require(event: dict, *names: str) -> list:
    missing = [n for n in names if not event.get(n)]
    if missing:
        raise StepInputError(f"step {event.get('step')!r} needs {missing}")
    return [event[n] for n in names]


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _work_key(report_date: str, name: str) -> str:
    return f"{WORK_PREFIX}/date={report_date}/{name}"


def _put_json(key: str, doc) -> None:
    client("s3").put_object(
        Bucket=get_config().require("reports_bucket"),
        Key=key,
        ContentType="application/json",
        Body=json.dumps(doc, default=str, sort_keys=True).encode(),
    )


def _get(key: str) -> bytes:
    return client("s3").get_object(Bucket=get_config().require("reports_bucket"), Key=key)["Body"].read()


# ---- gather ---------------------------------------------------------------------------------
def _drivers(report_date: str, fleet_id: str | None, driver_ids: list | None) -> list[dict]:
    """Active drivers from Aurora, plus drivers the HOS processor saw that day (Redis set) who are
    not registered there yet: a log on the road must be reported even before onboarding caught up.
    For those, fleet, time zone and cycle come from their latest duty-status record."""
    sql = "SELECT driver_id, fleet_id, name, home_time_zone, ruleset, cycle FROM drivers WHERE active"
    params: list = []
    if fleet_id:
        sql += " AND fleet_id = %s"
        params.append(fleet_id)
    if driver_ids:
        sql += " AND driver_id = ANY(%s)"
        params.append(list(driver_ids))
    drivers = {d["driver_id"]: d for d in db.execute(sql, params)}
    seen = set(driver_ids) if driver_ids else get_redis().smembers(hos_drivers_key(report_date))
    for driver_id in sorted(set(seen) - set(drivers)):
        latest = _latest_log(driver_id)
        if latest and (not fleet_id or latest.get("fleet_id") == fleet_id):
            drivers[driver_id] = {
                "driver_id": driver_id,
                "fleet_id": latest.get("fleet_id"),
                "name": driver_id,
                "home_time_zone": latest.get("time_zone") or "UTC",
                "ruleset": latest.get("ruleset") or "us-property",
                "cycle": latest.get("cycle") or "70/8",
            }
    return [drivers[k] for k in sorted(drivers)]


def _latest_log(driver_id: str) -> dict | None:
    resp = client("dynamodb").query(
        TableName=get_config().driver_logs_table,
        KeyConditionExpression="driver_id = :d",
        ExpressionAttributeValues={":d": {"S": driver_id}},
        ScanIndexForward=False,
        Limit=1,
    )
    return from_item(resp["Items"][0]) if resp["Items"] else None


def gather_driver(driver: dict, report_date: str) -> dict:
    zone = driver["home_time_zone"]
    start, end = day_bounds(dt.date.fromisoformat(report_date), zone)
    start_ms, end_ms = _ms(start), _ms(end)
    log = read_log(driver["driver_id"], start_ms - LOOKBACK_DAYS * 86_400_000, end_ms)
    day_events = [e for e in log if e["event_time"] >= start_ms]
    prior = [e for e in log if e["event_time"] < start_ms][-1:]
    result = hos.evaluate_log(
        [
            {"status": e["status"], "at": e.get("ts") or dt.datetime.fromtimestamp(e["event_time"] / 1000, dt.UTC)}
            for e in log
        ],
        cycle=driver["cycle"],
        time_zone=zone,
        as_of=min(end, dt.datetime.now(dt.UTC)),
        ruleset=driver.get("ruleset"),
    )
    violations = [v.to_dict() for v in result.violations if v.end > start and v.start < end]
    inspections = db.execute(
        "SELECT inspection_id, vehicle_id, kind, inspected_at, result, defects FROM inspections "
        "WHERE driver_id = %s AND inspected_at >= %s AND inspected_at < %s ORDER BY inspected_at",
        (driver["driver_id"], start, end),
    )
    vehicles = sorted({e["vehicle_id"] for e in day_events + prior if e.get("vehicle_id")})
    open_orders = (
        db.execute(
            "SELECT alert_id, vehicle_id, rule, severity, due_by, status FROM maintenance_schedule "
            "WHERE vehicle_id = ANY(%s) AND status <> 'done' ORDER BY due_by",
            (vehicles,),
        )
        if vehicles
        else []
    )
    return {
        "driver_id": driver["driver_id"],
        "driver_name": driver["name"],
        "fleet_id": driver["fleet_id"],
        "report_date": report_date,
        "cycle": driver["cycle"],
        "time_zone": zone,
        "vehicles": vehicles,
        "events": [
            {
                "time": dt.datetime.fromtimestamp(e["event_time"] / 1000, ZoneInfo(zone)).strftime("%H:%M:%S"),
                "status": e["status"],
                "vehicle_id": e.get("vehicle_id"),
                "location": f"{e.get('lat')},{e.get('lon')}" if e.get("lat") is not None else "",
            }
            for e in day_events
        ],
        "status_at_start": prior[0]["status"] if prior else None,
        "totals": hos.daily_totals(prior + day_events, start_ms, end_ms),
        "violations": violations,
        "available": result.available.to_dict(),
        "inspections": [{**i, "inspected_at": i["inspected_at"].isoformat()} for i in inspections],
        "maintenance_open": [{**o, "due_by": o["due_by"].isoformat()} for o in open_orders],
    }


def _instant(text: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except (AttributeError, ValueError):
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _default_report_date(event: dict) -> str:
    """The report day (handlers.domain.hos.report_day) of the run's firing instant: the schedule
    event's `time`, else the execution's start, else now. A re-run of an old execution reports the
    same day it did the first time."""
    zones = get_config().report_time_zones
    if not zones:
        raise MissingSetting("REPORT_TIME_ZONES is not set (the fleet's home-terminal time zones)")
    fired = _instant(event.get("time")) or _instant(event.get("execution_started_at")) or dt.datetime.now(dt.UTC)
    return report_day(fired, zones).isoformat()


def gather(event: dict) -> dict:
    report_date = event.get("report_date")
    if report_date in (None, "", "yesterday"):  # the schedule's constant input says "yesterday"
        report_date = _default_report_date(event)
    dt.date.fromisoformat(report_date)
    drivers = _drivers(report_date, event.get("fleet_id"), event.get("driver_ids"))
    for driver in drivers:
        _put_json(_work_key(report_date, f"{driver['driver_id']}.json"), gather_driver(driver, report_date))
    entries = [{"driver_id": d["driver_id"], "report_date": report_date} for d in drivers]
    manifest_key = _work_key(report_date, "manifest.json")
    _put_json(manifest_key, entries)  # the Map state's ItemReader input: never passed in the state
    return {
        "report_date": report_date,
        "bucket": get_config().require("reports_bucket"),
        "key": manifest_key,
        "count": len(entries),
    }


# ---- render / upload / status / summary -----------------------------------------------------
def render_pdf(event: dict) -> dict:
    report_date, driver_id = _require(event, "report_date", "driver_id")
    doc = json.loads(_get(_work_key(report_date, f"{driver_id}.json")))
    resp = _http.request(
        "POST",
        f"{get_config().require('pdf_api_url')}/v1/rod-pdf",
        body=json.dumps(doc).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/pdf"},
    )
    if resp.status != 200 or not resp.data.startswith(b"%PDF-"):
        raise RuntimeError(f"PDF API answered HTTP {resp.status} ({resp.headers.get('Content-Type')})")
    pdf_key = _work_key(report_date, f"{driver_id}.pdf")
    client("s3").put_object(
        Bucket=get_config().require("reports_bucket"), Key=pdf_key, Body=resp.data, ContentType="application/pdf"
    )
    return {
        "report_date": report_date,
        "driver_id": driver_id,
        "fleet_id": doc["fleet_id"],
        "pdf_key": pdf_key,
        "sha256": hashlib.sha256(resp.data).hexdigest(),
        "pdf_bytes": len(resp.data),
        "violation_count": len(doc["violations"]),
        "violation_rules": sorted({v["rule"] for v in doc["violations"]}),
        "status": "violations" if doc["violations"] else "compliant",
    }


def report_key(report_date: str, driver_id: str) -> str:
    return f"dot-reports/date={report_date}/{driver_id}.pdf"


def upload(event: dict) -> dict:
    report_date, driver_id, pdf_key, sha = _require(event, "report_date", "driver_id", "pdf_key", "sha256")
    cfg, s3, key = get_config(), client("s3"), report_key(report_date, driver_id)
    # The ELD output file of the last 8 days goes next to the PDF (handlers.dot_eld: same bytes on a retry).
    doc = json.loads(_get(_work_key(report_date, f"{driver_id}.json")))
    eld_file = dot_eld.write_eld_file(report_date, driver_id, doc)
    existing = head(cfg.reports_bucket, key)
    if existing is not None and existing.get("Metadata", {}).get("sha256") == sha:
        return {**event, "report_key": key, "eld_key": eld_file}  # already uploaded by an earlier attempt
    body = _get(pdf_key)
    if hashlib.sha256(body).hexdigest() != sha:
        raise RuntimeError(f"staged PDF {pdf_key} does not match the rendered checksum")
    s3.put_object(
        Bucket=cfg.reports_bucket,
        Key=key,
        Body=body,
        ContentType="application/pdf",
        Metadata={"sha256": sha, "driver_id": driver_id, "report_date": report_date},
        ObjectLockMode=cfg.report_object_lock_mode,
        ChecksumAlgorithm="SHA256",
        ObjectLockRetainUntilDate=dt.datetime.now(dt.UTC) + dt.timedelta(days=cfg.report_retention_days),
    )
    return {**event, "report_key": key, "eld_key": eld_file}


def update_status(event: dict) -> dict:
    report_date, driver_id, key, status = _require(event, "report_date", "driver_id", "report_key", "status")
    client("dynamodb").put_item(
        TableName=get_config().compliance_status_table,
        Item=to_item(
            {
                "driver_id": driver_id,
                "report_date": report_date,
                "status": status,
                "report_key": key,
                "fleet_id": event.get("fleet_id"),
                "violations": int(event.get("violation_count") or 0),
                "violation_rules": event.get("violation_rules") or [],
                "sha256": event.get("sha256"),
                "updated_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        ),
    )
    return {
        "driver_id": driver_id,
        "report_date": report_date,
        "fleet_id": event.get("fleet_id"),
        "status": status,
        "violation_count": int(event.get("violation_count") or 0),
        "violation_rules": event.get("violation_rules") or [],
        "report_key": key,
    }


def _map_run_results(details: dict):
    """Per-driver outputs from a DISTRIBUTED Map's ResultWriter: its manifest lists result files
    (SUCCEEDED_n.json, arrays of child executions whose Output is the JSON string of the child's
    output, here the list of the batch's update_status outputs). Failed or pending children mean
    missing drivers; they are counted, never skipped silently."""
    s3 = client("s3")
    bucket, key = details["Bucket"], details["Key"]
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    files = manifest.get("ResultFiles") or {}
    unfinished = sum(len(files.get(k) or []) for k in ("FAILED", "PENDING"))
    if unfinished:
        raise StepInputError(f"map run {manifest.get('MapRunArn')} has {unfinished} failed or pending result files")
    for result_file in files.get("SUCCEEDED") or []:
        records = json.loads(
            s3.get_object(Bucket=manifest.get("DestinationBucket") or bucket, Key=result_file["Key"])["Body"].read()
        )
        for record in records:
            output = json.loads(record.get("Output") or "null")
            for result in output if isinstance(output, list) else [output]:
                if isinstance(result, dict):
                    yield result
        del records


_FINGERPRINT_MOD = 1 << 128


def _driver_hash(driver_id: str) -> int:
    """Summed over the drivers, an order-independent fingerprint of the set that costs no memory per
    driver (a prod run reports ~234,000): a retry with the same drivers gets the same summary_id."""
    return int(hashlib.sha256(driver_id.encode()).hexdigest()[:32], 16)


def publish_summary(event: dict) -> dict:
    (report_date,) = _require(event, "report_date")
    details = (event.get("map_run") or {}).get("ResultWriterDetails")
    if details:
        results = _map_run_results(details)
    elif isinstance(event.get("results"), list):
        results = event["results"]
    else:
        raise StepInputError(f"step {event.get('step')!r} needs the per-driver results (map_run or results)")
    reported, violations, by_fleet = 0, 0, {}
    fingerprint, with_violations, listed = 0, 0, []
    for r in results:  # aggregated while read (one result file at a time), not kept per driver
        reported += 1
        fingerprint = (fingerprint + _driver_hash(r.get("driver_id", ""))) % _FINGERPRINT_MOD
        violations += int(r.get("violation_count") or 0)
        fleet = by_fleet.setdefault(r.get("fleet_id") or "unknown", {"drivers": 0, "with_violations": 0})
        fleet["drivers"] += 1
        if r.get("status") == "violations":
            with_violations += 1
            fleet["with_violations"] += 1
            if len(listed) < 500:
                listed.append(
                    {
                        "driver_id": r["driver_id"],
                        "violation_count": r.get("violation_count", 0),
                        "report_key": r.get("report_key"),
                    }
                )
    expected = event.get("count", event.get("driver_count"))
    if expected is not None and int(expected) != reported:
        # never publish a summary that silently skips drivers
        raise StepInputError(f"step {event.get('step')!r} got {reported} results for {expected} drivers")
    summary = {
        "summary_id": f"ds-{stable_id(report_date, reported, f'{fingerprint:032x}')}",
        "report_date": report_date,
        "drivers_reported": reported,
        "drivers_with_violations": with_violations,
        "violations": violations,
        "by_fleet": by_fleet,
        "drivers": listed,
    }
    severity = "warning" if with_violations else "info"
    message_id = publish(get_config().require("summary_topic_arn"), summary, severity, "dot_daily_summary")
    return {
        "summary_id": summary["summary_id"],
        "message_id": message_id,
        "drivers_reported": reported,
        "drivers_with_violations": with_violations,
    }


PER_DRIVER = {"render_pdf": render_pdf, "upload": upload, "update_status": update_status}
STEPS = {"gather": gather, "publish_summary": publish_summary, **PER_DRIVER}


def handler(event, context=None):
    event = event or {}
    step = event.get("step")
    if step not in STEPS:
        raise StepInputError(f"unknown step {step!r}; expected one of {sorted(STEPS)}")
    payload = dict(event["input"]) if isinstance(event.get("input"), dict) else {}
    payload.update({k: v for k, v in event.items() if k not in ("step", "input")})
    out = STEPS[step](payload)
    out.pop("step", None)  # outputs feed the next task, whose payload sets its own step
    return out
