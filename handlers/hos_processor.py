"""HOS stream -> compliance_rules -> driver_logs -> HOS engine -> hos-violations topic.

Each record names the driver's rule set (`ruleset`, default us-property) and cycle; the log is
evaluated under that rule set (handlers.domain.hos.rulesets; the compliance_rules limits apply to
us-property). PC/YM statuses, positions, `origin`/`annotation` (edits) and exception objects are
stored with the event and passed to the engine as the ELD recorded them. The vehicle's duty status
is kept in Redis (handlers.common.vehicle_duty) for the unassigned-driving check of location_tracker.

The duty-status change is stored with a conditional put (redelivery writes nothing; an edit or a
conflicting record at the same instant is kept, see store_log). The driver's last LOOKBACK_DAYS of
log are then evaluated as of this event. A violation gets a deterministic id (driver, rule, start of
the over-limit driving) when it is first announced and keeps it (handlers.domain.hos.identity): a
violation that keeps growing is announced once, and one whose start a late record moved is
published again as an update (event_type hos_violation_update, same violation_id, `revision` and
the previous states in `history`), which the report writer turns into an amendment object. Publish
happens under the driver's lease (handlers.common.leases) and is recorded in Redis only after it
succeeded, so a crash in between re-publishes the same id and revision (the report writer dedupes).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from handlers.common import batch, vehicle_duty, violation_registry
from handlers.common.aws import client, from_item, is_conditional_failure, to_item, warm
from handlers.common.cache import TTLCache
from handlers.common.config import get_config
from handlers.common.driver_logs import read_log
from handlers.common.errors import PoisonRecord
from handlers.common.idempotency import already_done, mark_done, stable_id
from handlers.common.keys import hos_drivers_key
from handlers.common.leases import lease
from handlers.common.records import telemetry_from_kinesis
from handlers.common.redis_client import get_redis
from handlers.common.sns import publish
from handlers.domain import hos
from handlers.domain.hos import identity
from handlers.domain.hos.identity import KnownViolation
from handlers.domain.hos.rules import RULE_SET
from handlers.domain.hos.rulesets import US_PROPERTY

processor = batch.Processor(batch.EventType.KinesisDataStreams)
warm("dynamodb", "sns")  # clients in the cold start, not on a late first use
_rules = TTLCache(ttl_s=300)

LOOKBACK_DAYS = 9  # 8-day cycle + the 34-hour restart that may precede it
EVENT_TYPE = "hos_violation"
UPDATE_EVENT_TYPE = "hos_violation_update"  # same violation_id, a late record moved its start
SNS_SEVERITY = {"nominal": "warning", "normal": "high", "out_of_service": "critical"}
MARK_TTL_S = (LOOKBACK_DAYS + 1) * 86400  # a violation leaves the evaluated log before its mark expires


def rules() -> hos.HosRules:
    def load() -> hos.HosRules:
        resp = client("dynamodb").query(
            TableName=get_config().compliance_rules_table,
            KeyConditionExpression="rule_set = :r",
            ExpressionAttributeValues={":r": {"S": RULE_SET}},
        )
        return hos.rules_from_items([from_item(i) for i in resp["Items"]])

    return _rules.get(RULE_SET, load)


def log_item(record: dict) -> dict:
    keep = (
        "vehicle_id",
        "record_id",
        "fleet_id",
        "status",
        "cycle",
        "time_zone",
        "exceptions",
        "lat",
        "lon",
        "odometer_km",
        "ts",
        "ruleset",
        "vin",
    )
    optional = ("origin", "annotation")  # absent on most records: not stored as nulls
    return {
        "driver_id": record["driver_id"],
        "event_time": record["ts_ms"],
        **{k: record.get(k) for k in keep},
        **{k: record[k] for k in optional if record.get(k) is not None},
    }


def engine_event(item: dict) -> dict:
    """A stored driver_logs item as the HOS engine reads it (PC/YM, position, origin, annotation)."""
    event = {"status": item["status"], "at": dt.datetime.fromtimestamp(item["event_time"] / 1000, dt.UTC)}
    if item.get("lat") is not None and item.get("lon") is not None:
        event["lat"], event["lon"] = float(item["lat"]), float(item["lon"])  # DynamoDB gives Decimal
    for key in ("origin", "annotation"):
        if item.get(key) is not None:
            event[key] = item[key]
    return event


def _stored(item: dict) -> dict | None:
    key = to_item({"driver_id": item["driver_id"], "event_time": item["event_time"]})
    found = client("dynamodb").get_item(TableName=get_config().driver_logs_table, ConsistentRead=True, Key=key)
    return from_item(found["Item"]) if found.get("Item") else None


def _put(item: dict, condition: str, values: dict) -> bool:
    try:
        client("dynamodb").put_item(
            TableName=get_config().driver_logs_table,
            Item=to_item(item),
            ConditionExpression=condition,
            **({"ExpressionAttributeValues": to_item(values)} if values else {}),
        )
        return True
    except ClientError as exc:
        if is_conditional_failure(exc):
            return False
        raise


def _conflict_entry(item: dict) -> dict:
    keep = ("record_id", "status", "origin", "annotation", "vehicle_id", "ts", "lat", "lon", "odometer_km")
    return {k: item[k] for k in keep if item.get(k) is not None}


def store_log(item: dict) -> bool:
    """Store the event; True when the driver's log in effect changed.

    - Nothing stored at its (driver, instant): put (conditional, so a racing writer is seen).
    - The same record_id stored (a redelivery): nothing.
    - An edit (origin "edit") over a recorded event replaces it and keeps the replaced status in
      `replaced_status` (49 CFR 395.30(c): the original record is kept; the ELD output file lists it
      as inactive-changed). An edit over an edit replaces it and keeps the previous edit, with its
      annotation, in `edit_history` (the original's `replaced_status` stays).
    - A recorded event where an edit already stands (the edit arrived first): kept as the original
      the edit replaced (`replaced_status`), unless the edit already names one.
    - Another recorded event at the same instant: the first stays in effect; the newcomer is kept in
      `conflicts` on the item, logged (`hos_record_conflict`) and counted, never dropped silently.
    Each write is conditional on what was read, so concurrent writers retry through the record's
    failure instead of overwriting each other.
    """
    if _put(item, "attribute_not_exists(driver_id)", {}):
        return True
    existing = _stored(item)
    if existing is None:
        raise RuntimeError("driver_logs item vanished between a failed put and its read; retry the record")
    seen = {existing.get("record_id")} | {e.get("record_id") for e in existing.get("edit_history") or []}
    seen |= {c.get("record_id") for c in existing.get("conflicts") or []}
    if item["record_id"] in seen:
        return False  # redelivered
    same = "record_id = :seen"
    if item.get("origin") == "edit":
        if existing.get("origin") == "edit":
            replaced = {"replaced_status": existing["replaced_status"]} if existing.get("replaced_status") else {}
            history = [*(existing.get("edit_history") or []), _conflict_entry(existing)]
            new = {**item, **replaced, "edit_history": history}
        else:
            new = {**item, "replaced_status": existing["status"]}
        for key in ("conflicts",):
            if existing.get(key):
                new[key] = existing[key]
        if not _put(new, same, {":seen": existing["record_id"]}):
            raise RuntimeError("driver_logs item changed while an edit was applied; retry the record")
        return True
    if existing.get("origin") == "edit" and not existing.get("replaced_status"):
        if not _put({**existing, "replaced_status": item["status"]}, same, {":seen": existing["record_id"]}):
            raise RuntimeError("driver_logs item changed while its original was recorded; retry the record")
        return False  # the edit stays in effect
    conflicts = [*(existing.get("conflicts") or []), _conflict_entry(item)]
    if not _put({**existing, "conflicts": conflicts}, same, {":seen": existing["record_id"]}):
        raise RuntimeError("driver_logs item changed while a conflict was recorded; retry the record")
    batch.logger.warning(
        "hos record conflicts with the stored record at its instant; kept in conflicts",
        extra={
            "event": "hos_record_conflict",
            "driver_id": item["driver_id"],
            "event_time": item["event_time"],
            "stored_record_id": existing.get("record_id"),
            "record_id": item["record_id"],
            "stored_status": existing.get("status"),
            "status": item.get("status"),
        },
    )
    batch.metrics.add_metric(name="HosRecordConflicts", unit=MetricUnit.Count, value=1)
    return False


def violation_message(record: dict, v: hos.Violation) -> dict:
    zone = ZoneInfo(record["time_zone"])
    body = v.to_dict()
    return {
        "violation_id": f"hv-{stable_id(record['driver_id'], v.rule, body['start'])}",
        "driver_id": record["driver_id"],
        "fleet_id": record["fleet_id"],
        "vehicle_id": record["vehicle_id"],
        **body,
        "hos_severity": v.severity,
        "severity": SNS_SEVERITY.get(v.severity, "high"),
        "cycle": record["cycle"],
        "ruleset": record.get("ruleset") or US_PROPERTY,
        "time_zone": record["time_zone"],
        "exceptions": record.get("exceptions") or [],
        # DOT logs run on the home terminal's 24-hour period, so the report date is local.
        "report_date": v.start.astimezone(zone).date().isoformat(),
        "detected_at": record["ts"],
        "record_id": record["record_id"],
    }


def announce(r, record: dict, violation: hos.Violation, known: list[KnownViolation]) -> int:
    """Publish a new violation, or an update of an announced one whose start a late record moved;
    then record it (check -> act -> mark under the driver's lease). 1 when something was published."""
    message = violation_message(record, violation)
    verdict, match = identity.reconcile(known, violation)
    if verdict == identity.UNCHANGED:
        grown = match.grown(violation)
        if grown != match:
            violation_registry.save(r, record["driver_id"], grown, MARK_TTL_S)
            known[known.index(match)] = grown
        return 0
    if verdict == identity.NEW:
        current = KnownViolation(
            violation_id=message["violation_id"],
            rule=violation.rule,
            start=violation.start,
            end=violation.end,
            over_s=violation.over_s,
            report_date=message["report_date"],
            record_id=record["record_id"],
        )
        mark = f"hos:violation:{message['violation_id']}"
        if already_done(r, mark):  # announced before the registry existed
            violation_registry.save(r, record["driver_id"], current, MARK_TTL_S)
            known.append(current)
            return 0
        event_type, log_message = EVENT_TYPE, "hos violation published"
    else:
        current = match.revised(violation, record["record_id"])
        # Same identity and report day as announced; the previous states travel with the update.
        message = {
            **message,
            "violation_id": match.violation_id,
            "report_date": match.report_date,
            "revision": current.revision,
            "history": list(current.history),
        }
        event_type, log_message = UPDATE_EVENT_TYPE, "hos violation updated by a late record"
    publish(get_config().require("violations_topic_arn"), message, message["severity"], event_type, rule=violation.rule)
    if verdict == identity.NEW:
        mark_done(r, f"hos:violation:{message['violation_id']}", MARK_TTL_S)
        known.append(current)
    else:
        known[known.index(match)] = current
    violation_registry.save(r, record["driver_id"], current, MARK_TTL_S)
    # `event` feeds the hos-violations CloudWatch metric filter ({ $.event = "hos_violation" }).
    batch.logger.info(
        log_message,
        extra={
            "event": event_type,
            "violation_id": message["violation_id"],
            "driver_id": record["driver_id"],
            "rule": violation.rule,
            "over_s": violation.over_s,
            "hos_severity": violation.severity,
            **({"revision": message["revision"]} if "revision" in message else {}),
        },
    )
    return 1


def process_record(raw: dict) -> int:
    record = telemetry_from_kinesis(raw, "hos")
    store_log(log_item(record))
    events = read_log(record["driver_id"], record["ts_ms"] - LOOKBACK_DAYS * 86_400_000, record["ts_ms"] + 1)
    as_of = dt.datetime.fromtimestamp(record["ts_ms"] / 1000, dt.UTC)
    limits = rules()  # a malformed compliance_rules item raises here: a config error, not this record's fault
    try:
        result = hos.evaluate_log(
            [engine_event(e) for e in events],
            cycle=record["cycle"],
            time_zone=record["time_zone"],
            exceptions=record.get("exceptions") or (),
            as_of=as_of,
            rules=limits,
            ruleset=record.get("ruleset") or US_PROPERTY,
        )
    except hos.HosInputError as exc:
        raise PoisonRecord("HOS_INPUT", str(exc)) from exc
    r, published = get_redis(), 0
    vehicle_duty.record_status(r, record["vehicle_id"], record["driver_id"], record["status"], record["ts_ms"])
    day = as_of.astimezone(ZoneInfo(record["time_zone"])).date().isoformat()
    pipe = r.pipeline(transaction=False)
    pipe.sadd(hos_drivers_key(day), record["driver_id"])
    pipe.expire(hos_drivers_key(day), MARK_TTL_S)
    pipe.execute()
    with lease(r, violation_registry.lease_key(record["driver_id"])):
        known = violation_registry.load(r, record["driver_id"])
        for violation in result.violations:
            published += announce(r, record, violation, known)
    return published


def handler(event, context):
    return batch.run(event, context, processor, process_record)
