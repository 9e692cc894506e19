"""hos-violations (SNS) -> one JSON report per violation in the compliance bucket, object-locked.

Key: fleet_id=<id>/date=<yyyy-mm-dd>/<violation_id>.json; the rule's source and limit come from the
violation's rule set (`ruleset`, default us-property). Messages with event_type unassigned_driving are not
violations and are skipped. The object is written once, in
COMPLIANCE mode for REPORT_RETENTION_DAYS (nobody, not even root, can delete it before then);
a redelivered message finds the key and writes nothing, so no extra locked versions pile up, and a
concurrent duplicate is refused by the conditional write (IfNoneMatch="*").
An update (event_type hos_violation_update: a late record moved the violation's start, same
violation_id) is never a second report: it is written as the amendment object
`<violation_id>.amendment-<revision>.json` next to the report, naming it (`amends`) and carrying the
violation's previous states (`history`), locked the same way.
A message that cannot become a report goes to the function's DLQ; AWS errors raise, so SNS's
async retry (then the function's DLQ) takes over.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from botocore.exceptions import ClientError

from handlers.common.aws import client
from handlers.common.config import get_config
from handlers.common.dlq import send_to_dlq
from handlers.common.errors import PoisonRecord, poison_reason
from handlers.common.events import sns_message
from handlers.common.s3 import head
from handlers.domain.hos import DEFAULT_RULES
from handlers.domain.hos.ruleset_items import RULESET_ITEMS
from handlers.domain.hos.rulesets import US_PROPERTY

# (rule set, rule code) -> compliance_rules item; us-property's are the DEFAULT_RULES.
_RULE_INFO = {
    **{(US_PROPERTY, r["rule_code"]): r for r in DEFAULT_RULES},
    **{(r["rule_set"], r["rule_code"]): r for r in RULESET_ITEMS},
}
UPDATE_EVENT_TYPE = "hos_violation_update"  # hos_processor: a late record moved the violation's start
_ALREADY_WRITTEN = ("PreconditionFailed", "ConditionalRequestConflict", "412")
NOT_REPORTED = frozenset({"unassigned_driving"})  # events the topic also carries that are not violations
# Matched whole (fullmatch) and ASCII only: no trailing newline or Unicode digit reaches an S3 key.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,128}", re.ASCII)


def report_key(message: dict) -> str:
    fleet, date, vid = message.get("fleet_id"), message.get("report_date"), message.get("violation_id")
    if not (isinstance(fleet, str) and _SAFE.fullmatch(fleet) and isinstance(vid, str) and _SAFE.fullmatch(vid)):
        raise PoisonRecord("FIELD_INVALID", "fleet_id/violation_id missing or not key-safe")
    if not (isinstance(date, str) and _DATE.fullmatch(date)):
        raise PoisonRecord("FIELD_INVALID", "report_date must be yyyy-mm-dd")
    return f"fleet_id={fleet}/date={date}/{vid}.json"


def amendment_key(message: dict) -> str:
    """`<report key without .json>.amendment-<revision>.json`, next to the report it amends."""
    revision = message.get("revision")
    if not (isinstance(revision, int) and not isinstance(revision, bool) and 1 <= revision <= 10_000):
        raise PoisonRecord("FIELD_INVALID", "revision must be an integer from 1")
    return f"{report_key(message).removesuffix('.json')}.amendment-{revision}.json"


def amendment(message: dict, attrs: dict, now: dt.datetime) -> dict:
    """The amendment of a locked report: the violation as it now stands, the report it amends and
    the violation's previous states (the message's `history`, oldest first)."""
    history = message.get("history")
    if not isinstance(history, list):
        raise PoisonRecord("FIELD_INVALID", "history must be a list")
    return {
        **report(message, attrs, now),
        "report_type": "hos_violation_amendment",
        "amends": report_key(message),
        "revision": message["revision"],
        "history": history,
    }


def report(message: dict, attrs: dict, now: dt.datetime) -> dict:
    rule = _RULE_INFO.get((message.get("ruleset") or US_PROPERTY, message.get("rule")), {})
    return {
        "report_type": "hos_violation",
        "schema": "fleettap.hos-report/1",
        "generated_at": now.isoformat(),
        "violation": message,
        "rule": {
            "code": message.get("rule"),
            "cfr": rule.get("cfr"),
            "description": rule.get("description"),
            "limit_s": rule.get("limit_s"),
        },
        "severity": attrs.get("severity", message.get("severity")),
    }


def write_report(raw_record: dict) -> str | None:
    cfg = get_config()
    message, attrs = sns_message(raw_record)
    if attrs.get("event_type") in NOT_REPORTED:
        return None  # an unassigned-driving event is for the fleet to assign, not a violation report
    is_update = attrs.get("event_type") == UPDATE_EVENT_TYPE
    key = amendment_key(message) if is_update else report_key(message)
    bucket = cfg.require("reports_bucket")
    if head(bucket, key) is not None:
        return None
    now = dt.datetime.now(dt.UTC)
    body = amendment(message, attrs, now) if is_update else report(message, attrs, now)
    try:
        client("s3").put_object(
            Bucket=bucket,
            Key=key,
            ContentType="application/json",
            Body=json.dumps(body, sort_keys=True, default=str).encode(),
            ObjectLockMode=cfg.report_object_lock_mode,
            ObjectLockRetainUntilDate=now + dt.timedelta(days=cfg.report_retention_days),
            ChecksumAlgorithm="SHA256",  # S3 requires an integrity checksum on object-lock writes
            IfNoneMatch="*",  # a concurrent duplicate that passed the HEAD too writes no second version
        )  # no SSE argument: the bucket's default SSE-KMS key applies (aws:kms here would pick aws/s3)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _ALREADY_WRITTEN:
            return None
        raise
    return key


def handler(event, context):
    written = []
    for raw in event.get("Records", []):
        try:
            written.append(write_report(raw))
        except Exception as exc:
            poison = poison_reason(exc)
            if poison is None:
                raise
            send_to_dlq(poison[0], poison[1], raw)
    return {"written": [k for k in written if k]}
