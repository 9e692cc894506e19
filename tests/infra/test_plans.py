"""Plan dev, staging and prod against the emulator: same topology, only capacities differ."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from handlers.domain.hos.report_day import schedule_problems
from harness import terraform as tf
from sim.geography import CITY_BY_NAME, HOME_TERMINALS
from tests.infra.conftest import ENVS
from tests.infra.policy_checks import resources

pytestmark = pytest.mark.slow
FLEET_ZONES = {CITY_BY_NAME[name].time_zone for name in HOME_TERMINALS}

# Leaf attributes allowed to differ between environments, and why.
CAPACITY_ATTRIBUTES = {
    # throughput / size
    "shard_count",
    "retention_period",
    "memory_size",
    "reserved_concurrent_executions",
    "timeout",
    "node_type",
    "num_cache_clusters",
    "snapshot_retention_limit",
    "min_capacity",
    "max_capacity",
    "backup_retention_period",
    "read_capacity",  # PROVISIONED DynamoDB tables: autoscaling starts (table_capacity per env)
    "write_capacity",
    "batch_size",
    "parallelization_factor",
    "buffering_size",
    "buffering_interval",
    "visibility_timeout_seconds",
    # retention and archival periods
    "retention_in_days",
    "days",
    "noncurrent_days",
    # alarm thresholds derived from the capacities above (and the Kinesis utilisation expression)
    "threshold",
    "expression",
    # the DOT Maps' parallelism (dot_map_* per environment, within dot_report's reserved concurrency)
    "MaxConcurrency",
}
# Safety switches of stateful resources (dev is disposable, staging/prod are protected) and
# per-environment labels.
ENVIRONMENT_ATTRIBUTES = {
    "deletion_protection",
    "deletion_protection_enabled",
    "skip_final_snapshot",
    "apply_immediately",
    "force_destroy",
    "deletion_window_in_days",
    "recovery_window_in_days",
    "mode",
    "LOG_LEVEL",
    "CostCenter",
}
# Values that differ between any two plans, whatever the environment: none since the Redis AUTH token
# became write-only (it was a fresh random token in every plan).
RANDOM_ATTRIBUTES: set[str] = set()
# Alarms with one metric query per cache node: num_cache_clusters (a capacity) sets how many.
PER_NODE_ALARMS = {"aws_cloudwatch_metric_alarm.redis_memory", "aws_cloudwatch_metric_alarm.redis_engine_cpu"}

# The one topology difference, and why: prod calls the real external APIs (external_api_urls, required
# there on AWS), so it deploys no mock of them (audit C2). These addresses exist in dev and staging only:
# every API Gateway resource is the mock's, and its log group and the account's API Gateway CloudWatch
# role serve only the mock's stage logging.
PROD_WITHOUT_MOCK_API = (
    "aws_api_gateway_",
    "aws_cloudwatch_log_group.api[",
    "aws_iam_role.apigw_cloudwatch[",
    "aws_iam_role_policy.apigw_cloudwatch[",
    "data.aws_iam_policy_document.apigw_assume[",
)
# ...and the function settings that follow from it: the mock's stage URL (known after apply) in dev and
# staging, the vendor's URL in prod.
EXTERNAL_API_SETTINGS = {"TELEMATICS_API_URL", "PDF_API_URL"}
# prod as it is deployed on AWS: the vendors' URLs (TF_VAR_external_api_urls at deploy time).
PROD_EXTERNAL_API_URLS = {"telematics": "https://api.telematics-vendor.net", "pdf": "https://eld.fmcsa-vendor.net"}


def _mock_api_only(address: str) -> bool:
    return address.startswith(PROD_WITHOUT_MOCK_API)


@pytest.fixture(scope="module")
def plans(emulator) -> dict[str, dict]:
    return {
        env: tf.show_plan(
            env,
            emulator.info,
            state_dir=emulator.state_dir,
            extra_vars={"external_api_urls": PROD_EXTERNAL_API_URLS} if env == "prod" else None,
        )
        for env in ENVS
    }


def _normalise(value: Any, env: str) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, env) for v in value]
    if isinstance(value, str):
        if value == env:
            return "<env>"
        value = re.sub(rf"lambda-artifacts-{env}/", "lambda-artifacts-<env>/", value)
        return re.sub(rf"fleettap([-_/ ]){env}(?![a-z0-9])", r"fleettap\1<env>", value)
    return value


def _flatten(value: Any, path: tuple = ()) -> dict[tuple, Any]:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten(v, path + (k,)))
        return out or {path: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, path + (i,)))
        return out or {path: []}
    return {path: value}


def _values(plan: dict, env: str) -> dict[str, dict]:
    out = {}
    for r in resources(plan):
        values = dict(r.get("values", {}))
        if r["type"] == "aws_sfn_state_machine" and values.get("definition"):
            values["definition"] = json.loads(values["definition"])  # compare the states, not one string
        if r["type"] == "aws_s3_bucket_lifecycle_configuration":
            # Transitions are a set, ordered by a hash of their values (days differ per environment):
            # compare them in storage-class order.
            for rule in values.get("rule", []):
                for key in ("transition", "noncurrent_version_transition"):
                    rule[key] = sorted(rule.get(key) or [], key=lambda t: t.get("storage_class") or "")
        out[r["address"]] = _normalise(values, env)
    return out


def test_every_plan_creates_only(plans):
    for env, plan in plans.items():
        actions = {tuple(c["change"]["actions"]) for c in plan["resource_changes"]}
        assert actions <= {("create",), ("read",)}, (env, actions)
        assert len(plan["resource_changes"]) > 200, env


def test_the_three_plans_hold_exactly_the_same_resource_addresses(plans):
    """Except the mock external API, which prod does not deploy (PROD_WITHOUT_MOCK_API, named here)."""
    addresses = {env: sorted(c["address"] for c in plan["resource_changes"]) for env, plan in plans.items()}
    assert addresses["dev"] == addresses["staging"]
    mock_only = [a for a in addresses["dev"] if _mock_api_only(a)]
    assert [a for a in addresses["dev"] if not _mock_api_only(a)] == addresses["prod"]
    # The exception is exactly the mock: its REST API and stage, and nothing of it left in prod.
    assert {"aws_api_gateway_rest_api.external[0]", "aws_api_gateway_stage.external[0]"} <= set(mock_only)
    assert {"aws_api_gateway_account.this[0]", "aws_cloudwatch_log_group.api[0]"} <= set(mock_only)
    assert not any(_mock_api_only(a) for a in addresses["prod"])


def test_prod_functions_call_the_real_external_apis(plans):
    """Audit C2: prod on AWS has no mock; its functions take the vendors' URLs from external_api_urls."""
    # The functions' environments hold ARNs known only after apply, so the plan shows their
    # TELEMATICS_API_URL/PDF_API_URL through the output both are taken from.
    outputs = plans["prod"]["planned_values"]["outputs"]
    assert outputs["external_api_function_urls"]["value"] == {
        "TELEMATICS_API_URL": PROD_EXTERNAL_API_URLS["telematics"],
        "PDF_API_URL": PROD_EXTERNAL_API_URLS["pdf"],
    }
    assert outputs["external_api"]["value"] == {"mock": False, "bases": {}, "routes": []}
    assert outputs["external_api_url"].get("value") is None
    dev = plans["dev"]["planned_values"]["outputs"]["external_api"]["value"]
    assert dev["mock"] is True and dev["routes"] == ["POST /fmcsa/v1/rod-pdf", "POST /v1/notifications"]


