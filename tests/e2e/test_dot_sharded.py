"""The deployed DOT workflow in shards, with a driver that fails, and its work bucket.

Drivers are written to the stores directly (Aurora `drivers`, DynamoDB `driver_logs`) for a fleet of
the test's own; the state machine is started for that fleet and day, so other data on the stack is
not reported. Lambda's limits and IAM are enforced by the local stack as always.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import boto3
import psycopg
import pytest
from botocore.exceptions import ClientError

from tests.support.waiting import wait_for

ZONES = ("America/New_York", "America/Los_Angeles")
BAD_ZONE = "Mars/Olympus_Mons"


def _seed(stack, fleet: str, day: dt.date) -> tuple[list[str], str]:
    good = [f"DS-{fleet[-6:]}-{i}" for i in range(3)]
    broken = f"DS-{fleet[-6:]}-X"
    with psycopg.connect(stack.info.postgres_dsn, autocommit=True) as conn:
        for i, driver in enumerate([*good, broken]):
            zone = BAD_ZONE if driver == broken else ZONES[i % len(ZONES)]
            conn.execute(
                "INSERT INTO drivers (driver_id, fleet_id, name, home_time_zone) VALUES (%s, %s, %s, %s)",
                (driver, fleet, f"Driver {driver}", zone),
            )
    ddb = stack.client("dynamodb")
    for i, driver in enumerate(good):
        tz = ZoneInfo(ZONES[i % len(ZONES)])
        for status, hh in (("ON", 7), ("D", 8), ("OFF", 15)):
            at = dt.datetime.combine(day, dt.time(hh), tz)
            ddb.put_item(
                TableName="fleettap-dev-driver_logs",
                Item={
                    "driver_id": {"S": driver},
                    "event_time": {"N": str(int(at.timestamp() * 1000))},
                    "fleet_id": {"S": fleet},
                    "status": {"S": status},
                    "cycle": {"S": "70/8"},
                    "time_zone": {"S": ZONES[i % len(ZONES)]},
                },
            )
    return good, broken


def _bucket(stack, part: str) -> str:
    return next(b["Name"] for b in stack.client("s3").list_buckets()["Buckets"] if part in b["Name"])


def test_a_failing_driver_is_retried_recorded_and_the_day_completes(deployed_stack):
    fleet, day = f"FL-DS-{uuid.uuid4().hex[:6]}", dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    good, broken = _seed(deployed_stack, fleet, day)
    sfn = deployed_stack.client("stepfunctions")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "fleettap-dev-dot-reporting")
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        input=json.dumps({"report_date": day.isoformat(), "fleet_id": fleet}),
    )["executionArn"]
    done = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
        240,
        interval_s=1,
        what="DOT execution",
    )
    assert done["status"] == "SUCCEEDED", (done.get("error"), done.get("cause"))
    output = json.loads(done["output"])
    assert (output["drivers_reported"], output["drivers_failed"]) == (3, 1)

    s3, work = deployed_stack.client("s3"), _bucket(deployed_stack, "-dot-work-")
    report = json.loads(s3.get_object(Bucket=work, Key=output["failures_key"])["Body"].read())
    [failed] = report["failed"]
    assert failed["driver_id"] == broken and BAD_ZONE in failed["reason"]
    ddb = deployed_stack.client("dynamodb")

    def status(driver: str) -> dict:
        return ddb.get_item(
            TableName="fleettap-dev-compliance_status",
            Key={"driver_id": {"S": driver}, "report_date": {"S": day.isoformat()}},
        )["Item"]

    assert status(broken)["status"]["S"] == "report_failed"
    for driver in good:
        item = status(driver)
        assert item["status"]["S"] == "compliant"
        pdf = s3.get_object(Bucket=_bucket(deployed_stack, "-compliance-reports-"), Key=item["report_key"]["S"])
        assert pdf["Body"].read().startswith(b"%PDF-") and pdf["ObjectLockMode"] in ("COMPLIANCE", "GOVERNANCE")
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    assert any(e["type"] == "MapRunStarted" for e in history)


def test_the_work_bucket_is_unlocked_expiring_and_only_for_the_dot_roles(deployed_stack):
    s3, work = deployed_stack.client("s3"), _bucket(deployed_stack, "-dot-work-")
    with pytest.raises(ClientError, match="ObjectLockConfigurationNotFound"):
        s3.get_object_lock_configuration(Bucket=work)
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=work)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Expiration"]["Days"] >= 1
    encryption = s3.get_bucket_encryption(Bucket=work)["ServerSideEncryptionConfiguration"]["Rules"][0]
    key = encryption["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    reports = _bucket(deployed_stack, "-compliance-reports-")
    reports_key = s3.get_bucket_encryption(Bucket=reports)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert key != reports_key["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]  # its own key
    s3.put_object(Bucket=work, Key="dot-reports/work/date=2000-01-01/manifest.json", Body=b"[]")

    def as_role(role: str):
        creds = deployed_stack.client("sts").assume_role(RoleArn=role, RoleSessionName="e2e")["Credentials"]
        return boto3.client(
            "s3",
            endpoint_url=deployed_stack.info.aws_endpoint,
            region_name=deployed_stack.info.region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    iam = deployed_stack.client("iam")
    dot_role = iam.get_role(RoleName="fleettap-dev-dot-report-role")["Role"]["Arn"]
    other_role = iam.get_role(RoleName="fleettap-dev-hos-report-role")["Role"]["Arn"]
    key_name = "dot-reports/work/date=2000-01-01/manifest.json"
    assert as_role(dot_role).get_object(Bucket=work, Key=key_name)["Body"].read() == b"[]"
    with pytest.raises(ClientError, match="AccessDenied"):
        as_role(other_role).get_object(Bucket=work, Key=key_name)
