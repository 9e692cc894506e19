"""hos-violations (SNS) -> one JSON report per violation in the compliance bucket, object-locked.

Key: fleet_id=<id>/date=<yyyy-mm-dd>/<violation_id>.json; the rule's source and limit come from the
violation's rule set (`ruleset`, default us-property). Messages with event_type unassigned_driving are not
violations and are skipped. The object is written once, in
COMPLIANCE mode for REPORT_RETENTION_DAYS (nobody, not even root, can delete it before then);
a redelivered message finds the key and writes nothing, so no extra locked versions pile up.
A message that cannot become a report goes to the function's DLQ; AWS errors raise, so SNS's
async retry (then the function's DLQ) takes over.
"""

from __future__ import annotations

import datetime as dt
import json
import re

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
NOT_REPORTED = frozenset({"unassigned_driving"})  # events the topic also carries that are not violations
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def report_key(message: dict) -> str:
    fleet, date, vid = message.get("fleet_id"), message.get("report_date"), message.get("violation_id")
    if not (isinstance(fleet, str) and _SAFE.match(fleet) and isinstance(vid, str) and _SAFE.match(vid)):
        raise PoisonRecord("FIELD_INVALID", "fleet_id/violation_id missing or not key-safe")
    if not (isinstance(date, str) and _DATE.match(date)):
        raise PoisonRecord("FIELD_INVALID", "report_date must be yyyy-mm-dd")
    return f"fleet_id={fleet}/date={date}/{vid}.json"


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
    key = report_key(message)
    bucket = cfg.require("reports_bucket")
    if head(bucket, key) is not None:
        return None
    now = dt.datetime.now(dt.UTC)
    client("s3").put_object(
        Bucket=bucket,
        Key=key,
        ContentType="application/json",
        Body=json.dumps(report(message, attrs, now), sort_keys=True, default=str).encode(),
        ObjectLockMode=cfg.report_object_lock_mode,
        ObjectLockRetainUntilDate=now + dt.timedelta(days=cfg.report_retention_days),
        ChecksumAlgorithm="SHA256",  # S3 requires an integrity checksum on object-lock writes
    )  # no SSE argument: the bucket's default SSE-KMS key applies (aws:kms here would pick aws/s3)
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
