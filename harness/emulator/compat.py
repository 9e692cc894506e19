"""Compatibility patches for moto 5.2.5 gaps that the fleettap stack hits through Terraform.

`apply()` installs every patch once, before the server accepts requests. Each patch fills one gap
(PLATFORM.md lists them) in moto's backend or response classes, so tap_stack.tf keeps the resource
that AWS best practice asks for instead of avoiding it. Every patch function's docstring names the
gap, the API and why Terraform needs it. Patches are written against moto 5.2.x; `apply()` refuses
to run on another major/minor version rather than silently patching code it was not written for.
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
