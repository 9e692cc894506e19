"""HOS stream -> compliance_rules -> driver_logs -> HOS engine -> hos-violations topic.

Each record names the driver's rule set (`ruleset`, default us-property) and cycle; the log is
evaluated under that rule set (handlers.domain.hos.rulesets; the compliance_rules limits apply to
us-property). PC/YM statuses, positions, `origin`/`annotation` (edits) and exception objects are
stored with the event and passed to the engine as the ELD recorded them. The vehicle's duty status
is kept in Redis (handlers.common.vehicle_duty) for the unassigned-driving check of location_tracker.

The duty-status change is stored with a conditional put (redelivery writes nothing). The driver's
last LOOKBACK_DAYS of log are then evaluated as of this event; each violation gets a
deterministic id (driver, rule, start of the over-limit driving), is published, and only then
marked in Redis, so a violation that keeps growing across later events is announced once and a
crash between publish and mark re-publishes the same id (the report writer dedupes on it).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from handlers.common import batch, vehicle_duty
from handlers.common.aws import client, from_item, is_conditional_failure, to_item, warm
from handlers.common.cache import TTLCache
from handlers.common.config import get_config
from handlers.common.driver_logs import read_log
from handlers.common.errors import PoisonRecord
from handlers.common.idempotency import already_done, mark_done, stable_id
from handlers.common.keys import hos_drivers_key
from handlers.common.records import telemetry_from_kinesis
from handlers.common.redis_client import get_redis
from handlers.common.sns import publish
from handlers.domain import hos
from handlers.domain.hos.rules import RULE_SET
from handlers.domain.hos.rulesets import US_PROPERTY

processor = batch.Processor(batch.EventType.KinesisDataStreams)
warm("dynamodb", "sns")  # clients in the cold start, not on a late first use
_rules = TTLCache(ttl_s=300)

LOOKBACK_DAYS = 9  # 8-day cycle + the 34-hour restart that may precede it
EVENT_TYPE = "hos_violation"
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


def store_log(item: dict) -> bool:
    """Put the event unless one is stored at its instant. An edit (origin "edit") at the instant of a
    recorded event replaces it and keeps the replaced status in `replaced_status` (49 CFR 395.30(c):
    the original record is kept; the ELD output file lists it as inactive-changed); a redelivered
    event or edit writes nothing."""
    condition = "attribute_not_exists(driver_id)"
    if item.get("origin") == "edit":
        existing = (
            client("dynamodb")
            .get_item(
                TableName=get_config().driver_logs_table,
                ConsistentRead=True,
                Key=to_item({"driver_id": item["driver_id"], "event_time": item["event_time"]}),
            )
            .get("Item")
        )
        existing = from_item(existing) if existing else None
        if existing is not None and existing.get("origin") != "edit":
            item = {**item, "replaced_status": existing["status"]}
            condition = "attribute_not_exists(driver_id) OR attribute_not_exists(origin) OR origin <> :edit"
    try:
        client("dynamodb").put_item(
            TableName=get_config().driver_logs_table,
            Item=to_item(item),
            ConditionExpression=condition,
            **({"ExpressionAttributeValues": {":edit": {"S": "edit"}}} if ":edit" in condition else {}),
        )
        return True
    except ClientError as exc:
        if is_conditional_failure(exc):
            return False
        raise


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
    for violation in result.violations:
        message = violation_message(record, violation)
        mark = f"hos:violation:{message['violation_id']}"
        if already_done(r, mark):
            continue
        publish(
            get_config().require("violations_topic_arn"), message, message["severity"], EVENT_TYPE, rule=violation.rule
        )
        mark_done(r, mark, MARK_TTL_S)
        published += 1
        # `event` feeds the hos-violations CloudWatch metric filter ({ $.event = "hos_violation" }).
        batch.logger.info(
            "hos violation published",
            extra={
                "event": "hos_violation",
                "violation_id": message["violation_id"],
                "driver_id": record["driver_id"],
                "rule": violation.rule,
                "over_s": violation.over_s,
                "hos_severity": violation.severity,
            },
        )
    return published


def handler(event, context):
    return batch.run(event, context, processor, process_record)
