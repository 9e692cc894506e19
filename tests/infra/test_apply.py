"""Apply dev.tfvars to the embedded emulator, prove a clean re-plan, then destroy everything.

The tests in this module run in order against one emulator: apply (fixture), inspect the
emulator and the state, re-plan, destroy. Timings go to reports/terraform-timings.json.
"""

from __future__ import annotations

import json
import time

import pytest

from harness import terraform as tf
from tests.infra.conftest import REPO_ROOT
from tests.infra.policy_checks import (
    IDENTITY_POLICY_TYPES,
    RESOURCE_POLICY_TYPES,
    identity_policy_violations,
    resource_policy_violations,
    resources,
    statements,
)

pytestmark = pytest.mark.slow
TIMINGS = REPO_ROOT / "reports" / "terraform-timings.json"


def _record(name: str, seconds: float, **extra) -> None:
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data[name] = {"seconds": round(seconds, 1), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra}
    TIMINGS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def runner(emulator):
    return tf.Runner("dev", "local", emulator.info, emulator.state_dir)


@pytest.fixture(scope="module")
def applied(runner):
    init = runner.init()
    # The emulator runs without its Lambda runtime here (no Postgres or Redis): the deploy steps that
    # invoke functions after apply are exercised by `make apply TARGET=local` instead.
    result = runner.apply(extra_vars={"run_deploy_steps": "false"})
    state = runner.show_json()
    count = sum(1 for r in resources(state) if r["mode"] == "managed")
    _record("init_dev", init.seconds)
    _record("apply_dev", result.seconds, resources=count)
    return state


