"""Fixtures for handler tests and benchmarks: AWS resources named per docs/contracts.md in the
emulator of the local stack, the schema migrated into its Postgres, the handler environment per
test. Imported by tests/handlers/conftest.py and tests/bench/test_handlers_bench.py."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field

import boto3
import psycopg
import pytest
import redis

from harness import migrate
from harness.runtime.delivery_policies import allow_topic_to_send
from tests.handlers.handler_api import deploy_handler_api
from tests.support.lambda_container import reset_all

TABLES = {
    # env var: (suffix, hash key, range key, extra create args)
    "DIAGNOSTICS_TABLE": (
        "vehicle_diagnostics",
        ("vehicle_id", "S"),
        ("timestamp", "N"),
        {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}},
    ),
    "THRESHOLDS_TABLE": ("alert_thresholds", ("scope", "S"), ("metric", "S"), {}),
    "PREDICTIONS_TABLE": ("predicted_failures", ("vehicle_id", "S"), ("predicted_at", "N"), {}),
    "DRIVER_LOGS_TABLE": ("driver_logs", ("driver_id", "S"), ("event_time", "N"), {}),
    "COMPLIANCE_RULES_TABLE": ("compliance_rules", ("rule_set", "S"), ("rule_code", "S"), {}),
    "LOCATIONS_TABLE": (
        "vehicle_locations",
        ("vehicle_id", "S"),
        ("timestamp", "N"),
        {
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "geohash-index",
                    "KeySchema": [
                        {"AttributeName": "geohash", "KeyType": "HASH"},
                        {"AttributeName": "timestamp", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            "_extra_attrs": [("geohash", "S")],
        },
    ),
    "GEOFENCES_TABLE": ("geofences", ("geofence_id", "S"), None, {}),
    "COMPLIANCE_STATUS_TABLE": ("compliance_status", ("driver_id", "S"), ("report_date", "S"), {}),
}
TOPICS = {
    "ALERTS_TOPIC_ARN": "vehicle-alerts",
    "MAINTENANCE_TOPIC_ARN": "maintenance-required",
    "VIOLATIONS_TOPIC_ARN": "hos-violations",
    "SUMMARY_TOPIC_ARN": "compliance-summary",
    "GEOFENCE_TOPIC_ARN": "geofence-alerts",
    "COACHING_TOPIC_ARN": "driver-coaching",
}


@pytest.fixture(scope="session")
def stack(local_stack):
    return local_stack


@pytest.fixture(scope="session")
def aws_session_env(stack):
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")
    }
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": stack.aws_endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": stack.region,
            "AWS_REGION": stack.region,
        }
    )
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def create_table(ddb, name: str, hash_key, range_key, extra: dict) -> None:
    extra = dict(extra)
    attrs = [hash_key] + ([range_key] if range_key else []) + extra.pop("_extra_attrs", [])
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    ddb.create_table(
        TableName=name,
        KeySchema=schema,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in attrs],
        **extra,
    )


@dataclass
class Resources:
    project: str
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def resources(stack, aws_session_env) -> Resources:
    """One set of AWS resources per session, named `<project>-test-<suffix>` like Terraform would."""
    project = f"ft{uuid.uuid4().hex[:6]}"
    prefix = f"{project}-test"
    res = Resources(project=project)
    ddb, sns, sqs, s3, sm = (boto3.client(s) for s in ("dynamodb", "sns", "sqs", "s3", "secretsmanager"))
    for var, (suffix, hk, rk, extra) in TABLES.items():
        name = f"{prefix}-{suffix}"
        create_table(ddb, name, hk, rk, extra)
        res.env[var] = name
    ddb.update_time_to_live(
        TableName=res.env["DIAGNOSTICS_TABLE"], TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    for var, name in TOPICS.items():
        res.env[var] = sns.create_topic(Name=f"{prefix}-{name}")["TopicArn"]
    res.env["TRAINING_QUEUE_URL"] = sqs.create_queue(QueueName=f"{prefix}-driver_training_queue")["QueueUrl"]
    bucket = f"{prefix}-compliance-reports"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    res.env["REPORTS_BUCKET"] = bucket
    # Claim checks of oversized DLQ bodies, SSE-KMS by default as the data lake bucket is deployed.
    lake = f"{prefix}-data-lake"
    s3.create_bucket(Bucket=lake)
    key_id = boto3.client("kms").create_key(Description=f"{prefix} data lake")["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(
        Bucket=lake,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]
        },
    )
    res.env["DEAD_LETTER_BUCKET"] = lake
    work_bucket = f"{prefix}-dot-work"  # no Object Lock, like tap_stack.tf's dot_work bucket
    s3.create_bucket(Bucket=work_bucket)
    res.env["DOT_WORK_BUCKET"] = work_bucket
    secret = sm.create_secret(
        Name=f"{prefix}/aurora",
        SecretString=json.dumps({"username": stack.postgres_user, "password": stack.postgres_password}),
    )
    res.env["DB_SECRET_ARN"] = secret["ARN"]
    # The mock answers only routes of a deployed stage, so the handlers call it through one.
    deploy_handler_api(boto3.client("apigateway"), f"{prefix}-external", "test")
    migrate.apply(stack.postgres_dsn)
    res.env.update(
        {
            "PROJECT_NAME": project,
            "ENV": "test",
            "LOG_LEVEL": "WARNING",
            "POWERTOOLS_SERVICE_NAME": "fleettap",
            "REDIS_HOST": stack.redis_host,
            "REDIS_PORT": str(stack.redis_port),
            "REDIS_TLS": "false",
            "DB_HOST": stack.postgres_host,
            "DB_PORT": str(stack.postgres_port),
            "DB_NAME": stack.postgres_dbname,
            "TELEMATICS_API_URL": f"{stack.mock_api_url}/test",
            "PDF_API_URL": f"{stack.mock_api_url}/test",
            "REPORT_RETENTION_DAYS": "30",
            "REPORT_TIME_ZONES": "America/New_York,America/Chicago,America/Denver,America/Los_Angeles",
            "PREDICTION_CONFIDENCE_THRESHOLD": "0.8",
            "DIAGNOSTICS_TTL_DAYS": "30",
            # tests that count minutes score at exactly 20; the spread has a test of its own
            "PREDICTION_FIRST_SCORE_SPREAD_MIN": "0",
            "SAGEMAKER_ENDPOINT_NAME": f"{prefix}-failure-predictor",
        }
    )
    return res


class Ctx:
    """What a test needs around one handler invocation."""

    def __init__(self, stack, env: dict[str, str], function: str) -> None:
        self.stack, self.env, self.function = stack, env, function
        self.ddb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        self.sns = boto3.client("sns")
        self.s3 = boto3.client("s3")
        self.redis = redis.Redis(host=stack.redis_host, port=stack.redis_port, decode_responses=True)
        self._pg: psycopg.Connection | None = None

    def sql(self, query: str, params=None) -> list[tuple]:
        if self._pg is None or self._pg.closed:
            self._pg = psycopg.connect(self.stack.postgres_dsn, autocommit=True)
        cur = self._pg.execute(query, params)
        return cur.fetchall() if cur.description else []

    def drain(self, queue_url: str, expect: int | None = None) -> list[dict]:
        """All messages currently in a queue (deleted as read), bodies parsed as JSON."""
        out: list[dict] = []
        empty_polls = 0
        while empty_polls < 2 and (expect is None or len(out) < expect):
            resp = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            )
            msgs = resp.get("Messages", [])
            if not msgs:
                empty_polls += 1
                continue
            for m in msgs:
                out.append({"body": json.loads(m["Body"]), "attributes": m.get("MessageAttributes", {})})
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        return out

    def dlq(self) -> list[dict]:
        return [m["body"] for m in self.drain(self.env["DLQ_URL"])]

    def subscribe(self, topic_var: str) -> TopicTap:
        url = self.sqs.create_queue(QueueName=f"tap-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        allow_topic_to_send(self.sqs, url, arn, self.env[topic_var])
        self.sns.subscribe(TopicArn=self.env[topic_var], Protocol="sqs", Endpoint=arn)
        return TopicTap(self, url)

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
        self.redis.close()


class TopicTap:
    """An SQS queue subscribed to a topic: what was published while the test ran."""

    def __init__(self, ctx: Ctx, url: str) -> None:
        self.ctx, self.url = ctx, url

    def messages(self) -> list[dict]:
        out = []
        for m in self.ctx.drain(self.url):
            env = m["body"]
            out.append(
                {
                    "message": json.loads(env["Message"]),
                    "attributes": {k: v["Value"] for k, v in env.get("MessageAttributes", {}).items()},
                }
            )
        return out


@pytest.fixture
def make_ctx(resources, stack, monkeypatch):
    """make_ctx(function_key) -> Ctx with the handler environment of that function, fresh DLQ."""
    made: list[Ctx] = []
    applied: set[str] = set()

    def _make(function: str, **overrides: str) -> Ctx:
        sqs = boto3.client("sqs")
        dlq = sqs.create_queue(QueueName=f"{resources.project}-test-{function}-dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        env = {
            **resources.env,
            "DLQ_URL": dlq,
            "AWS_LAMBDA_FUNCTION_NAME": f"{resources.project}-test-{function.replace('_', '-')}",
            **overrides,
        }
        for k in applied - set(env):  # an override of an earlier ctx must not leak into this one
            monkeypatch.delenv(k, raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        applied.update(env)
        reset_all()
        ctx = Ctx(stack, env, function)
        made.append(ctx)
        return ctx

    yield _make
    for ctx in made:
        ctx.close()
    reset_all()


@pytest.fixture
def dedicated_pg():
    """A migrated PostgreSQL of its own, which the test may stop and start."""
    from tests.handlers.handler_servers import DedicatedPostgres

    pg = DedicatedPostgres()
    try:
        pg.start()
        migrate.apply(pg.info.postgres_dsn)
        yield pg
    finally:
        pg.close()


@pytest.fixture
def pg_secret(resources):
    """pg_secret(info) -> ARN of a Secrets Manager secret holding that server's credentials."""

    def _make(info) -> str:
        return boto3.client("secretsmanager").create_secret(
            Name=f"{resources.project}/pg-{uuid.uuid4().hex[:8]}",
            SecretString=json.dumps({"username": info.postgres_user, "password": info.postgres_password}),
        )["ARN"]

    return _make
