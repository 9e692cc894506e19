"""DOT daily reporting: the task steps of the Step Functions workflow, `handler(event, context)` on event["step"].

The task payload is `{"step": name, "input": <state>}` (the Terraform state machine) or the state
with "step" set; both are accepted. The workflow (infra/tap_stack.tf, `dot_definition`):

  Gather -> DISTRIBUTED Map over the manifest (ItemReader; ItemBatcher: a child execution per shard of
  drivers) -> in each child an inline Map, per driver ReportDriver (Retry with backoff on the handler's
  own errors and timeouts; Catch -> DriverFailed, a Pass that records the failure as the driver's result)
  -> ResultWriter -> PublishSummary.

So every Lambda call is bounded: gather lists driver ids only (no per-driver work), report_driver does
one driver, publish_summary streams the result files. A driver that still fails after its retries is a
result with status "failed" and the reason: the shard and the day complete for everyone else, and
publish_summary writes the failures report and a compliance_status item "report_failed" for it.

Work files (the manifest, the map run's result files, the failures report) go to DOT_WORK_BUCKET (no
Object Lock, expiring: tap_stack.tf `dot_work`); reports (PDF, ELD file) to REPORTS_BUCKET (Object Lock).

Steps (input -> output):
- gather {report_date? (ISO date, or absent/"yesterday": the report day of the event's `time`, else of
  execution_started_at, else of now: the latest date that has ended in every zone of
  REPORT_TIME_ZONES, reported for each driver from 00:00 to 24:00 in the home terminal's zone, 49 CFR
  395.8; see handlers.domain.hos.report_day), fleet_id?, driver_ids?} -> {report_date, bucket, key (the
  manifest in the work bucket: a JSON array of {driver_id, report_date}), count}
- report_driver {report_date, driver_id} -> {driver_id, report_date, fleet_id, status ("compliant" |
  "violations"), violation_count, violation_rules, report_key, eld_key}: gathers the driver's day (driver
  row, 9 days of log, HOS engine, inspections, open work orders), renders the PDF through the PDF API
  within the time the invocation has left, stores the PDF (Object Lock) and the ELD file, writes
  compliance_status. Idempotent: a retry rewrites the same keys and item.
- publish_summary {report_date, key (manifest), count, map_run: {ResultWriterDetails: {Bucket, Key}}} (or
  inline `results`) -> {summary_id, message_id, drivers_reported, drivers_with_violations, drivers_failed,
  failures_key}. Drivers of the manifest with no result (a child execution that failed) count as failed.
A step without the fields it needs fails with StepInputError (a wiring bug, never retried).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from zoneinfo import ZoneInfo

import urllib3

from handlers import dot_eld
from handlers.common import db, json_stream
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
RESERVE_S = 5.0  # kept back from the remaining time for the S3/DynamoDB writes after the PDF call
MIN_PDF_S = 2.0  # below this the step gives up (BudgetExhausted) and Step Functions retries it
NO_CONTEXT_BUDGET_S = 60.0  # called outside Lambda (tests, scripts): the budget of a 60 s function
MAX_STATUS_WRITES = 1000  # failed drivers written to compliance_status by one publish_summary
LISTED_FAILURES = 100  # failed drivers named in the SNS summary (the report lists all)
# The PDF API's limits per attempt and its retries (make preflight reads them: the unbudgeted worst case).
# render_pdf makes the attempts itself so that each one, and the backoff, fits in the time left.
PDF_TIMEOUT = urllib3.Timeout(connect=3.0, read=30.0)
PDF_RETRY = urllib3.Retry(
    total=2, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504), allowed_methods=frozenset({"POST"})
)
_http = urllib3.PoolManager(timeout=PDF_TIMEOUT, retries=False)


class StepInputError(ValueError):
    """The state machine passed a state this step cannot use (a wiring bug: fail, never retried)."""


class BudgetExhausted(RuntimeError):
    """Too little of the invocation's time is left for the downstream call: Step Functions retries."""