def test_the_plans_differ_only_in_capacity_attributes(plans):
    values = {env: _values(plan, env) for env, plan in plans.items()}
    unexpected = []
    differing_leaves = set()
    for address in values["dev"]:
        if _mock_api_only(address):
            assert address not in values["prod"]  # the named exception (see the address test)
            continue
        flat = {env: _flatten(values[env][address]) for env in ENVS}
        paths = set(flat["dev"]) | set(flat["staging"]) | set(flat["prod"])
        for path in paths:
            seen = {env: flat[env].get(path, "<absent>") for env in ENVS}
            if len({json.dumps(v, sort_keys=True) for v in seen.values()}) == 1:
                continue
            leaf = next((p for p in reversed(path) if isinstance(p, str)), "")
            differing_leaves.add(leaf)
            if address in PER_NODE_ALARMS and path[0] == "metric_query":
                continue
            if leaf in EXTERNAL_API_SETTINGS and seen["dev"] == seen["staging"] != seen["prod"]:
                continue  # the mock's stage URL in dev and staging, the vendor's in prod
            if leaf not in CAPACITY_ATTRIBUTES | ENVIRONMENT_ATTRIBUTES | RANDOM_ATTRIBUTES:
                unexpected.append((address, path, seen))
    assert not unexpected, "\n".join(f"{a} {p} {s}" for a, p, s in unexpected[:40])
    # The capacities really do scale (otherwise this test would pass vacuously).
    assert {
        "shard_count",
        "memory_size",
        "max_capacity",
        "node_type",
        "reserved_concurrent_executions",
    } <= differing_leaves


