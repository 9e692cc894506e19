"""Compatibility patches for moto 5.2.5 gaps that the fleettap stack hits through Terraform.

`apply()` installs every patch once, before the server accepts requests. Each patch fills one gap
(PLATFORM.md lists them) in moto's backend or response classes, so tap_stack.tf keeps the resource
that AWS best practice asks for instead of avoiding it. Every patch function's docstring names the
gap, the API and why Terraform needs it. Patches are written against moto 5.2.x; `apply()` refuses
to run on another major/minor version rather than silently patching code it was not written for.

The last two sections ("Model instance tracking", "Data retention (local)") are not Terraform gaps:
they keep the emulator's memory bounded over a long run, as AWS's own retention periods would, so
that a soak can tell stored data from a leak (FLEETTAP_LOCAL_RETENTION_S, default 600 s).
"""
from __future__ import annotations

import fnmatch
import json
import threading
from typing import Any, Callable

import moto

_applied = False
_lock = threading.Lock()
PATCHES: list[Callable[[], None]] = []
SUPPORTED_MOTO = ("5.2.",)


def patch(function: Callable[[], None]) -> Callable[[], None]:
    PATCHES.append(function)
    return function


def apply() -> None:
    """Install all patches (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        if not moto.__version__.startswith(SUPPORTED_MOTO):
            raise RuntimeError(f"harness.emulator.compat targets moto {SUPPORTED_MOTO}, found {moto.__version__}")
        for function in PATCHES:
            function()
        _applied = True


# --------------------------------------------------------------------------- ElastiCache

@patch
def elasticache_replication_group_members() -> None:
    """ElastiCache CreateReplicationGroup / DeleteReplicationGroup: member clusters and deletion.

    Gap: moto builds a replication group's member list (only `<id>-001`, ignoring
    NumCacheClusters) but never creates the member cache clusters, so the provider's read
    (DescribeCacheClusters on the first member for engine version, parameter group, subnet group,
    security groups, maintenance window) fails with CacheClusterNotFound. Delete only flips the
    status to `deleting`, so `terraform destroy` waits forever.
    Fix: after create, make NumCacheClusters member clusters (primary + replicas) that carry the
    group's settings; on delete, remove the group and its members at once (the deletion is
    instantaneous in the emulator).
    """
    from moto.elasticache.models import ElastiCacheBackend

    original_create = ElastiCacheBackend.create_replication_group
    original_delete = ElastiCacheBackend.delete_replication_group

    def create_replication_group(self: ElastiCacheBackend, **kwargs: Any) -> Any:
        group = original_create(self, **kwargs)
        if group.cluster_mode == "enabled":
            return group
        wanted = kwargs.get("num_cache_clusters") or ((kwargs.get("replicas_per_node_group") or 0) + 1)
        node_group = group.node_groups[0]
        domain = node_group["primary_endpoint_address"].split(".", 1)[1]
        azs = kwargs.get("preferred_cache_cluster_azs") or []
        while len(group.member_clusters) < wanted:
            index = len(group.member_clusters)
            cluster_id = f"{group.replication_group_id}-{index + 1:0>3}"
            node_group["node_group_members"].append({
                "cache_cluster_id": cluster_id,
                "cache_node_id": node_group["node_group_id"],
                "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
                "preferred_availability_zone": azs[index] if index < len(azs) else "us-east-1b",
                "current_role": "replica",
            })
            group.member_clusters.append(cluster_id)
        for index, cluster_id in enumerate(group.member_clusters):
            if cluster_id in self.cache_clusters:
                continue
            member = node_group["node_group_members"][index]
            cluster = self.create_cache_cluster(
                cache_cluster_id=cluster_id, replication_group_id=group.replication_group_id,
                az_mode="single-az", preferred_availability_zone=member.get("preferred_availability_zone"),
                num_cache_nodes=1, cache_node_type=group.cache_node_type, engine=group.engine,
                engine_version=kwargs.get("engine_version"),
                cache_parameter_group_name=kwargs.get("cache_parameter_group_name"),
                cache_subnet_group_name=kwargs.get("cache_subnet_group_name"),
                transit_encryption_enabled=group.transit_encryption_enabled, network_type=group.network_type,
                ip_discovery=group.ip_discovery, snapshot_name=None,
                preferred_maintenance_window=kwargs.get("preferred_maintenance_window"), port=group.port,
                notification_topic_arn=kwargs.get("notification_topic_arn"),
                auto_minor_version_upgrade=kwargs.get("auto_minor_version_upgrade"),
                snapshot_retention_limit=kwargs.get("snapshot_retention_limit"),
                snapshot_window=kwargs.get("snapshot_window"), auth_token=kwargs.get("auth_token"),
                outpost_mode=None, preferred_outpost_arn=None, preferred_availability_zones=[],
                cache_security_group_names=kwargs.get("cache_security_group_names") or [],
                security_group_ids=kwargs.get("security_group_ids") or [], tags=[], snapshot_arns=[],
                preferred_outpost_arns=[], log_delivery_configurations=[], cache_node_ids_to_remove=[],
                cache_node_ids_to_reboot=[],
            )
            # Shapes the DescribeCacheClusters serializer reads (structures, not plain names).
            cluster.cache_parameter_group = {
                "CacheParameterGroupName": kwargs.get("cache_parameter_group_name") or "default.redis7",
                "ParameterApplyStatus": "in-sync",
            }
            cluster.security_groups = [{"SecurityGroupId": sg, "Status": "active"}
                                       for sg in kwargs.get("security_group_ids") or []]
            cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
        return group

    def delete_replication_group(self: ElastiCacheBackend, replication_group_id: str,
                                 retain_primary_cluster: bool | None) -> Any:
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        for cluster_id in list(group.member_clusters) + [f"{replication_group_id}-001"]:
            self.cache_clusters.pop(cluster_id, None)
        self.replication_groups.pop(replication_group_id, None)
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group


@patch
def elasticache_delete_cache_subnet_group() -> None:
    """ElastiCache DeleteCacheSubnetGroup: not implemented in moto.

    `terraform destroy` of aws_elasticache_subnet_group calls it; without it destroy fails with
    a 500 and leaves the state dirty. Removes the group (CacheSubnetGroupNotFound when absent).
    """
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    def delete_cache_subnet_group(self: ElastiCacheBackend, cache_subnet_group_name: str) -> None:
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(cache_subnet_group_name)
        del self.cache_subnet_groups[cache_subnet_group_name]

    def response(self: ElastiCacheResponse) -> Any:
        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    ElastiCacheResponse.delete_cache_subnet_group = response


# --------------------------------------------------------------------------- S3

@patch
def s3_logging_target_policy() -> None:
    """S3 PutBucketLogging: the target-bucket policy check crashes on valid policies.

    Gap: moto verifies that the target bucket's policy lets `logging.s3.amazonaws.com` write, but
    assumes `Principal` is a dict, `Action` a list and `Resource` one exact string, so a policy
    that also holds a `"Principal": "*"` TLS-only Deny statement (AWS best practice) makes it raise
    AttributeError (HTTP 500) and a wildcard resource such as `<bucket>/s3/*` is refused.
    Fix: the same check, with IAM's shapes (string or list) and wildcard resource matching.
    """
    from moto.s3.models import LOGGING_SERVICE_PRINCIPAL, FakeBucket

    def as_list(value: Any) -> list:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def enabled(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        if not target_bucket.policy:
            return False
        document = json.loads(target_bucket.policy.decode())
        key_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}"
        for statement in as_list(document.get("Statement")):
            principal = statement.get("Principal")
            services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
            if LOGGING_SERVICE_PRINCIPAL not in services or statement.get("Effect") != "Allow":
                continue
            if not any(fnmatch.fnmatchcase("s3:PutObject", action) for action in as_list(statement.get("Action"))):
                continue
            for resource in as_list(statement.get("Resource")):
                if fnmatch.fnmatchcase(key_arn + "x", resource) or fnmatch.fnmatchcase(key_arn, resource):
                    return True
        return False

    FakeBucket._log_permissions_enabled_policy = staticmethod(enabled)


# --------------------------------------------------------------------------- Step Functions

def _asl_diagnostics(definition: str) -> list[dict[str, str]]:
    """Structural ASL checks (the subset the provider relies on): JSON, StartAt, transitions."""
    def error(code: str, message: str, location: str = "/") -> dict[str, str]:
        return {"severity": "ERROR", "code": code, "message": message, "location": location}

    try:
        document = json.loads(definition)
    except (TypeError, ValueError) as exc:
        return [error("INVALID_JSON_DESCRIPTION", f"definition is not JSON: {exc}")]
    states = document.get("States") if isinstance(document, dict) else None
    if not isinstance(states, dict) or not states:
        return [error("SCHEMA_VALIDATION_FAILED", "States must be a non-empty object", "/States")]
    found = []
    if document.get("StartAt") not in states:
        found.append(error("MISSING_TRANSITION_TARGET", f"StartAt {document.get('StartAt')!r} is not a state", "/StartAt"))
    for name, state in states.items():
        targets = [state.get("Next")] + [c.get("Next") for c in state.get("Catch", []) + state.get("Choices", [])]
        targets.append(state.get("Default"))
        for target in targets:
            if target is not None and target not in states:
                found.append(error("MISSING_TRANSITION_TARGET", f"{target!r} is not a state", f"/States/{name}"))
        terminal = state.get("End") or state.get("Type") in ("Succeed", "Fail", "Choice")
        if not terminal and state.get("Next") is None:
            found.append(error("SCHEMA_VALIDATION_FAILED", "state needs Next or End", f"/States/{name}"))
    return found


@patch
def sfn_validate_state_machine_definition() -> None:
    """Step Functions ValidateStateMachineDefinition: not implemented in moto.

    The provider validates every definition before CreateStateMachine/UpdateStateMachine and
    retries the 500 moto answers until its retry budget runs out, so no state machine can be
    created. Answers with structural ASL diagnostics (JSON, StartAt, transition targets, Next/End).
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: StepFunctionResponse) -> Any:
        diagnostics = _asl_diagnostics(self._get_param("definition"))
        return ActionResult({"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics,
                             "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition


@patch
def sfn_list_state_machine_versions() -> None:
    """Step Functions ListStateMachineVersions: not implemented in moto.

    The provider lists a state machine's versions on every read (to fill `state_machine_version_arn`),
    so the first refresh after create fails with a 500. Answers from the versions moto already
    keeps per state machine (newest first, as AWS does).
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self: StepFunctionResponse) -> Any:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(getattr(machine, "versions", {}).values(), key=lambda v: v.version, reverse=True)
        return ActionResult({"stateMachineVersions": [
            {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in versions
        ]})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


# --------------------------------------------------------------------------- SQS

@patch
def sqs_attributes() -> None:
    """SQS GetQueueAttributes / SetQueueAttributes: RedrivePolicy spacing and lost queue policies.

    Gaps: (1) moto re-serialises RedrivePolicy with `json.dumps` defaults (`", "`/`": "`), so
    the provider, which compares the string with its compact jsonencode(), shows a diff on every
    plan; (2) SetQueueAttributes without a `Policy` key resets the stored policy to None, so an
    unrelated attribute update silently deletes the aws_sqs_queue_policy (SNS can no longer
    deliver). Fix: compact separators for RedrivePolicy; keep the policy unless the call sets it.
    """
    from moto.sqs.models import Queue, SQSBackend

    original_attributes = Queue.attributes.fget

    def attributes(self: Queue) -> dict[str, Any]:
        result = original_attributes(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    original_set = SQSBackend.set_queue_attributes

    def set_queue_attributes(self: SQSBackend, queue_name: str, attributes: dict[str, Any]) -> Any:
        previous = self.get_queue(queue_name).policy
        queue = original_set(self, queue_name, attributes)
        if "Policy" not in attributes:
            queue.policy = previous
        return queue

    Queue.attributes = property(attributes)
    SQSBackend.set_queue_attributes = set_queue_attributes


# --------------------------------------------------------------------------- Kinesis

@patch
def kinesis_create_stream_tags() -> None:
    """Kinesis CreateStream: the `Tags` parameter is ignored.

    The provider passes tags (default_tags included) in CreateStream and then reads them back with
    ListTagsForStream; moto drops them, so every plan wants to re-add all tags. Apply them with
    AddTagsToStream semantics right after the stream is created.
    """
    from moto.kinesis.responses import KinesisResponse

    original = KinesisResponse.create_stream

    def create_stream(self: KinesisResponse) -> Any:
        result = original(self)
        tags = self._get_param("Tags")
        if tags:
            self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
        return result

    KinesisResponse.create_stream = create_stream


# --------------------------------------------------------------------------- Lambda

@patch
def lambda_dead_letter_and_logging_config() -> None:
    """Lambda CreateFunction / UpdateFunctionConfiguration / GetFunction: DeadLetterConfig, LoggingConfig.

    moto neither stores nor returns DeadLetterConfig (the async-invoke DLQ every function has) nor
    LoggingConfig (JSON logs into the function's KMS-encrypted log group), and ignores updates of
    TracingConfig and KMSKeyArn, so every plan shows a diff on all functions. Store them and return
    them as AWS does (LoggingConfig defaults to Text format in /aws/lambda/<name>).
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(self, account_id, spec, region, version)
        self.compat_dead_letter_config = spec.get("DeadLetterConfig") or {}
        self.compat_logging_config = spec.get("LoggingConfig") or {}

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original_get(self, on_create)
        dead_letter = getattr(self, "compat_dead_letter_config", {})
        if dead_letter.get("TargetArn"):
            config["DeadLetterConfig"] = dict(dead_letter)
        logging_config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        logging_config.update(getattr(self, "compat_logging_config", {}))
        config["LoggingConfig"] = logging_config
        return config

    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.compat_dead_letter_config = config_updates["DeadLetterConfig"] or {}
        if "LoggingConfig" in config_updates:
            self.compat_logging_config = config_updates["LoggingConfig"] or {}
        if "TracingConfig" in config_updates:
            self.tracing_config = config_updates["TracingConfig"]
        if "KMSKeyArn" in config_updates:
            self.kms_key_arn = config_updates["KMSKeyArn"]
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration


# --------------------------------------------------------------------------- RDS

@patch
def rds_cluster_and_instance_attributes() -> None:
    """RDS DescribeDBClusters / CreateDBInstance: Serverless v1 scaling info and Performance Insights.

    Gaps: (1) every cluster reports a ScalingConfigurationInfo (Serverless v1) even when it is a
    provisioned/Serverless v2 cluster, so the first re-plan shows a scaling_configuration diff;
    (2) DB instances drop EnablePerformanceInsights and PerformanceInsightsKMSKeyId, so instances
    with Performance Insights (encrypted with the stack's key) always show a diff.
    Fix: scaling info only for engine_mode "serverless"; keep and return the PI settings.
    """
    from moto.rds.models import DBCluster, DBInstance

    original_scaling = DBCluster.scaling_configuration_info.fget

    def scaling_configuration_info(self: DBCluster) -> Any:
        return original_scaling(self) if self.engine_mode == "serverless" else None

    DBCluster.scaling_configuration_info = property(scaling_configuration_info)

    original_init = DBInstance.__init__
    original_update = DBInstance.update

    def set_pi(self: DBInstance, enabled: Any, kms_key_id: Any, retention: Any) -> None:
        if enabled is not None:
            self.performance_insights_enabled = str(enabled).lower() == "true"
        if kms_key_id is not None:
            self.performance_insights_kms_key_id = kms_key_id
        if retention is not None:
            self.performance_insights_retention_period = int(retention)
        if getattr(self, "performance_insights_enabled", False):
            if not getattr(self, "performance_insights_retention_period", None):
                self.performance_insights_retention_period = 7

    def __init__(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not hasattr(self, "performance_insights_enabled"):
            self.performance_insights_enabled = False
        set_pi(self, kwargs.get("enable_performance_insights"), kwargs.get("performance_insights_kms_key_id"),
               kwargs.get("performance_insights_retention_period"))

    def update(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        set_pi(self, kwargs.pop("enable_performance_insights", None), kwargs.get("performance_insights_kms_key_id"),
               kwargs.get("performance_insights_retention_period"))
        original_update(self, *args, **kwargs)

    DBInstance.__init__ = __init__
    DBInstance.update = update


# --------------------------------------------------------------------------- Model instance tracking

@patch
def untracked_model_instances() -> None:
    """moto's BaseModel keeps every model instance it ever created, so nothing is ever freed.

    Gap: `BaseModel.__new__` appends each new instance to its class's `instances_tracked` list (for
    the moto server's dashboard, `/moto-api/data.json`); only a mock reset clears the lists. Every
    Kinesis record, DynamoDB item (also the copies made for queries and projections), stream record,
    stream iterator, SQS message, S3 object version and CloudWatch datapoint therefore stays in
    memory for the life of the emulator, even after moto (or the retention below) deleted it: the
    emulator's memory grew with every record sent however little data it still held (found in a
    30-minute soak: ~6 KB per record sent while the retention kept 600 s of data). Fix: do not track
    instances; the dashboard then lists none (nothing in this project reads it).
    """
    from moto.core.common_models import BaseModel

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign]
    from moto.core.model_instances import reset_model_data

    reset_model_data()  # drop what was tracked before the patch


# --------------------------------------------------------------------------- Data retention (local)
#
# moto keeps everything it is sent: every Kinesis record, every DynamoDB stream record, every item,
# every published SNS message and every CloudWatch datapoint, for the life of the process. AWS does
# not: Kinesis trims records older than the stream's RetentionPeriodHours (24 h by default),
# DynamoDB Streams keep records for 24 h, and TTL deletes expired items. Over a long run the
# emulator's memory then grows with the data sent, and a soak cannot tell data from a leak.
#
# A laptop cannot hold 24 h of fleet telemetry in one Python process, so the emulator uses a shorter
# local retention, FLEETTAP_LOCAL_RETENTION_S (seconds, default 600; `0` or `off` keeps AWS's
# retention periods and every item, as plain moto did). With it:
# - Kinesis records older than min(retention, the stream's RetentionPeriodHours) are trimmed; the
#   trim horizon moves forward: TRIM_HORIZON and iterators that point into the trimmed range return
#   the oldest record still held, and sequence numbers never restart (`kinesis_retention`);
# - DynamoDB stream records older than min(retention, 24 h) are trimmed the same way, and shard
#   iterators are self-describing tokens instead of objects moto keeps forever (`dynamodb_stream_retention`);
# - items of tables with TTL enabled leave the emulator's memory once they have been held longer than
#   the retention: an item whose TTL attribute has passed is deleted as AWS TTL deletes it (a REMOVE
#   stream record with the DynamoDB service as userIdentity); one that has not expired yet is only
#   evicted from the emulator (no stream record: on AWS it would still be stored until its TTL), so
#   GetItem/Query no longer find telemetry items older than the retention (`dynamodb_ttl_items`).
#   Tables without TTL (reference data, driver logs, compliance status) keep every item;
# - per-topic published-message history, per-queue deleted receipt handles and CloudWatch
#   datapoints (moto's introspection records, or data AWS keeps outside the service process) are
#   bounded the same way (`sns_sqs_cloudwatch_history`).
# Trimming is done lazily, on the writes and reads of the resource concerned (O(1) per call when
# nothing is due), so there is no background thread; an idle resource keeps its data until touched.

RETENTION_ENV = "FLEETTAP_LOCAL_RETENTION_S"
DEFAULT_LOCAL_RETENTION_S = 600.0
DYNAMODB_STREAMS_RETENTION_S = 24 * 3600.0
SNS_HISTORY_PER_TOPIC = 1000
SQS_DELETED_HANDLES_PER_QUEUE = 10_000
TTL_SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}  # Streams API shape


def local_retention_s() -> float | None:
    """The configured local retention in seconds, or None when it is switched off (`0`/`off`)."""
    import os

    raw = (os.environ.get(RETENTION_ENV) or "").strip().lower()
    if raw == "":
        return DEFAULT_LOCAL_RETENTION_S
    if raw in ("0", "off", "none", "false"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV}={raw!r} is not a number of seconds (or 'off')") from None
    if value < 0:
        raise ValueError(f"{RETENTION_ENV}={raw!r} must be >= 0")
    return value or None


def effective_retention_s(aws_retention_s: float) -> float:
    """How long the emulator keeps stream data whose AWS retention is `aws_retention_s`."""
    local = local_retention_s()
    return aws_retention_s if local is None else min(local, aws_retention_s)


def _now() -> float:
    import time

    return time.time()


_kinesis_lock = threading.RLock()


def trim_kinesis_shard(shard: Any, retention_s: float, now: float | None = None) -> int:
    """Drop the shard's records older than `retention_s`; returns how many were dropped.

    Records are held in arrival order (an OrderedDict keyed by sequence number), so this looks at the
    oldest one only until it finds one inside the retention. The highest trimmed sequence number is
    kept so that a shard trimmed empty does not start numbering again at 1.
    """
    cutoff = (now if now is not None else _now()) - retention_s
    records = shard.records
    dropped = 0
    with _kinesis_lock:
        while records:
            sequence = next(iter(records))
            record = records[sequence]
            if getattr(record, "compat_stored_at", record.created_at) >= cutoff:
                break
            records.popitem(last=False)
            shard.compat_trimmed_through = sequence
            dropped += 1
    return dropped


def trim_kinesis_stream(stream: Any, now: float | None = None) -> int:
    retention = effective_retention_s(float(stream.retention_period_hours) * 3600.0)
    return sum(trim_kinesis_shard(shard, retention, now) for shard in stream.shards.values())


@patch
def kinesis_retention() -> None:
    """Kinesis PutRecord(s) / GetShardIterator / GetRecords: records expire after the retention period.

    Gap: moto keeps every record forever (AWS trims after RetentionPeriodHours), so a long run grows
    the emulator without bound. Records older than the effective retention (see the section comment)
    are trimmed on each write and read of the stream, under one lock that also makes concurrent
    PutRecords safe (moto's Shard.put_record reads the last sequence number and then inserts, so two
    concurrent PutRecords calls could hand out the same number). After a trim, TRIM_HORIZON and an
    iterator positioned before the oldest remaining record read from that record on, as on AWS.
    """
    from moto.kinesis.models import KinesisBackend, Record, Shard

    original_put_record = Shard.put_record

    def put_record(self: Shard, partition_key: str, data: str, explicit_hash_key: str) -> str:
        floor = getattr(self, "compat_trimmed_through", 0)
        if not self.records and floor:
            sequence_number = floor + 1
            self.records[sequence_number] = Record(partition_key, data, sequence_number, explicit_hash_key)
        else:
            sequence_number = int(original_put_record(self, partition_key, data, explicit_hash_key))
        self.records[sequence_number].compat_stored_at = _now()  # the clock trimming reads
        return str(sequence_number)

    Shard.put_record = put_record

    def stream_of(backend: KinesisBackend, stream_arn: str | None, stream_name: str | None) -> Any:
        return backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)

    original_backend_put_record = KinesisBackend.put_record
    original_put_records = KinesisBackend.put_records
    original_get_shard_iterator = KinesisBackend.get_shard_iterator
    original_get_records = KinesisBackend.get_records

    def backend_put_record(self: KinesisBackend, stream_arn: str, stream_name: str, *args: Any, **kwargs: Any) -> Any:
        with _kinesis_lock:
            trim_kinesis_stream(stream_of(self, stream_arn, stream_name))
            return original_backend_put_record(self, stream_arn, stream_name, *args, **kwargs)

    def put_records(self: KinesisBackend, stream_arn: str, stream_name: str, records: list) -> Any:
        with _kinesis_lock:
            trim_kinesis_stream(stream_of(self, stream_arn, stream_name))
            return original_put_records(self, stream_arn, stream_name, records)

    def get_shard_iterator(self: KinesisBackend, stream_arn: str | None, stream_name: str | None,
                           *args: Any, **kwargs: Any) -> Any:
        with _kinesis_lock:
            trim_kinesis_stream(stream_of(self, stream_arn, stream_name))
            return original_get_shard_iterator(self, stream_arn, stream_name, *args, **kwargs)

    def get_records(self: KinesisBackend, stream_arn: str | None, shard_iterator: str, limit: int | None) -> Any:
        from moto.kinesis.utils import decompose_shard_iterator

        with _kinesis_lock:
            stream_name = decompose_shard_iterator(shard_iterator)[0]
            trim_kinesis_stream(stream_of(self, stream_arn, stream_name))
            return original_get_records(self, stream_arn, shard_iterator, limit)

    KinesisBackend.put_record = backend_put_record
    KinesisBackend.put_records = put_records
    KinesisBackend.get_shard_iterator = get_shard_iterator
    KinesisBackend.get_records = get_records


def trim_dynamodb_stream(stream_shard: Any, now: float | None = None) -> int:
    """Drop the table stream's records older than the effective retention (24 h on AWS).

    The shard's `starting_sequence_number` moves past the dropped records, so sequence numbers stay
    what they were (moto numbers a record `starting_sequence_number + its index`).
    """
    cutoff = (now if now is not None else _now()) - effective_retention_s(DYNAMODB_STREAMS_RETENTION_S)
    items = stream_shard.items
    dropped = 0
    while dropped < len(items) and getattr(items[dropped], "compat_created_at", cutoff) < cutoff:
        dropped += 1
    if dropped:
        del items[:dropped]
        stream_shard.starting_sequence_number += dropped
    return dropped


_ITERATOR_PREFIX = "fleettap1"
_streams_lock = threading.RLock()


@patch
def dynamodb_stream_retention() -> None:
    """DynamoDB Streams: records expire after 24 h (locally: the retention), iterators are not hoarded.

    Gaps: (1) moto keeps every stream record; (2) every GetShardIterator and GetRecords stores a new
    iterator object (with a 632-character random id) in a dict that is never pruned, ~2 KB per poll
    of every stream consumer; (3) an iterator positioned before the oldest record fails with an
    AssertionError (HTTP 500). Fix: records older than the effective retention are trimmed on each
    write and read; an iterator's id encodes its position (`fleettap1:<sequence number>`) and is
    decoded on GetRecords, so nothing is stored per call (AWS expires iterators after 15 minutes;
    these do not expire); reading from a trimmed position returns the oldest record still held.
    """
    import base64 as b64

    from moto.dynamodb.models.table import StreamRecord, StreamShard
    from moto.dynamodbstreams import models as streams

    original_record_init = StreamRecord.__init__

    def record_init(self: StreamRecord, *args: Any, **kwargs: Any) -> None:
        original_record_init(self, *args, **kwargs)
        self.compat_created_at = _now()

    StreamRecord.__init__ = record_init

    original_add = StreamShard.add

    # One lock for trims, appends and reads: moto numbers a record `starting_sequence_number +
    # len(items)`, which a trim changes in two steps.
    def add(self: StreamShard, old: Any, new: Any) -> None:
        with _streams_lock:
            trim_dynamodb_stream(self)
            original_add(self, old, new)

    def get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
        with _streams_lock:
            trim_dynamodb_stream(self)
            offset = max(0, int(start) - self.starting_sequence_number)
            return [record.to_json() for record in self.items[offset:offset + quantity]]

    StreamShard.add = add
    StreamShard.get = get

    original_iterator_init = streams.ShardIterator.__init__

    def iterator_init(self: Any, streams_backend: Any, stream_shard: Any, shard_iterator_type: str,
                      sequence_number: Any = None) -> None:
        with _streams_lock:
            if shard_iterator_type in ("TRIM_HORIZON", "LATEST"):
                trim_dynamodb_stream(stream_shard)
            original_iterator_init(self, streams_backend, stream_shard, shard_iterator_type,
                                   int(sequence_number) if sequence_number is not None else None)
        self.id = b64.urlsafe_b64encode(f"{_ITERATOR_PREFIX}:{self.sequence_number}".encode()).decode()

    streams.ShardIterator.__init__ = iterator_init

    class _NoHoarding(dict):
        """moto's per-backend iterator registry: accepts writes, keeps nothing."""

        def __setitem__(self, key: str, value: Any) -> None:
            return None

    original_backend_init = streams.DynamoDBStreamsBackend.__init__

    def backend_init(self: Any, region_name: str, account_id: str) -> None:
        original_backend_init(self, region_name, account_id)
        self.shard_iterators = _NoHoarding()

    def get_records(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
        encoded = iterator_arn.rsplit("|", 1)[-1]
        try:
            prefix, sequence = b64.urlsafe_b64decode(encoded.encode()).decode().split(":")
            if prefix != _ITERATOR_PREFIX:
                raise ValueError(prefix)
        except (ValueError, UnicodeDecodeError):
            from moto.dynamodb.exceptions import MockValidationException

            raise MockValidationException(f"Invalid ShardIterator: {iterator_arn[:80]}") from None
        table = self._get_table_from_arn(iterator_arn)
        iterator = streams.ShardIterator(self, table.stream_shard, "AT_SEQUENCE_NUMBER", int(sequence))
        return iterator.get(limit)

    streams.DynamoDBStreamsBackend.__init__ = backend_init
    streams.DynamoDBStreamsBackend.get_records = get_records
    for regions in streams.dynamodbstreams_backends.values():  # backends made before the patch
        for backend in regions.values():
            backend.shard_iterators = _NoHoarding()


def expire_dynamodb_items(table: Any, now: float | None = None) -> tuple[int, int]:
    """Evict/expire the items of a TTL table held longer than the retention: (ttl_deleted, evicted).

    `table.compat_held` lists (stored_at, hash, range, item) in write order; an entry whose item has
    since been overwritten or deleted is skipped.
    """
    held = getattr(table, "compat_held", None)
    retention = local_retention_s()
    if not held or retention is None:
        return 0, 0
    now = now if now is not None else _now()
    cutoff = now - retention
    attribute = table.ttl.get("AttributeName")
    deleted = evicted = 0
    while held and held[0][0] < cutoff:
        _, hash_key, range_key, item = held.popleft()
        bucket = table.items.get(hash_key)
        if bucket is None:
            continue
        current = bucket.get(range_key) if range_key is not None else bucket
        if current is not item:
            continue
        ttl_value = item.attrs.get(attribute) if attribute else None
        expired = False
        if ttl_value is not None and ttl_value.type == "N":
            try:
                expired = float(ttl_value.value) < now
            except ValueError:
                expired = False
        if expired:  # AWS TTL: a delete with a REMOVE stream record made by the service
            with _streams_lock:
                table.delete_item(hash_key, range_key)
                if table.stream_shard is not None and table.stream_shard.items:
                    table.stream_shard.items[-1].record["userIdentity"] = dict(TTL_SERVICE_IDENTITY)
            deleted += 1
        else:  # still live on AWS: leave the emulator's memory only
            if range_key is not None:
                bucket.pop(range_key, None)
            else:
                table.items.pop(hash_key, None)
            evicted += 1
    return deleted, evicted


@patch
def dynamodb_ttl_items() -> None:
    """DynamoDB TTL: moto stores the TTL setting but never deletes an item.

    Items written to a table with TTL enabled are remembered in write order; on each write to the
    table, those held longer than the local retention are deleted (TTL attribute passed: AWS TTL
    semantics, REMOVE stream record with the service identity) or evicted from memory (see the
    section comment). Off when FLEETTAP_LOCAL_RETENTION_S is `off`.
    """
    from collections import deque

    from moto.dynamodb.models.table import Table

    original_put_item = Table.put_item

    def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        tracked = self.ttl.get("TimeToLiveStatus") == "ENABLED" and local_retention_s() is not None
        if tracked:
            expire_dynamodb_items(self)
        item = original_put_item(self, item_attrs, *args, **kwargs)
        if tracked:
            held = getattr(self, "compat_held", None)
            if held is None:
                held = self.compat_held = deque()
            held.append((_now(), item.hash_key, item.range_key, item))
        return item

    Table.put_item = put_item


class _RecentSet:
    """A set that remembers only its `limit` most recently added members (insertion order)."""

    def __init__(self, limit: int) -> None:
        from collections import OrderedDict

        self.limit = limit
        self._members: "OrderedDict[Any, None]" = OrderedDict()

    def add(self, member: Any) -> None:
        self._members[member] = None
        self._members.move_to_end(member)
        while len(self._members) > self.limit:
            self._members.popitem(last=False)

    def update(self, members: Any) -> None:
        for member in members:
            self.add(member)

    def __contains__(self, member: Any) -> bool:
        return member in self._members

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Any:
        return iter(list(self._members))


@patch
def sns_sqs_cloudwatch_history() -> None:
    """SNS Publish, SQS DeleteMessage, CloudWatch PutMetricData: bounded history.

    moto appends every published message to its topic's `sent_notifications` (an introspection
    list, not SNS state), every deleted receipt handle to its queue's `deleted_messages` (to accept a
    repeated delete), and every datapoint to the CloudWatch backend (Kinesis PutRecords alone adds two
    per call). Each grows per message forever. Keep the last SNS_HISTORY_PER_TOPIC messages, the
    last SQS_DELETED_HANDLES_PER_QUEUE handles (a handle that old cannot be valid any more), and
    datapoints received within the local retention (AWS keeps them 15 months, outside any process).
    """
    from collections import deque

    from moto.cloudwatch.models import CloudWatchBackend
    from moto.sns.models import Topic
    from moto.sqs.models import Queue

    original_publish = Topic.publish

    def publish(self: Topic, *args: Any, **kwargs: Any) -> str:
        message_id = original_publish(self, *args, **kwargs)
        excess = len(self.sent_notifications) - SNS_HISTORY_PER_TOPIC
        if excess > 0:
            del self.sent_notifications[:excess]
        return message_id

    Topic.publish = publish

    original_queue_init = Queue.__init__

    def queue_init(self: Queue, *args: Any, **kwargs: Any) -> None:
        original_queue_init(self, *args, **kwargs)
        self.deleted_messages = _RecentSet(SQS_DELETED_HANDLES_PER_QUEUE)

    Queue.__init__ = queue_init

    original_put_metric_data = CloudWatchBackend.put_metric_data

    def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list) -> None:
        before = len(self.metric_data)
        original_put_metric_data(self, namespace, metric_data)
        retention = local_retention_s()
        if retention is None:
            return
        arrivals = getattr(self, "compat_arrivals", None)
        if arrivals is None:
            arrivals = self.compat_arrivals = deque()
        now = _now()
        arrivals.append((now, len(self.metric_data) - before))
        expired = 0
        while arrivals and arrivals[0][0] < now - retention:
            expired += arrivals.popleft()[1]
        if expired:
            del self.metric_data[:expired]

    CloudWatchBackend.put_metric_data = put_metric_data