def test_apply_creates_every_resource_in_the_emulator(applied, emulator):
    managed = [r for r in resources(applied) if r["mode"] == "managed"]
    assert len(managed) > 240
    functions = emulator.client("lambda").list_functions()["Functions"]
    assert sorted(f["FunctionName"] for f in functions if f["FunctionName"].startswith("fleettap-dev-")) == sorted(
        f"fleettap-dev-{k}"
        for k in (
            "processor",
            "anomaly",
            "maintenance",
            "driver-notifier",
            "fleet",
            "predictive",
            "hos",
            "hos-report",
            "location",
            "fuel",
            "coaching",
            "dot-report",
            "firehose-transform",
            # deploy steps Terraform invokes after apply (aws_lambda_invocation.deploy_step)
            "schema-migrator",
            "redis-auth",
        )
    )
    processor = emulator.client("lambda").get_function(FunctionName="fleettap-dev-processor")["Configuration"]
    assert processor["DeadLetterConfig"]["TargetArn"].endswith(":fleettap-dev-processor-dlq")
    assert processor["Layers"] and processor["Handler"] == "handlers.diagnostics_processor.handler"
    kinesis = emulator.client("kinesis")
    for name in ("fleettap-dev-diagnostics", "fleettap-dev-hos", "fleettap-dev-gps"):
        summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        assert summary["EncryptionType"] == "KMS" and summary["OpenShardCount"] == 1
    dynamodb = emulator.client("dynamodb")
    tables = [t for t in dynamodb.list_tables()["TableNames"] if t.startswith("fleettap-dev-")]
    assert len(tables) == 8
    diagnostics = dynamodb.describe_table(TableName="fleettap-dev-vehicle_diagnostics")["Table"]
    assert diagnostics["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert diagnostics["SSEDescription"]["SSEType"] == "KMS"
    ttl = dynamodb.describe_time_to_live(TableName="fleettap-dev-vehicle_diagnostics")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at" and ttl["TimeToLiveStatus"] == "ENABLED"
    locations = dynamodb.describe_table(TableName="fleettap-dev-vehicle_locations")["Table"]
    assert [i["IndexName"] for i in locations["GlobalSecondaryIndexes"]] == ["geohash-index"]
    assert len(emulator.client("sns").list_topics()["Topics"]) == 7
    assert len(emulator.client("sqs").list_queues()["QueueUrls"]) == 21
    assert len(emulator.client("s3").list_buckets()["Buckets"]) == 5  # reports, datalake, athena, logs, dot_work
    group = emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"][0]
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"]
    # AUTH is put on by the redis_auth deploy step (not run here): Terraform never holds the token.
    assert not group.get("AuthTokenEnabled")
    assert group["MemberClusters"] == ["fleettap-dev-redis-001", "fleettap-dev-redis-002"]
    cluster = emulator.client("rds").describe_db_clusters()["DBClusters"][0]
    assert cluster["StorageEncrypted"] and cluster["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 2
    assert cluster["MasterUserSecret"]["SecretArn"]
    assert len(emulator.client("stepfunctions").list_state_machines()["stateMachines"]) == 1
    assert len(emulator.client("lambda").list_event_source_mappings()["EventSourceMappings"]) == 9
    # 8 + iterator age (6) + errors/throttles per function (26, no dot_report errors) + DLQ depth (17) + Redis
    # engine CPU + Aurora CPU
    alarms = [
        alarm["AlarmName"]
        for page in emulator.client("cloudwatch").get_paginator("describe_alarms").paginate()
        for alarm in page["MetricAlarms"]
    ]
    # Application Auto Scaling makes its own alarms for each target-tracking policy, as on AWS
    # (TargetTracking-table/<name>-AlarmHigh-..., 4 per DynamoDB policy); the stack's are the rest.
    assert len([name for name in alarms if not name.startswith("TargetTracking-")]) == 58
    assert len([name for name in alarms if name.startswith("TargetTracking-")]) == 4 * 8


def test_functions_environment_and_wiring_follow_the_contract(applied):
    values = list(resources(applied))
    for function in (r["values"] for r in values if r["address"].startswith("aws_lambda_function.this[")):
        variables = function["environment"][0]["variables"]
        key = function["function_name"].removeprefix("fleettap-dev-").replace("-", "_")
        assert variables["ENV"] == "dev" and variables["PROJECT_NAME"] == "fleettap"
        assert variables["POWERTOOLS_SERVICE_NAME"] == key
        assert variables["DLQ_URL"].endswith(f"/fleettap-dev-{key}-dlq")
        assert variables["PREDICTION_CONFIDENCE_THRESHOLD"] == "0.8" and variables["DIAGNOSTICS_TTL_DAYS"] == "30"
        assert variables["PREDICTION_FIRST_SCORE_SPREAD_MIN"] == "8"
        assert variables["REDIS_PORT"] == "6379" and variables["REDIS_TLS"] == "true"
        assert variables["DB_NAME"] == "fleettap" and variables["DB_PORT"] == "5432"
        for name in (
            "DIAGNOSTICS_TABLE",
            "THRESHOLDS_TABLE",
            "PREDICTIONS_TABLE",
            "DRIVER_LOGS_TABLE",
            "COMPLIANCE_RULES_TABLE",
            "LOCATIONS_TABLE",
            "GEOFENCES_TABLE",
            "COMPLIANCE_STATUS_TABLE",
        ):
            assert variables[name].startswith("fleettap-dev-"), name
        for name in (
            "ALERTS_TOPIC_ARN",
            "MAINTENANCE_TOPIC_ARN",
            "VIOLATIONS_TOPIC_ARN",
            "SUMMARY_TOPIC_ARN",
            "GEOFENCE_TOPIC_ARN",
            "COACHING_TOPIC_ARN",
        ):
            assert variables[name].startswith("arn:aws:sns:"), name
        for name in (
            "REDIS_HOST",
            "REDIS_AUTH_SECRET_ARN",
            "DB_HOST",
            "DB_SECRET_ARN",
            "SAGEMAKER_ENDPOINT_NAME",
            "TELEMATICS_API_URL",
            "PDF_API_URL",
            "REPORTS_BUCKET",
            "TRAINING_QUEUE_URL",
            "REPORT_RETENTION_DAYS",
        ):
            assert variables[name], name
        assert function["dead_letter_config"][0]["target_arn"].endswith(f":fleettap-dev-{key}-dlq")
    for mapping in (r["values"] for r in values if r["type"] == "aws_lambda_event_source_mapping"):
        if mapping.get("starting_position"):
            destination = mapping["destination_config"][0]["on_failure"][0]["destination_arn"]
            assert destination.startswith("arn:aws:sqs:") and destination.endswith("-dlq")
    machine = next(r["values"] for r in values if r["type"] == "aws_sfn_state_machine")
    definition = json.loads(machine["definition"])

    def walk(states: dict, state: str, failed: str) -> list:
        steps = []
        while state:
            body = states[state]
            if failed:
                assert body["Catch"][0]["Next"] == failed
            if body["Type"] == "Map" and "ItemReader" in body:
                # DISTRIBUTED: the driver list is read from the S3 manifest gather wrote, never from the
                # state (256 KB state, 25,000-event history); results go to S3, not back inline.
                assert body["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
                assert body["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
                assert body["ItemReader"]["ReaderConfig"]["InputType"] == "JSON"
                assert body["ItemReader"]["Parameters"] == {"Bucket.$": "$.bucket", "Key.$": "$.key"}
                assert body["ResultWriter"]["Resource"].endswith(":states:::s3:putObject")
                # work files go to the work bucket (no Object Lock); a failed child does not stop the others
                assert body["ResultWriter"]["Parameters"]["Bucket"].startswith("fleettap-dev-dot-work-")
                assert body["ResultPath"] == "$.map_run" and body["ToleratedFailurePercentage"] == 100
                assert 1 <= body["MaxConcurrency"] <= 40 and 1 <= body["ItemBatcher"]["MaxItemsPerBatch"] <= 500
                processor = body["ItemProcessor"]
                [batch] = walk(processor["States"], processor["StartAt"], None)
                steps.append(batch)
            elif body["Type"] == "Map":  # in a child: one inline iteration per driver of its shard
                assert body["ItemsPath"] == "$.Items" and 1 <= body["MaxConcurrency"] <= 40
                assert body["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"
                processor = body["ItemProcessor"]
                # a driver that still fails after its retries becomes its result (a Pass), not a failure
                assert processor["States"]["DriverFailed"]["Type"] == "Pass"
                assert processor["States"]["DriverFailed"]["Parameters"]["status"] == "failed"
                steps.append(walk(processor["States"], processor["StartAt"], "DriverFailed"))
            else:
                assert body["Type"] == "Task" and body["Resource"].endswith(":states:::lambda:invoke")
                assert body["Parameters"]["FunctionName"].endswith(":function:fleettap-dev-dot-report")
                retried = {e for r in body["Retry"] if r.get("MaxAttempts", 3) > 0 for e in r["ErrorEquals"]}
                # the handler's own errors and timeouts too, not only Lambda service errors
                assert {"States.TaskFailed", "States.Timeout", "Lambda.Unknown", "Sandbox.Timedout"} <= retried
                assert body["TimeoutSeconds"] > 0
                steps.append(body["Parameters"]["Payload"]["step"])
            state = body.get("Next")
        return steps

    assert walk(definition["States"], definition["StartAt"], "ReportFailed") == [
        "gather",
        ["report_driver"],
        "publish_summary",
    ]


def test_outputs_cover_what_the_request_lists(runner, applied):
    outputs = runner.outputs()
    for name in (
        "kinesis_stream_arns",
        "dynamodb_table_names",
        "dynamodb_table_arns",
        "sns_topic_arns",
        "sqs_queue_urls",
        "aurora_cluster_endpoint",
        "aurora_reader_endpoint",
        "redis_primary_endpoint",
        "step_function_arn",
        "lambda_function_arns",
        "s3_bucket_names",
        "firehose_arn",
        "glue_database_name",
        "glue_crawler_name",
        "athena_workgroup",
        "vpc_id",
        "private_subnet_ids",
        "public_subnet_ids",
        "security_group_ids",
    ):
        assert outputs.get(name), name
    assert set(outputs["kinesis_stream_arns"]) == {"diagnostics", "hos", "gps"}
    assert len(outputs["lambda_function_arns"]) == 13 and len(outputs["dynamodb_table_names"]) == 8


def test_no_iam_statement_grants_wildcards(applied):
    problems = []
    checked = 0
    for resource in resources(applied):
        kind = resource["type"]
        if kind in IDENTITY_POLICY_TYPES:
            for statement in statements(resource["values"][IDENTITY_POLICY_TYPES[kind]]):
                checked += 1
                problems += [(resource["address"], p) for p in identity_policy_violations(statement)]
        elif kind in RESOURCE_POLICY_TYPES:
            for statement in statements(resource["values"].get(RESOURCE_POLICY_TYPES[kind])):
                checked += 1
                problems += [(resource["address"], p) for p in resource_policy_violations(statement, kind)]
    assert checked > 80
    assert not problems, problems


def test_every_bucket_table_stream_topic_queue_and_log_group_is_kms_encrypted(applied):
    by_type: dict[str, list[dict]] = {}
    for resource in resources(applied):
        by_type.setdefault(resource["type"], []).append(resource)
    keys = {r["address"]: r["values"]["arn"] for r in by_type["aws_kms_key"]}
    key_arn, work_key_arn = keys["aws_kms_key.main"], keys["aws_kms_key.dot_work"]
    unencrypted = []
    for table in by_type["aws_dynamodb_table"]:
        sse = table["values"]["server_side_encryption"][0]
        if not (sse["enabled"] and sse["kms_key_arn"] == key_arn):
            unencrypted.append(table["address"])
    for stream in by_type["aws_kinesis_stream"]:
        if stream["values"]["encryption_type"] != "KMS" or stream["values"]["kms_key_id"] != key_arn:
            unencrypted.append(stream["address"])
    for kind, attribute in (
        ("aws_sns_topic", "kms_master_key_id"),
        ("aws_sqs_queue", "kms_master_key_id"),
        ("aws_cloudwatch_log_group", "kms_key_id"),
        ("aws_secretsmanager_secret", "kms_key_id"),
    ):
        for resource in by_type[kind]:
            if resource["values"][attribute] != key_arn:
                unencrypted.append(resource["address"])
    buckets = {r["values"]["id"]: r["address"] for r in by_type["aws_s3_bucket"]}
    encryption = {
        r["values"]["bucket"]: r["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]
        for r in by_type["aws_s3_bucket_server_side_encryption_configuration"]
    }
    for bucket, address in buckets.items():
        rule = encryption.get(bucket, {})
        if "-access-logs-" in bucket:
            # S3 server access log delivery supports only SSE-S3 on the target bucket; it holds
            # request metadata, no vehicle data (see tap_stack.tf).
            if rule.get("sse_algorithm") != "AES256":
                unencrypted.append(address)
        elif "-dot-work-" in bucket:
            # DOT work files: their own key, granted to dot_report's and the state machine's roles only
            if rule.get("sse_algorithm") != "aws:kms" or rule.get("kms_master_key_id") != work_key_arn:
                unencrypted.append(address)
        elif rule.get("sse_algorithm") != "aws:kms" or rule.get("kms_master_key_id") != key_arn:
            unencrypted.append(address)
    cluster = by_type["aws_rds_cluster"][0]["values"]
    if not (cluster["storage_encrypted"] and cluster["kms_key_id"] == key_arn):
        unencrypted.append("aws_rds_cluster.aurora")
    group = by_type["aws_elasticache_replication_group"][0]["values"]
    if not (
        group["at_rest_encryption_enabled"] and group["transit_encryption_enabled"] and group["kms_key_id"] == key_arn
    ):
        unencrypted.append("aws_elasticache_replication_group.redis")
    assert not unencrypted, unencrypted
    assert len(by_type["aws_cloudwatch_log_group"]) >= 17 and len(by_type["aws_sqs_queue"]) == 21


def test_second_plan_shows_no_changes(runner, applied):
    result = runner.plan(detailed_exitcode=True, extra_vars={"run_deploy_steps": "false"})
    _record("replan_dev", result.seconds)
    assert result.returncode == 0, result.stdout[-4000:]


def test_destroy_removes_everything(runner, applied, emulator):
    result = runner.destroy(extra_vars={"run_deploy_steps": "false"})
    _record("destroy_dev", result.seconds)
    assert runner.state_addresses() == []
    assert [f for f in emulator.client("lambda").list_functions()["Functions"]] == []
    assert emulator.client("kinesis").list_streams()["StreamNames"] == []
    assert emulator.client("dynamodb").list_tables()["TableNames"] == []
    assert emulator.client("sns").list_topics()["Topics"] == []
    assert emulator.client("sqs").list_queues().get("QueueUrls", []) == []
    assert emulator.client("s3").list_buckets()["Buckets"] == []
    assert emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    assert emulator.client("elasticache").describe_cache_clusters()["CacheClusters"] == []
    assert emulator.client("rds").describe_db_clusters()["DBClusters"] == []
    assert emulator.client("rds").describe_db_instances()["DBInstances"] == []
    assert emulator.client("stepfunctions").list_state_machines()["stateMachines"] == []
    assert emulator.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert emulator.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert emulator.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Project", "Values": ["fleettap"]}])["Vpcs"] == []


def test_dot_state_machine_role_grants_the_distributed_map_exactly_what_it_needs(applied):
    """Least privilege for the DISTRIBUTED Map: child executions of this state machine only, the
    manifest read and the ResultWriter prefix in the DOT work bucket, its key through S3 only."""
    values = list(resources(applied))
    machine = next(r["values"] for r in values if r["type"] == "aws_sfn_state_machine")
    bucket = next(r["values"]["arn"] for r in values if r["address"] == 'aws_s3_bucket.this["dot_work"]')
    work_key = next(r["values"]["arn"] for r in values if r["address"] == "aws_kms_key.dot_work")
    policy = next(r["values"] for r in values if r["address"] == "aws_iam_role_policy.sfn")
    granted = {s["Sid"]: s for s in statements(policy["policy"])}
    assert granted["RunDistributedMapChildren"]["Action"] == ["states:StartExecution"]
    assert granted["RunDistributedMapChildren"]["Resource"] == [machine["arn"]]
    execution_prefix = machine["arn"].replace(":stateMachine:", ":execution:")
    assert granted["ManageDistributedMapChildren"]["Resource"] == [f"{execution_prefix}/*"]  # <machine>/<label>:<id>
    assert sorted(granted["ManageDistributedMapChildren"]["Action"]) == [
        "states:DescribeExecution",
        "states:StopExecution",
    ]
    assert granted["ReadDriverManifest"]["Resource"] == [f"{bucket}/dot-reports/work/date=*/manifest.json"]
    assert granted["WriteMapRunResults"]["Resource"] == [f"{bucket}/dot-reports/work/map-runs/*"]
    assert granted["UseDotWorkKey"]["Resource"] == [work_key]
    definition = json.loads(machine["definition"])
    writer = definition["States"]["ReportDrivers"]["ResultWriter"]["Parameters"]
    assert f"arn:aws:s3:::{writer['Bucket']}" == bucket and writer["Prefix"] == "dot-reports/work/map-runs"