def test_prod_capacities_come_from_prod_tfvars(plans):
    streams = {r["values"]["name"]: r["values"] for r in resources(plans["prod"]) if r["type"] == "aws_kinesis_stream"}
    assert {name: s["shard_count"] for name, s in streams.items()} == {
        "fleettap-prod-diagnostics": 7,
        "fleettap-prod-hos": 2,
        "fleettap-prod-gps": 12,
    }
    assert all(
        s["encryption_type"] == "KMS" and s["stream_mode_details"][0]["stream_mode"] == "PROVISIONED"
        for s in streams.values()
    )
    dev_streams = [r["values"] for r in resources(plans["dev"]) if r["type"] == "aws_kinesis_stream"]
    assert sorted(s["shard_count"] for s in dev_streams) == [1, 1, 1]


def test_functions_follow_the_contract(plans):
    functions = {
        r["values"]["function_name"]: r["values"]
        for r in resources(plans["dev"])
        if r["address"].startswith("aws_lambda_function.this[")
    }
    steps = {
        r["values"]["function_name"]: r["values"]["handler"]
        for r in resources(plans["dev"])
        if r["address"].startswith("aws_lambda_function.deploy_step[")
    }
    assert steps == {
        "fleettap-dev-schema-migrator": "handlers.schema_migrator.handler",
        "fleettap-dev-redis-auth": "handlers.redis_auth_rotator.handler",
    }
    expected = {
        "processor": "diagnostics_processor",
        "anomaly": "anomaly_detector",
        "maintenance": "maintenance_scheduler",
        "driver-notifier": "driver_notifier",
        "fleet": "fleet_dashboard",
        "predictive": "predictive_maintenance",
        "hos": "hos_processor",
        "hos-report": "hos_report_writer",
        "location": "location_tracker",
        "fuel": "fuel_analytics",
        "coaching": "coaching_dispatcher",
        "dot-report": "dot_reporting",
        "firehose-transform": "firehose_transformer",
    }
    assert sorted(functions) == sorted(f"fleettap-dev-{k}" for k in expected)
    for key, module in expected.items():
        function = functions[f"fleettap-dev-{key}"]
        assert function["handler"] == f"handlers.{module}.handler"
        assert function["runtime"] == "python3.12"
        assert function["tracing_config"][0]["mode"] == "Active"
        assert function["vpc_config"], f"{key} is not in the VPC"
        # Environment variables hold ARNs known only after apply: checked in test_apply.py.
    memory = {name.removeprefix("fleettap-dev-"): f["memory_size"] for name, f in functions.items()}
    assert memory["hos"] == memory["hos-report"] == memory["dot-report"] == 256
    assert memory["firehose-transform"] == memory["processor"]