class PdfApiError(RuntimeError):
    """The PDF API did not answer with a PDF after its attempts (retried by Step Functions)."""


class DriverNotFound(RuntimeError):
    """A manifest driver is neither in Aurora nor in driver_logs (recorded as a failed driver)."""


def _require(event: dict, *names: str) -> list:
    missing = [n for n in names if not event.get(n)]
    if missing:
        raise StepInputError(f"step {event.get('step')!r} needs {missing}")
    return [event[n] for n in names]


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _work_key(report_date: str, name: str) -> str:
    return f"{WORK_PREFIX}/date={report_date}/{name}"


def _remaining_s(context) -> float:
    """Seconds the invocation has left (Lambda's context), or a fixed budget outside Lambda."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return NO_CONTEXT_BUDGET_S
    return context.get_remaining_time_in_millis() / 1000.0


class _Budget:
    """The invocation's time: deadlines for downstream calls so none outlives the function's timeout."""

    def __init__(self, context) -> None:
        self._deadline = time.monotonic() + _remaining_s(context)

    def left_s(self) -> float:
        return self._deadline - time.monotonic() - RESERVE_S


# ---- gather ---------------------------------------------------------------------------------
def _driver_ids(report_date: str, fleet_id: str | None, driver_ids: list | None) -> list[str]:
    """Active drivers from Aurora, plus drivers the HOS processor saw that day (Redis set) who are
    not registered there yet: a log on the road must be reported even before onboarding caught up.
    Only ids: at 234,000 drivers the manifest stays ~12 MB and gather does no per-driver work."""
    sql = "SELECT driver_id FROM drivers WHERE active"
    params: list = []
    if fleet_id:
        sql += " AND fleet_id = %s"
        params.append(fleet_id)
    if driver_ids:
        sql += " AND driver_id = ANY(%s)"
        params.append(list(driver_ids))
    registered = {row["driver_id"] for row in db.execute(sql, params)}
    seen = set(driver_ids) if driver_ids else get_redis().smembers(hos_drivers_key(report_date))
    walk_ins = set(seen) - registered
    del seen
    for driver_id in sorted(walk_ins):
        latest = _latest_log(driver_id)
        if latest and (not fleet_id or latest.get("fleet_id") == fleet_id):
            registered.add(driver_id)
    return sorted(registered)


def _latest_log(driver_id: str) -> dict | None:
    resp = client("dynamodb").query(
        TableName=get_config().driver_logs_table,
        KeyConditionExpression="driver_id = :d",
        ExpressionAttributeValues={":d": {"S": driver_id}},
        ScanIndexForward=False,
        Limit=1,
    )
    return from_item(resp["Items"][0]) if resp["Items"] else None


def _default_report_date(event: dict) -> str:
    """The report day (handlers.domain.hos.report_day) of the run's firing instant: the schedule
    event's `time`, else the execution's start, else now. A re-run of an old execution reports the
    same day it did the first time."""
    zones = get_config().report_time_zones
    if not zones:
        raise MissingSetting("REPORT_TIME_ZONES is not set (the fleet's home-terminal time zones)")
    fired = _instant(event.get("time")) or _instant(event.get("execution_started_at")) or dt.datetime.now(dt.UTC)
    return report_day(fired, zones).isoformat()


def _instant(text: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except (AttributeError, ValueError):
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def gather(event: dict, context=None) -> dict:
    report_date = event.get("report_date")
    if report_date in (None, "", "yesterday"):  # the schedule's constant input says "yesterday"
        report_date = _default_report_date(event)
    dt.date.fromisoformat(report_date)
    ids = _driver_ids(report_date, event.get("fleet_id"), event.get("driver_ids"))
    body = json.dumps([{"driver_id": d, "report_date": report_date} for d in ids], separators=(",", ":")).encode()
    manifest_key = _work_key(report_date, "manifest.json")
    bucket = get_config().require("dot_work_bucket")
    # The Map state's ItemReader input: never passed in the state.
    client("s3").put_object(Bucket=bucket, Key=manifest_key, ContentType="application/json", Body=body)
    return {"report_date": report_date, "bucket": bucket, "key": manifest_key, "count": len(ids)}


# ---- one driver -----------------------------------------------------------------------------
def _driver(driver_id: str) -> dict:
    rows = db.execute(
        "SELECT driver_id, fleet_id, name, home_time_zone, ruleset, cycle FROM drivers WHERE driver_id = %s",
        (driver_id,),
    )
    if rows:
        return rows[0]
    latest = _latest_log(driver_id)  # a walk-in: fleet, zone and cycle from the latest duty-status record
    if latest is None:
        raise DriverNotFound(f"driver {driver_id} is neither in drivers nor in driver_logs")
    return {
        "driver_id": driver_id,
        "fleet_id": latest.get("fleet_id"),
        "name": driver_id,
        "home_time_zone": latest.get("time_zone") or "UTC",
        "ruleset": latest.get("ruleset") or "us-property",
        "cycle": latest.get("cycle") or "70/8",
    }


def gather_driver(driver: dict, report_date: str) -> dict:
    """The driver's report document for the home-terminal day `report_date` (49 CFR 395.8)."""
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


