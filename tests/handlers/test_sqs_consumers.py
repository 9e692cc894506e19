"""maintenance_scheduler, driver_notifier, fleet_dashboard: SQS (SNS envelope or raw) consumers."""

from __future__ import annotations

import json
import urllib.request

import pytest
import urllib3
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from handlers import driver_notifier, fleet_dashboard, maintenance_scheduler
from harness import migrate
from tests.handlers.handler_events import sqs_event
from tests.handlers.handler_factories import alert, unique_fleet
from tests.handlers.handler_servers import DedicatedRedis


def _orders(ctx, alert_ids):
    return ctx.sql(
        "SELECT alert_id, severity, priority, due_by - alert_ts, status FROM maintenance_schedule "
        "WHERE alert_id = ANY(%s) ORDER BY priority",
        (list(alert_ids),),
    )


# ---- maintenance scheduler ---------------------------------------------------------------
def test_work_orders_from_envelope_and_raw_bodies(make_ctx):
    ctx = make_ctx("maintenance")
    crit, high = alert(severity="critical"), alert(severity="high")
    resp = maintenance_scheduler.handler(sqs_event([crit]), None)
    resp2 = maintenance_scheduler.handler(sqs_event([high], envelope=False), None)
    assert resp == resp2 == {"batchItemFailures": []}
    rows = _orders(ctx, [crit["alert_id"], high["alert_id"]])
    assert [(r[0], r[1], r[2], r[3].total_seconds() / 3600, r[4]) for r in rows] == [
        (crit["alert_id"], "critical", 1, 24.0, "open"),
        (high["alert_id"], "high", 2, 72.0, "open"),
    ]


def test_same_batch_twice_one_work_order_each_and_poison_to_dlq(make_ctx):
    ctx = make_ctx("maintenance")
    alerts = [alert(severity="critical") for _ in range(3)]
    event = sqs_event(alerts[:2] + ["not json at all", {"vehicle_id": "VH-1"}] + alerts[2:])
    assert maintenance_scheduler.handler(event, None) == {"batchItemFailures": []}
    assert maintenance_scheduler.handler(event, None) == {"batchItemFailures": []}
    assert len(_orders(ctx, [a["alert_id"] for a in alerts])) == 3
    assert sorted(m["reason"] for m in ctx.dlq()) == [
        "FIELD_MISSING",
        "FIELD_MISSING",
        "MALFORMED_JSON",
        "MALFORMED_JSON",
    ]


def test_postgres_down_fails_batch_then_nothing_lost(make_ctx, dedicated_pg, resources):
    import boto3

    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{resources.project}/pg-{dedicated_pg.info.postgres_port}",
        SecretString=json.dumps(
            {"username": dedicated_pg.info.postgres_user, "password": dedicated_pg.info.postgres_password}
        ),
    )["ARN"]
    make_ctx("maintenance", DB_PORT=str(dedicated_pg.info.postgres_port), DB_SECRET_ARN=secret)
    first, rest = alert(), [alert() for _ in range(4)]
    assert maintenance_scheduler.handler(sqs_event([first]), None) == {"batchItemFailures": []}
    dedicated_pg.stop()
    event = sqs_event(rest)
    with pytest.raises(Exception, match="OperationalError|DependencyUnavailable|connection"):
        maintenance_scheduler.handler(event, None)
    dedicated_pg.start()
    assert maintenance_scheduler.handler(event, None) == {"batchItemFailures": []}
    import psycopg

    with psycopg.connect(dedicated_pg.info.postgres_dsn) as conn:
        ids = {r[0] for r in conn.execute("SELECT alert_id FROM maintenance_schedule")}
    assert ids == {a["alert_id"] for a in [first] + rest}