def test_topics_queues_and_filter_policies_follow_the_contract(plans):
    values = list(resources(plans["dev"]))
    topics = sorted(r["values"]["name"] for r in values if r["type"] == "aws_sns_topic")
    assert topics == sorted(
        f"fleettap-dev-{t}"
        for t in (
            "vehicle-alerts",
            "maintenance-required",
            "hos-violations",
            "compliance-summary",
            "geofence-alerts",
            "driver-coaching",
            "ops-alarms",
        )
    )
    queues = sorted(r["values"]["name"] for r in values if r["type"] == "aws_sqs_queue")
    for name in ("maintenance_alerts", "driver_notifications", "fleet_manager_queue", "driver_training_queue"):
        assert f"fleettap-dev-{name}" in queues and f"fleettap-dev-{name}-dlq" in queues
    assert "fleettap-dev-driver_notifier-dlq" in queues and len(queues) == 8 + 13
    filters = {
        r["index"]: json.loads(r["values"]["filter_policy"])
        for r in values
        if r["type"] == "aws_sns_topic_subscription" and r["name"] == "alerts_to_queue"
    }
    assert filters == {
        "maintenance": {"severity": ["high", "critical"]},
        "driver": {"severity": ["warning", "high", "critical"]},
        "fleet": {"severity": ["info", "warning", "high", "critical"]},
    }
    https = [r for r in values if r["type"] == "aws_sns_topic_subscription" and r["values"]["protocol"] == "https"]
    assert https and all(r["values"]["endpoint"].startswith("https://") for r in https)


def test_event_source_mappings_have_every_knob(plans):
    mappings = [r["values"] for r in resources(plans["prod"]) if r["type"] == "aws_lambda_event_source_mapping"]
    assert len(mappings) == 9
    streams = [m for m in mappings if m.get("starting_position")]
    assert len(streams) == 6
    for mapping in streams:
        assert mapping["parallelization_factor"] == 4 and mapping["bisect_batch_on_function_error"]
        # retried until the record is 6 h old (a dependency outage is ridden out; docs/contracts.md)
        assert mapping["maximum_retry_attempts"] == -1 and mapping["maximum_record_age_in_seconds"] == 21600
        assert mapping["maximum_batching_window_in_seconds"] >= 1
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
        assert len(mapping["destination_config"][0]["on_failure"]) == 1  # DLQ ARN known after apply
    for mapping in mappings:
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("env", ENVS)
def test_the_dot_schedule_fires_after_the_report_day_ended_in_every_fleet_zone(plans, env):
    """Daily at a fixed UTC minute, every day reported exactly once and at least an hour after it
    ended in every home-terminal zone, over two years of daylight-saving changes."""
    values = list(resources(plans[env]))
    rule = next(
        r["values"] for r in values if r["type"] == "aws_cloudwatch_event_rule" and r["name"] == "dot_reporting"
    )
    match = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", rule["schedule_expression"])
    assert match, f"{env}: the DOT schedule must fire daily at a fixed UTC time: {rule['schedule_expression']}"
    zones = plans[env]["variables"]["fleet_time_zones"]["value"]  # REPORT_TIME_ZONES of the functions
    assert set(zones) >= FLEET_ZONES, f"{env}: zones of simulated terminals missing from fleet_time_zones"
    minute, hour = int(match.group(1)), int(match.group(2))
    assert schedule_problems(hour, minute, zones, dt.date(2026, 1, 1), 2 * 366) == []


def test_schedule_and_alarms(plans):
    values = list(resources(plans["dev"]))
    rule = next(r["values"] for r in values if r["type"] == "aws_cloudwatch_event_rule")
    assert rule["schedule_expression"] == "cron(0 9 * * ? *)"
    alarms = [r for r in values if r["type"] == "aws_cloudwatch_metric_alarm"]
    # 8 original + iterator age per stream mapping (6) + errors and throttles per function (26) + a
    # depth alarm per DLQ (4 work + 13 function) + Redis engine CPU + Aurora CPU.
    # (dot_report has no Errors alarm: the DOT workflow retries and records its drivers' failures)
    assert len(alarms) == 8 + 6 + 25 + 17 + 2


