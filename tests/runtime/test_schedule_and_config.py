"""Schedule expressions, local endpoint mapping and local secret values."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from harness.runtime.local_endpoints import local_overrides
from harness.runtime.local_secrets import local_secret_values
from harness.runtime.schedule_expressions import Cron, rate_seconds

UTC = dt.UTC
STACK = {
    "redis": {"host": "127.0.0.1", "port": 16389},
    "postgres": {"host": "127.0.0.1", "port": 15439, "user": "fleettap", "password": "pw", "dbname": "fleettap"},
    "mock_api": {"url": "http://127.0.0.1:14580"},
}


def test_rate_expressions():
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 6 * * ? *)") is None


def test_cron_daily_and_weekday_fields():
    daily = Cron("cron(0 6 * * ? *)")
    assert daily.next_after(dt.datetime(2026, 11, 25, 6, 0, tzinfo=UTC)) == dt.datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    weekdays = Cron("cron(30 7 ? * MON-FRI *)")
    saturday = dt.datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert weekdays.next_after(saturday) == dt.datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # Monday
    every_quarter = Cron("cron(0/15 * * * ? *)")
    assert every_quarter.next_after(dt.datetime(2026, 1, 1, 0, 1, tzinfo=UTC)).minute == 15
    with pytest.raises(ValueError):
        Cron("cron(0 6 L * ? *)")


def test_only_endpoints_the_function_has_are_overridden():
    deployed = {
        "REDIS_HOST": "master.prod.cache.amazonaws.com",
        "REDIS_PORT": "6379",
        "REDIS_TLS": "true",
        "TELEMATICS_API_URL": "https://a1b2c3.execute-api.us-east-1.amazonaws.com/prod",
        "PDF_API_URL": "https://a1b2c3.execute-api.us-east-1.amazonaws.com/prod/fmcsa",
        "DIAGNOSTICS_TABLE": "t",
    }
    overrides = local_overrides(deployed, STACK, "http://127.0.0.1:4566", "us-east-1")
    assert overrides["REDIS_HOST"] == "127.0.0.1" and overrides["REDIS_PORT"] == "16389"
    assert overrides["REDIS_TLS"] == "false"
    # The stage path stays: the handlers request the stage's routes, which the mock checks.
    assert overrides["TELEMATICS_API_URL"] == "http://127.0.0.1:14580/prod"
    assert overrides["PDF_API_URL"] == "http://127.0.0.1:14580/prod/fmcsa"
    assert "DB_HOST" not in overrides and "DIAGNOSTICS_TABLE" not in overrides
    assert overrides["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"


def test_secrets_named_by_the_function_get_the_local_credentials():
    values = local_secret_values({"DB_SECRET_ARN": "arn:db", "REDIS_AUTH_SECRET_ARN": "arn:redis"}, STACK)
    assert json.loads(values["arn:db"])["password"] == "pw"
    assert json.loads(values["arn:db"])["username"] == "fleettap"
    assert "arn:redis" not in values  # the local Redis has no password: nothing to write


def test_a_passwordless_local_redis_unsets_the_auth_secret_and_a_password_is_written():
    deployed = {"REDIS_HOST": "h", "REDIS_AUTH_SECRET_ARN": "arn:redis"}
    assert local_overrides(deployed, STACK, "http://e", "us-east-1")["REDIS_AUTH_SECRET_ARN"] == ""
    with_password = {**STACK, "redis": {**STACK["redis"], "password": "s3cret"}}
    assert "REDIS_AUTH_SECRET_ARN" not in local_overrides(deployed, with_password, "http://e", "us-east-1")
    assert local_secret_values(deployed, with_password)["arn:redis"] == "s3cret"


def test_the_redis_auth_deploy_step_keeps_its_secret_without_a_local_password():
    """The rotator is no Redis client (no REDIS_HOST): it puts the secret's token on the emulator's
    replication group, so it keeps the ARN even though the local Redis has no AUTH."""
    deployed = {"REDIS_AUTH_SECRET_ARN": "arn:redis", "REDIS_REPLICATION_GROUP_ID": "fleettap-dev-redis"}
    assert "REDIS_AUTH_SECRET_ARN" not in local_overrides(deployed, STACK, "http://e", "us-east-1")


def test_functions_verify_the_local_postgres_with_its_own_ca(tmp_path):
    """verify-full stays; the RDS bundle path becomes the local CA (harness.postgres_tls)."""
    from harness.postgres_tls import ca_file

    deployed = {"DB_HOST": "aurora", "DB_SSLMODE": "verify-full", "DB_SSL_ROOT_CERT": "handlers/certs/rds.pem"}
    stack = {**STACK, "state_dir": str(tmp_path)}
    without_tls = local_overrides(deployed, stack, "http://e", "us-east-1")
    assert without_tls["DB_SSLMODE"] == "prefer" and "DB_SSL_ROOT_CERT" not in without_tls
    ca_file(tmp_path).parent.mkdir(parents=True)
    ca_file(tmp_path).write_text("CA")
    with_tls = local_overrides(deployed, stack, "http://e", "us-east-1")
    assert with_tls["DB_SSL_ROOT_CERT"] == str(ca_file(tmp_path)) and "DB_SSLMODE" not in with_tls