def render_pdf(doc: dict, budget: _Budget) -> bytes:
    """The FMCSA-format PDF from the PDF API. Each attempt's timeouts fit in what the invocation has
    left (minus RESERVE_S for the writes after it); with less than MIN_PDF_S left, BudgetExhausted."""
    body = json.dumps(doc, default=str).encode()
    last = "no attempt"
    for attempt in range(PDF_RETRY.total + 1):
        left = budget.left_s()
        if left < MIN_PDF_S:
            raise BudgetExhausted(f"{left:.1f} s left for the PDF API after {attempt} attempts ({last})")
        timeout = PDF_TIMEOUT.clone()
        timeout.total = left  # the attempt's connect + read never outlast the invocation's budget
        try:
            resp = _http.request(
                "POST",
                f"{get_config().require('pdf_api_url')}/v1/rod-pdf",
                body=body,
                headers={"Content-Type": "application/json", "Accept": "application/pdf"},
                timeout=timeout,
            )
        except urllib3.exceptions.HTTPError as exc:  # timeouts and connection errors
            last = f"{type(exc).__name__}: {exc}"
        else:
            if resp.status == 200 and resp.data.startswith(b"%PDF-"):
                return resp.data
            last = f"HTTP {resp.status} ({resp.headers.get('Content-Type')})"
            if resp.status not in PDF_RETRY.status_forcelist:
                break
        time.sleep(min(PDF_RETRY.backoff_factor * 2**attempt, max(0.0, budget.left_s() - MIN_PDF_S)))
    raise PdfApiError(f"PDF API gave no PDF: {last}")


def report_key(report_date: str, driver_id: str) -> str:
    return f"dot-reports/date={report_date}/{driver_id}.pdf"


def store_report(report_date: str, driver_id: str, pdf: bytes) -> str:
    """The PDF in the Object Lock bucket; a retry that rendered the same bytes writes nothing."""
    cfg, key = get_config(), report_key(report_date, driver_id)
    sha = hashlib.sha256(pdf).hexdigest()
    existing = head(cfg.reports_bucket, key)
    if existing is not None and existing.get("Metadata", {}).get("sha256") == sha:
        return key
    client("s3").put_object(
        Bucket=cfg.reports_bucket,
        Key=key,
        Body=pdf,
        ContentType="application/pdf",
        Metadata={"sha256": sha, "driver_id": driver_id, "report_date": report_date},
        ObjectLockMode=cfg.report_object_lock_mode,
        ChecksumAlgorithm="SHA256",
        ObjectLockRetainUntilDate=dt.datetime.now(dt.UTC) + dt.timedelta(days=cfg.report_retention_days),
    )
    return key