def test_cost_choices_reach_the_plan(plans):
    """make capacity ENV=prod's choices (capacity_planner.cost) as deployed, in every environment."""
    for env, plan in plans.items():
        by_type: dict[str, list[dict]] = {}
        for r in resources(plan):
            by_type.setdefault(r["type"], []).append(r)
        tables = {r["index"]: r["values"] for r in by_type["aws_dynamodb_table"]}
        provisioned = {key for key, t in tables.items() if t["billing_mode"] == "PROVISIONED"}
        assert provisioned == {"diagnostics", "locations", "predictions"}, env
        # every provisioned table, and the locations GSI, scales reads and writes by target tracking
        targets = {
            (r["values"]["resource_id"], r["values"]["scalable_dimension"])
            for r in by_type["aws_appautoscaling_target"]
        }
        for key in provisioned:
            for io in ("Read", "Write"):
                assert (f"table/{tables[key]['name']}", f"dynamodb:table:{io}CapacityUnits") in targets, (env, key)
        gsi = f"table/{tables['locations']['name']}/index/geohash-index"
        assert {(gsi, "dynamodb:index:ReadCapacityUnits"), (gsi, "dynamodb:index:WriteCapacityUnits")} <= targets
        assert len(by_type["aws_appautoscaling_policy"]) == len(targets) == 8
        # the reader idles (promotion tier 2) instead of following the writer's ACUs
        tiers = sorted(r["values"]["promotion_tier"] for r in by_type["aws_rds_cluster_instance"])
        assert tiers == [0, 2], env
        # the lake stays Athena-readable (Standard, Glacier IR) inside the query window
        lake = next(
            r["values"] for r in by_type["aws_s3_bucket_lifecycle_configuration"] if r.get("index") == "datalake"
        )
        transitions = sorted((t["days"], t["storage_class"]) for t in lake["rule"][0]["transition"])
        assert [c for _, c in transitions] == ["GLACIER_IR", "GLACIER"], env
        assert transitions[1][0] >= 365
        workgroup = by_type["aws_athena_workgroup"][0]["values"]
        assert workgroup["configuration"][0]["bytes_scanned_cutoff_per_query"] == 200 * 1024**3
        endpoints = {r["index"] for r in by_type["aws_vpc_endpoint"] if r["values"]["vpc_endpoint_type"] == "Interface"}
        assert endpoints == {"kinesis-streams", "sns", "sqs", "sagemaker.runtime", "secretsmanager"}, env


def _alarms(plan: dict) -> dict[str, dict]:
    return {r["address"]: r["values"] for r in resources(plan) if r["type"] == "aws_cloudwatch_metric_alarm"}