# ---- driver notifier ---------------------------------------------------------------------
def _mock(ctx, path, body=None):
    """The mock's own controls (/admin/...), outside the API stage."""
    req = urllib.request.Request(
        ctx.stack.mock_api_url + path,
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def _delivered(ctx, ids):
    return [n for n in _mock(ctx, "/admin/notifications")["notifications"] if n["idempotency_key"] in ids]


@pytest.fixture
def api_faults(make_ctx):
    yield
    ctx = make_ctx("driver_notifier")
    _mock(ctx, "/admin/faults", {"fail": 0, "delay_s": 0})


def test_notifications_posted_once_with_idempotency_key(make_ctx, api_faults):
    ctx = make_ctx("driver_notifier")
    alerts = [alert(severity="warning"), alert(severity="critical")]
    event = sqs_event(alerts)
    assert driver_notifier.handler(event, None) == {"batchItemFailures": []}
    assert driver_notifier.handler(event, None) == {"batchItemFailures": []}  # redelivery
    got = _delivered(ctx, {a["alert_id"] for a in alerts})
    assert sorted(n["body"]["notification_id"] for n in got) == sorted(a["alert_id"] for a in alerts)
    assert {n["body"]["severity"] for n in got} == {"warning", "critical"}


def test_transient_api_failure_is_retried_within_the_invocation(make_ctx, api_faults):
    ctx = make_ctx("driver_notifier")
    a = alert()
    _mock(ctx, "/admin/faults", {"fail": 2, "status": 503})
    assert driver_notifier.handler(sqs_event([a]), None) == {"batchItemFailures": []}
    assert len(_delivered(ctx, {a["alert_id"]})) == 1


def test_api_down_reports_batch_item_failures_then_redelivery_succeeds(make_ctx, api_faults):
    ctx = make_ctx("driver_notifier")
    alerts = [alert() for _ in range(3)]
    event = sqs_event(alerts)
    _mock(ctx, "/admin/faults", {"fail": -1, "status": 502})
    # every record failed -> the whole invocation fails; SQS makes the messages visible again
    with pytest.raises(BatchProcessingError, match="All records failed"):
        driver_notifier.handler(event, None)
    assert _delivered(ctx, {a["alert_id"] for a in alerts}) == []
    _mock(ctx, "/admin/faults", {"fail": 0})
    assert driver_notifier.handler(event, None) == {"batchItemFailures": []}
    assert len(_delivered(ctx, {a["alert_id"] for a in alerts})) == 3


def test_slow_api_times_out_and_the_record_is_reported_failed(make_ctx, api_faults, monkeypatch):
    ctx = make_ctx("driver_notifier")
    monkeypatch.setattr(
        driver_notifier,
        "_http",
        urllib3.PoolManager(timeout=urllib3.Timeout(connect=0.5, read=0.3), retries=urllib3.Retry(total=0)),
    )
    ok, slow = alert(), alert()
    event = sqs_event([ok, slow])
    bad = sqs_event(["[1, 2]"])["Records"]
    mixed = {"Records": bad + event["Records"][1:]}  # a poison record succeeds (DLQ), the slow one fails
    _mock(ctx, "/admin/faults", {"fail": 0, "delay_s": 0.6})
    resp = driver_notifier.handler(mixed, None)
    assert resp == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert [m["reason"] for m in ctx.dlq()] == ["NOT_AN_OBJECT"]
    _mock(ctx, "/admin/faults", {"fail": 0, "delay_s": 0})
    monkeypatch.setattr(driver_notifier, "_http", None)
    assert driver_notifier.handler(event, None) == {"batchItemFailures": []}
    assert len(_delivered(ctx, {ok["alert_id"], slow["alert_id"]})) == 2


def test_client_error_goes_to_dlq(make_ctx, api_faults):
    ctx = make_ctx("driver_notifier")
    _mock(ctx, "/admin/faults", {"fail": 1, "status": 400})
    assert driver_notifier.handler(sqs_event([alert()]), None) == {"batchItemFailures": []}
    assert [m["reason"] for m in ctx.dlq()] == ["API_REJECTED"]


def test_a_path_the_stage_does_not_serve_is_rejected_as_api_gateway_rejects_it(make_ctx, stack, api_faults):
    # The API URL one base path off (as if Terraform mounted the telematics API under /telematics and
    # the handler still called /v1/notifications at the stage root): API Gateway's 403, a poison record.
    ctx = make_ctx("driver_notifier", TELEMATICS_API_URL=f"{stack.mock_api_url}/test/telematics")
    a = alert()
    assert driver_notifier.handler(sqs_event([a]), None) == {"batchItemFailures": []}
    [rejected] = ctx.dlq()
    assert rejected["reason"] == "API_REJECTED" and "HTTP 403" in rejected["detail"]
    assert "Missing Authentication Token" in rejected["detail"]
    assert _delivered(ctx, {a["alert_id"]}) == []


# ---- fleet dashboard ---------------------------------------------------------------------
def test_counters_per_fleet_vehicle_severity_counted_once(make_ctx):
    ctx = make_ctx("fleet")
    fleet = unique_fleet()
    a1, a2, a3 = (
        alert(severity="high", fleet_id=fleet),
        alert(severity="critical", fleet_id=fleet),
        alert(severity="high", fleet_id=fleet),
    )
    a3["vehicle_id"] = a1["vehicle_id"]
    event = sqs_event([a1, a2, a3])
    assert fleet_dashboard.handler(event, None) == {"batchItemFailures": []}
    assert fleet_dashboard.handler(event, None) == {"batchItemFailures": []}
    assert fleet_dashboard.handler(sqs_event([a2], envelope=False), None) == {"batchItemFailures": []}
    assert ctx.redis.hgetall(f"dash:fleet:{fleet}") == {
        "total": "3",
        "severity:high": "2",
        "severity:critical": "1",
        "rule:threshold:coolant_temp_c": "3",
    }
    assert ctx.redis.hgetall(f"dash:vehicle:{a1['vehicle_id']}") == {"total": "2", "severity:high": "2"}
    assert ctx.redis.hgetall(f"dash:fleet:{fleet}:vehicles") == {a1["vehicle_id"]: "2", a2["vehicle_id"]: "1"}


def test_fleet_dashboard_redis_down_then_restart(make_ctx):
    server = DedicatedRedis()
    server.start()
    try:
        make_ctx("fleet", REDIS_PORT=str(server.port))
        fleet = unique_fleet()
        first, rest = alert(fleet_id=fleet), [alert(fleet_id=fleet) for _ in range(3)]
        fleet_dashboard.handler(sqs_event([first]), None)
        server.stop()
        with pytest.raises(Exception):
            fleet_dashboard.handler(sqs_event(rest), None)
        server.start()
        assert fleet_dashboard.handler(sqs_event(rest), None) == {"batchItemFailures": []}
        import redis as _r

        assert _r.Redis(port=server.port, decode_responses=True).hget(f"dash:fleet:{fleet}", "total") == "4"
    finally:
        server.close()


def test_redis_stopped_in_the_middle_of_a_batch_counts_each_alert_once(make_ctx, monkeypatch):
    server = DedicatedRedis()
    server.start()
    try:
        make_ctx("fleet", REDIS_PORT=str(server.port))
        fleet = unique_fleet()
        alerts = [alert(fleet_id=fleet) for _ in range(5)]
        real, seen = fleet_dashboard.process_record, []

        def stop_after_two(raw):
            if len(seen) == 2:
                server.stop()
            seen.append(raw)
            return real(raw)

        monkeypatch.setattr(fleet_dashboard, "process_record", stop_after_two)
        event = sqs_event(alerts)
        with pytest.raises(Exception, match="DependencyUnavailable|ConnectionError|Connection refused"):
            fleet_dashboard.handler(event, None)
        assert len(seen) == 3  # the batch was abandoned at the first dependency error
        server.start()
        monkeypatch.setattr(fleet_dashboard, "process_record", real)
        assert fleet_dashboard.handler(event, None) == {"batchItemFailures": []}
        import redis as _r

        assert _r.Redis(port=server.port, decode_responses=True).hget(f"dash:fleet:{fleet}", "total") == "5"
    finally:
        server.close()


def test_postgres_stopped_in_the_middle_of_a_batch_nothing_lost(make_ctx, dedicated_pg, resources, monkeypatch):
    import boto3
    import psycopg

    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{resources.project}/pg-mid-{dedicated_pg.info.postgres_port}",
        SecretString=json.dumps(
            {"username": dedicated_pg.info.postgres_user, "password": dedicated_pg.info.postgres_password}
        ),
    )["ARN"]
    make_ctx("maintenance", DB_PORT=str(dedicated_pg.info.postgres_port), DB_SECRET_ARN=secret)
    alerts = [alert() for _ in range(6)]
    real, seen = maintenance_scheduler.process_record, []

    def stop_after_three(raw):
        if len(seen) == 3:
            dedicated_pg.stop()
        seen.append(raw)
        return real(raw)

    monkeypatch.setattr(maintenance_scheduler, "process_record", stop_after_three)
    event = sqs_event(alerts)
    with pytest.raises(Exception):
        maintenance_scheduler.handler(event, None)
    dedicated_pg.start()
    monkeypatch.setattr(maintenance_scheduler, "process_record", real)
    assert maintenance_scheduler.handler(event, None) == {"batchItemFailures": []}
    with psycopg.connect(dedicated_pg.info.postgres_dsn) as conn:
        rows = conn.execute("SELECT alert_id, count(*) FROM maintenance_schedule GROUP BY alert_id").fetchall()
    assert sorted(r[0] for r in rows) == sorted(a["alert_id"] for a in alerts) and {r[1] for r in rows} == {1}