def record_status(result: dict, **extra) -> None:
    client("dynamodb").put_item(
        TableName=get_config().compliance_status_table,
        Item=to_item(
            {
                "driver_id": result["driver_id"],
                "report_date": result["report_date"],
                "status": result["status"],
                "report_key": result.get("report_key"),
                "fleet_id": result.get("fleet_id"),
                "violations": int(result.get("violation_count") or 0),
                "violation_rules": result.get("violation_rules") or [],
                "updated_at": dt.datetime.now(dt.UTC).isoformat(),
                **extra,
            }
        ),
    )


def report_driver(event: dict, context=None) -> dict:
    report_date, driver_id = _require(event, "report_date", "driver_id")
    budget = _Budget(context)
    doc = gather_driver(_driver(driver_id), report_date)
    pdf = render_pdf(doc, budget)
    key = store_report(report_date, driver_id, pdf)
    # The ELD output file of the last 8 days goes next to the PDF (handlers.dot_eld: same bytes on a retry).
    eld_key = dot_eld.write_eld_file(report_date, driver_id, doc)
    result = {
        "driver_id": driver_id,
        "report_date": report_date,
        "fleet_id": doc["fleet_id"],
        "status": "violations" if doc["violations"] else "compliant",
        "violation_count": len(doc["violations"]),
        "violation_rules": sorted({v["rule"] for v in doc["violations"]}),
        "report_key": key,
        "eld_key": eld_key,
    }
    record_status(result, sha256=hashlib.sha256(pdf).hexdigest())
    return result  # compact: it is what the map run's result files keep


# ---- summary --------------------------------------------------------------------------------
def _map_run_results(details: dict):
    """Per-driver outputs from a DISTRIBUTED Map's ResultWriter: its manifest lists result files
    (SUCCEEDED_n.json, FAILED_n.json: arrays of child executions whose Output is the JSON string of the
    child's output, here the list of the shard's per-driver results). A failed child has no output; its
    drivers are found missing against the manifest (publish_summary). Read as a stream: a result file
    holds the whole fleet's results (~80 MB at 234,000 drivers), more than dev's memory parsed whole."""
    s3 = client("s3")
    bucket, key = details["Bucket"], details["Key"]
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    files = manifest.get("ResultFiles") or {}
    for result_file in files.get("SUCCEEDED") or []:
        body = s3.get_object(Bucket=manifest.get("DestinationBucket") or bucket, Key=result_file["Key"])["Body"]
        for record in json_stream.array_items(body):  # one child's record at a time, not the file
            output = json.loads(record.get("Output") or "null")
            for result in output if isinstance(output, list) else [output]:
                if isinstance(result, dict):
                    yield result


def _manifest_ids(bucket: str, key: str) -> set[str]:
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    return {entry["driver_id"] for entry in json_stream.array_items(body)}


_FINGERPRINT_MOD = 1 << 128


def _driver_hash(driver_id: str) -> int:
    """Summed over the drivers, an order-independent fingerprint of the set that costs no memory per
    driver (a prod run reports ~234,000): a retry with the same drivers gets the same summary_id."""
    return int(hashlib.sha256(driver_id.encode()).hexdigest()[:32], 16)


def _reason(result: dict) -> str:
    """`Error: message` from the Catch's {Error, Cause}; a Lambda error's Cause is its error document."""
    error = result.get("error")
    if not isinstance(error, dict):
        return str(error or "no result")
    cause = error.get("Cause") or ""
    try:
        cause = json.loads(cause).get("errorMessage", cause)
    except (TypeError, ValueError, AttributeError):
        pass
    return f"{error.get('Error')}: {str(cause)[:500]}"