def test_alarms_page_on_what_loses_data_or_time(plans):
    """Audit E1-E3, E8: every stream mapping's iterator age, every DLQ, each function's errors and
    throttles; the Kinesis alarm reads records as well as bytes; the SQS age alarm only consumed queues;
    the Redis alarms follow every node, not node -001."""
    plan = plans["prod"]
    alarms = _alarms(plan)
    mappings = [r for r in resources(plan) if r["type"] == "aws_lambda_event_source_mapping"]
    streamed = {
        "fleettap-prod-" + (m.get("index") or "anomaly").replace("_", "-")
        for m in mappings
        if m["values"].get("starting_position")
    }
    watched_age = {a["dimensions"]["FunctionName"] for a in alarms.values() if a.get("metric_name") == "IteratorAge"}
    assert watched_age == streamed and len(streamed) == 6
    queues = {r["values"]["name"] for r in resources(plan) if r["type"] == "aws_sqs_queue"}
    dlqs = {q for q in queues if q.endswith("-dlq")}
    depth = {
        a["dimensions"]["QueueName"]
        for a in alarms.values()
        if a.get("metric_name") == "ApproximateNumberOfMessagesVisible" and a["threshold"] == 0
    }
    assert depth == dlqs and len(dlqs) == 17
    functions = {
        r["values"]["function_name"] for r in resources(plan) if r["address"].startswith("aws_lambda_function.this")
    }
    for metric, watched in (("Errors", functions - {"fleettap-prod-dot-report"}), ("Throttles", functions)):
        assert {a["dimensions"]["FunctionName"] for a in alarms.values() if a.get("metric_name") == metric} == watched
    kinesis = alarms["aws_cloudwatch_metric_alarm.kinesis_incoming_bytes"]
    read = {q["metric"][0]["metric_name"] for q in kinesis["metric_query"] if q.get("metric")}
    assert read == {"IncomingBytes", "IncomingRecords"}
    age = alarms["aws_cloudwatch_metric_alarm.sqs_oldest_message"]
    age_queues = {q["metric"][0]["dimensions"]["QueueName"] for q in age["metric_query"] if q.get("metric")}
    assert age_queues and not any("training" in q for q in age_queues)
    for name in ("redis_memory", "redis_engine_cpu"):
        nodes = {
            q["metric"][0]["dimensions"]["CacheClusterId"]
            for q in alarms[f"aws_cloudwatch_metric_alarm.{name}"]["metric_query"]
            if q.get("metric")
        }
        assert nodes == {f"fleettap-prod-redis-00{i}" for i in (1, 2, 3)}
    rds_cpu = alarms["aws_cloudwatch_metric_alarm.aurora_cpu"]
    assert rds_cpu["metric_name"] == "CPUUtilization" and rds_cpu["namespace"] == "AWS/RDS"


def test_the_anomaly_mapping_drops_ttl_deletes_as_the_local_poller_filters(plans):
    """Audit E5: Lambda's filter on the table stream keeps writes and drops TTL's REMOVE records; the
    local poller applies the same pattern to the event shape Lambda delivers."""
    from harness.runtime.pollers.filter_criteria import RecordFilter
    from harness.runtime.pollers.stream_sources import lambda_user_identity

    mapping = next(
        r["values"]
        for r in resources(plans["prod"])
        if r["address"] == "aws_lambda_event_source_mapping.diagnostics_table"
    )
    patterns = [json.loads(f["pattern"]) for f in mapping["filter_criteria"][0]["filter"]]
    keep = RecordFilter(patterns, "dynamodb")
    ttl_delete = {
        "eventName": "REMOVE",
        "userIdentity": lambda_user_identity({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}),
    }
    assert not keep.matches(ttl_delete)
    assert keep.matches({"eventName": "INSERT", "dynamodb": {}})
    assert keep.matches({"eventName": "MODIFY", "dynamodb": {}})


def test_no_secret_value_in_any_plan(plans):
    """Audit A5/C3: the Redis AUTH token is write-only (never in plan or state), Aurora's password is
    RDS-managed; the replication group takes no token from Terraform (the redis_auth deploy step sets it)."""
    for env, plan in plans.items():
        for r in resources(plan):
            values = r.get("values", {})
            assert not values.get("secret_string"), f"{env}: {r['address']} holds a secret in the plan"
            assert not values.get("auth_token"), f"{env}: {r['address']} holds a secret in the plan"
            assert not values.get("master_password"), f"{env}: {r['address']} holds a password in the plan"
        version = next(
            r["values"] for r in resources(plan) if r["address"] == "aws_secretsmanager_secret_version.redis_auth"
        )
        assert version["secret_string_wo_version"] == 1
        steps = {r["index"] for r in resources(plan) if r["type"] == "aws_lambda_invocation"}
        assert steps == {"schema_migrator", "redis_auth"}