def test_redis_auth_token_comes_from_secrets_manager(make_ctx, resources):
    import boto3
    import redis as _r

    token = __import__("secrets").token_urlsafe(16)
    server = DedicatedRedis(password=token)
    server.start()
    try:
        arn = boto3.client("secretsmanager").create_secret(
            Name=f"{resources.project}/redis-auth-{server.port}", SecretString=token
        )["ARN"]
        make_ctx("fleet", REDIS_PORT=str(server.port), REDIS_AUTH_SECRET_ARN=arn)
        fleet = unique_fleet()
        assert fleet_dashboard.handler(sqs_event([alert(fleet_id=fleet)]), None) == {"batchItemFailures": []}
        assert (
            _r.Redis(port=server.port, password=token, decode_responses=True).hget(f"dash:fleet:{fleet}", "total")
            == "1"
        )
        make_ctx("fleet", REDIS_PORT=str(server.port))  # no secret: the server refuses the client
        with pytest.raises(Exception, match="Authentication|NOAUTH|DependencyUnavailable"):
            fleet_dashboard.handler(sqs_event([alert(fleet_id=fleet)]), None)
    finally:
        server.close()


def test_migrate_cli_against_a_dsn(stack, resources, capsys):
    assert migrate.main(["--dsn", stack.postgres_dsn]) == 0
    assert "schema up to date" in capsys.readouterr().out