def _record_failures(report_date: str, failures: list[dict]) -> str:
    """The failures report (work bucket) and compliance_status "report_failed" for each failed driver."""
    cfg = get_config()
    key = _work_key(report_date, "failures.json")
    client("s3").put_object(
        Bucket=cfg.require("dot_work_bucket"),
        Key=key,
        ContentType="application/json",
        Body=json.dumps({"report_date": report_date, "failed": failures}, sort_keys=True).encode(),
    )
    for failure in failures[:MAX_STATUS_WRITES]:
        record_status({**failure, "status": "report_failed"}, reason=failure["reason"])
    return key


def publish_summary(event: dict, context=None) -> dict:
    (report_date,) = _require(event, "report_date")
    details = (event.get("map_run") or {}).get("ResultWriterDetails")
    if details:
        results = _map_run_results(details)
    elif isinstance(event.get("results"), list):
        results = event["results"]
    else:
        raise StepInputError(f"step {event.get('step')!r} needs the per-driver results (map_run or results)")
    expected = _manifest_ids(event["bucket"], event["key"]) if event.get("bucket") and event.get("key") else None
    reported, violations, by_fleet = 0, 0, {}
    fingerprint, with_violations, listed, failures = 0, 0, [], []
    for r in results:  # aggregated while read (one child's record at a time), not kept per driver
        driver_id = r.get("driver_id", "")
        if expected is not None:
            expected.discard(driver_id)
        if r.get("status") == "failed":
            failures.append({"driver_id": driver_id, "report_date": report_date, "reason": _reason(r)})
            continue
        reported += 1
        fingerprint = (fingerprint + _driver_hash(driver_id)) % _FINGERPRINT_MOD
        violations += int(r.get("violation_count") or 0)
        fleet = by_fleet.setdefault(r.get("fleet_id") or "unknown", {"drivers": 0, "with_violations": 0})
        fleet["drivers"] += 1
        if r.get("status") == "violations":
            with_violations += 1
            fleet["with_violations"] += 1
            if len(listed) < 500:
                listed.append(
                    {
                        "driver_id": driver_id,
                        "violation_count": r.get("violation_count", 0),
                        "report_key": r.get("report_key"),
                    }
                )
    for driver_id in sorted(expected or ()):  # in the manifest, in no result file: its child failed
        failures.append({"driver_id": driver_id, "report_date": report_date, "reason": "no result (child failed)"})
    count = event.get("count", event.get("driver_count"))
    if expected is None and count is not None and int(count) != reported + len(failures):
        # never publish a summary that silently skips drivers
        raise StepInputError(f"step {event.get('step')!r} got {reported + len(failures)} results for {count} drivers")
    failures_key = _record_failures(report_date, failures) if failures else None
    summary = {
        "summary_id": f"ds-{stable_id(report_date, reported, len(failures), f'{fingerprint:032x}')}",
        "report_date": report_date,
        "drivers_reported": reported,
        "drivers_with_violations": with_violations,
        "drivers_failed": len(failures),
        "failures_key": failures_key,
        "failed": [f["driver_id"] for f in failures[:LISTED_FAILURES]],
        "violations": violations,
        "by_fleet": by_fleet,
        "drivers": listed,
    }
    severity = "critical" if failures else "warning" if with_violations else "info"
    message_id = publish(get_config().require("summary_topic_arn"), summary, severity, "dot_daily_summary")
    return {
        "summary_id": summary["summary_id"],
        "message_id": message_id,
        "drivers_reported": reported,
        "drivers_with_violations": with_violations,
        "drivers_failed": len(failures),
        "failures_key": failures_key,
    }


STEPS = {"gather": gather, "report_driver": report_driver, "publish_summary": publish_summary}


def handler(event, context=None):
    event = event or {}
    step = event.get("step")
    if step not in STEPS:
        raise StepInputError(f"unknown step {step!r}; expected one of {sorted(STEPS)}")
    payload = dict(event["input"]) if isinstance(event.get("input"), dict) else {}
    payload.update({k: v for k, v in event.items() if k not in ("step", "input")})
    out = STEPS[step](payload, context)
    out.pop("step", None)  # outputs feed the next task, whose payload sets its own step
    return out