def test_the_diagnostics_stream_has_enhanced_fan_out_consumers(plans):
    """Audit E4: predictive and fuel read the diagnostics stream through their own consumers, so the
    shared 5 GetRecords/s per shard serve only the processor and Firehose (2 of 5)."""
    for env, plan in plans.items():
        consumers = {r["values"]["name"] for r in resources(plan) if r["type"] == "aws_kinesis_stream_consumer"}
        assert consumers == {f"fleettap-{env}-predictive", f"fleettap-{env}-fuel"}


def _configured(plan: dict, address: str) -> dict:
    return next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == address)


@pytest.mark.parametrize("env", ENVS)
def test_the_audit_fixes_without_a_test_of_their_own_reach_the_plan(plans, env):
    """docs/audit-status.md: A4 (services that check their role at creation wait for its inline
    policy), C1 (Aurora refuses plain connections), C6 (no IAM database authentication), C7 (report lock
    mode per environment), E8 (the DOT alarm counts failed, timed-out and aborted runs), E10 (protected
    environments' Redis changes wait for the maintenance window)."""
    plan = plans[env]
    by_address = {r["address"]: r.get("values", {}) for r in resources(plan)}
    for address, policy in (
        ("aws_flow_log.main", "aws_iam_role_policy.flow_logs"),
        ("aws_rds_cluster_instance.aurora", "aws_iam_role_policy.rds_monitoring"),
        ("aws_sfn_state_machine.dot_reporting", "aws_iam_role_policy.sfn"),
        ("aws_cloudwatch_event_target.dot_reporting", "aws_iam_role_policy.events"),
        ("aws_kinesis_firehose_delivery_stream.diagnostics", "aws_iam_role_policy.firehose"),
        ("aws_glue_crawler.diagnostics", "aws_iam_role_policy.crawler"),
    ):
        assert policy in _configured(plan, address).get("depends_on", []), (env, address)
    parameters = {p["name"]: p["value"] for p in by_address["aws_rds_cluster_parameter_group.aurora"]["parameter"]}
    assert parameters["rds.force_ssl"] == "1", env
    assert by_address["aws_rds_cluster.aurora"]["iam_database_authentication_enabled"] is False, env
    lock = by_address["aws_s3_bucket_object_lock_configuration.reports"]["rule"][0]["default_retention"][0]
    assert lock["mode"] == ("COMPLIANCE" if env == "prod" else "GOVERNANCE"), env
    sfn_alarm = by_address["aws_cloudwatch_metric_alarm.sfn_failures"]
    counted = {q["metric"][0]["metric_name"] for q in sfn_alarm["metric_query"] if q.get("metric")}
    assert counted == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}, env
    redis = by_address["aws_elasticache_replication_group.redis"]
    assert redis["apply_immediately"] is (env == "dev"), env


def test_buckets_expire_what_nobody_keeps(plans):
    """Audit D5: Athena query results and S3 access logs expire, and so do their noncurrent versions
    (with versioning, an expired object only becomes noncurrent) and the data lake's overwritten or
    deleted objects; the compliance reports (Object Lock, the legal record) never expire."""
    for env, plan in plans.items():
        rules = {
            r["index"]: r["values"]["rule"][0]
            for r in resources(plan)
            if r["address"].startswith("aws_s3_bucket_lifecycle_configuration.this[")
        }
        archive_days = plan["variables"]["lifecycle_archive_days"]["value"]
        athena, logs, lake, reports = rules["athena"], rules["logs"], rules["datalake"], rules["reports"]
        assert athena["expiration"][0]["days"] == 30 and not athena["transition"], env
        assert logs["expiration"][0]["days"] == 365 > archive_days, env
        for rule in (athena, logs):
            assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 1, env
        assert lake["noncurrent_version_expiration"][0]["noncurrent_days"] == 30, env
        assert not lake["noncurrent_version_transition"] and not lake["expiration"], env
        assert not reports["expiration"] and not reports["noncurrent_version_expiration"], env