class _LambdaContext:
    """The part of Lambda's context object the handlers read: a real deadline on the monotonic clock."""

    def __init__(self, remaining_s: float) -> None:
        import time

        self._deadline = time.monotonic() + remaining_s
        self.function_name = "fleettap-test-driver-notifier"
        self.aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self._deadline - time.monotonic()) * 1000))


def test_a_hung_api_never_runs_the_batch_past_the_functions_timeout(make_ctx, api_faults):
    """Issue 18 #7: each call is bounded by the invocation's remaining time (minus a margin); the
    records not reached are reported failed for SQS to redeliver, none is dead-lettered."""
    ctx = make_ctx("driver_notifier")
    alerts = [alert() for _ in range(3)]
    event = sqs_event(alerts)
    _mock(ctx, "/admin/faults", {"fail": 0, "delay_s": 6})
    context = _LambdaContext(remaining_s=9)
    try:
        failed = [f["itemIdentifier"] for f in driver_notifier.handler(event, context)["batchItemFailures"]]
    except BatchProcessingError:  # Powertools raises when every record failed: SQS redelivers all
        failed = [r["messageId"] for r in event["Records"]]
    assert context.get_remaining_time_in_millis() > 0, "the batch outlived the function's timeout"
    assert failed == [r["messageId"] for r in event["Records"]]
    assert ctx.dlq() == []
    _mock(ctx, "/admin/faults", {"fail": 0, "delay_s": 0})
    assert driver_notifier.handler(event, _LambdaContext(remaining_s=60)) == {"batchItemFailures": []}
    assert {n["idempotency_key"] for n in _delivered(ctx, {a["alert_id"] for a in alerts})} == {
        a["alert_id"] for a in alerts
    }
