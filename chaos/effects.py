"""What the stack holds after a run: stored record ids, dead letters, side effects.

Reads the real stores with the admin credentials: DynamoDB (vehicle_diagnostics, vehicle_locations,
driver_logs), PostgreSQL (vehicle_history, maintenance_schedule), Redis (the fleet dashboard's
per-vehicle counters), S3 (HOS violation reports: every version written since the run began; the
Object Lock bucket keeps earlier runs' reports, which are not this run's effects), the topics (the scenario runner's
observer queues), the mock telematics API (notifications it stored) and every function DLQ.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from chaos.accounting import (
    SCHEDULED,
    DeadLetter,
    Observed,
    count_effects,
    count_reports,
    count_scheduled,
    parse_dead_letter,
)
from handlers.common.dlq import original_record
from sim import aws

DDB_STORES = ("vehicle_diagnostics", "vehicle_locations", "driver_logs")
EFFECT_TOPICS = ("vehicle-alerts", "hos-violations", "geofence-alerts", "maintenance-required", "driver-coaching")


def record_ids(dynamodb, table: str) -> set[str]:
    found, kwargs = set(), {}
    while True:
        page = dynamodb.scan(TableName=table, ProjectionExpression="record_id", **kwargs)
        found.update(item["record_id"]["S"] for item in page["Items"] if "S" in item.get("record_id", {}))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def dead_letters(sqs, prefix: str) -> list[DeadLetter]:
    """Every message of every `*-dlq` queue of the stack (received, not deleted: the next reset purges)."""
    letters = []
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        name = url.rsplit("/", 1)[-1]
        if not name.endswith("-dlq"):
            continue
        empty = 0
        while empty < 2:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=900).get("Messages", [])
            empty = empty + 1 if not batch else 0
            for message in batch:
                try:
                    body = json.loads(message["Body"])
                except ValueError:
                    body = message["Body"]
                letters.append(parse_dead_letter(name[len(prefix) :], _claimed(body)))
    return letters


def _claimed(body: object) -> object:
    """A claim-check body (a record too large for SQS, kept whole in S3: handlers.common.dlq) with its
    record fetched back, so the accounting sees the record's bytes as a replay would."""
    if isinstance(body, dict) and "record_ref" in body and "record" not in body:
        return {**body, "record": original_record(body, s3=aws.client("s3"))}
    return body


def report_versions(s3) -> int:
    """How many report object versions exist (cheap: no bodies), for the drain's settling."""
    total = 0
    for bucket in [b["Name"] for b in s3.list_buckets().get("Buckets", []) if "report" in b["Name"]]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            total += len(page.get("Versions", []))
    return total


def reports(s3, since: dt.datetime) -> list[dict]:
    """The bodies of every report version written at or after `since` (S3's LastModified)."""
    bodies = []
    for bucket in [b["Name"] for b in s3.list_buckets().get("Buckets", []) if "report" in b["Name"]]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                if version["LastModified"] < since:
                    continue
                obj = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
                try:
                    bodies.append(json.loads(obj["Body"].read()))
                except ValueError:
                    bodies.append({"key": version["Key"]})
    return bodies


def gather(stack, env: str, topic_messages: dict, since: dt.datetime) -> Observed:
    """What the stack holds after a run that began at `since` (UTC, before its first record)."""
    import psycopg
    import redis

    from chaos.faults.external_api import notifications

    observed = Observed()
    dynamodb = aws.client("dynamodb")
    for table in DDB_STORES:
        observed.stored[table] = record_ids(dynamodb, aws.resource_name(table, env=env))
    effects: Counter = Counter()
    with psycopg.connect(stack.postgres_dsn) as conn:
        observed.stored["vehicle_history"] = {row[0] for row in conn.execute("SELECT record_id FROM vehicle_history")}
        cursor = conn.execute(
            "SELECT vehicle_id, fleet_id, driver_id, rule, metric, severity FROM maintenance_schedule"
        )
        columns = [c.name for c in cursor.description]
        effects += count_effects("work_order", [dict(zip(columns, row)) for row in cursor])
    for topic in EFFECT_TOPICS:
        bodies = [m.body for m in topic_messages.get(topic, [])]
        effects += count_scheduled(topic, bodies) if topic in SCHEDULED else count_effects(topic, bodies)
    effects += count_reports(reports(aws.client("s3"), since))
    effects += count_effects("notification", [n["body"] for n in notifications(stack.mock_api_url)])
    client = redis.Redis(host=stack.redis_host, port=stack.redis_port, decode_responses=True)
    for key in client.scan_iter("dash:vehicle:*"):
        total = int(client.hget(key, "total") or 0)
        if total:
            effects[("dashboard", key)] += total
    observed.effects = effects
    observed.dead_letters = dead_letters(aws.client("sqs"), aws.resource_name("", env=env))
    return observed
