"""ElastiCache: replication group member clusters, DeleteCacheSubnetGroup, AUTH token updates."""

from __future__ import annotations

from typing import Any

from moto.core.responses import EmptyResult
from moto.core.utils import utcnow
from moto.elasticache.exceptions import (
    CacheSubnetGroupNotFound,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
)
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse

from harness.emulator.patches.registry import patch


@patch(target=ElastiCacheBackend.create_replication_group)
def create_member_clusters(fn: Any, self: ElastiCacheBackend, **kwargs: Any) -> Any:
    """ElastiCache CreateReplicationGroup: the member cache clusters exist.

    Gap: moto builds a replication group's member list (only `<id>-001`, ignoring NumCacheClusters)
    but never creates the member cache clusters, so the provider's read (DescribeCacheClusters on the
    first member for engine version, parameter group, subnet group, security groups, maintenance
    window) fails with CacheClusterNotFound.
    Fix: after create, make NumCacheClusters member clusters (primary + replicas) that carry the
    group's settings.
    """
    group = fn(self, **kwargs)
    if group.cluster_mode == "enabled":
        return group
    wanted = kwargs.get("num_cache_clusters") or ((kwargs.get("replicas_per_node_group") or 0) + 1)
    node_group = group.node_groups[0]
    domain = node_group["primary_endpoint_address"].split(".", 1)[1]
    azs = kwargs.get("preferred_cache_cluster_azs") or []
    while len(group.member_clusters) < wanted:
        index = len(group.member_clusters)
        cluster_id = f"{group.replication_group_id}-{index + 1:0>3}"
        node_group["node_group_members"].append(
            {
                "cache_cluster_id": cluster_id,
                "cache_node_id": node_group["node_group_id"],
                "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
                "preferred_availability_zone": azs[index] if index < len(azs) else "us-east-1b",
                "current_role": "replica",
            }
        )
        group.member_clusters.append(cluster_id)
    for index, cluster_id in enumerate(group.member_clusters):
        if cluster_id in self.cache_clusters:
            continue
        member = node_group["node_group_members"][index]
        cluster = self.create_cache_cluster(
            cache_cluster_id=cluster_id,
            replication_group_id=group.replication_group_id,
            az_mode="single-az",
            preferred_availability_zone=member.get("preferred_availability_zone"),
            num_cache_nodes=1,
            cache_node_type=group.cache_node_type,
            engine=group.engine,
            engine_version=kwargs.get("engine_version"),
            cache_parameter_group_name=kwargs.get("cache_parameter_group_name"),
            cache_subnet_group_name=kwargs.get("cache_subnet_group_name"),
            transit_encryption_enabled=group.transit_encryption_enabled,
            network_type=group.network_type,
            ip_discovery=group.ip_discovery,
            snapshot_name=None,
            preferred_maintenance_window=kwargs.get("preferred_maintenance_window"),
            port=group.port,
            notification_topic_arn=kwargs.get("notification_topic_arn"),
            auto_minor_version_upgrade=kwargs.get("auto_minor_version_upgrade"),
            snapshot_retention_limit=kwargs.get("snapshot_retention_limit"),
            snapshot_window=kwargs.get("snapshot_window"),
            auth_token=kwargs.get("auth_token"),
            outpost_mode=None,
            preferred_outpost_arn=None,
            preferred_availability_zones=[],
            cache_security_group_names=kwargs.get("cache_security_group_names") or [],
            security_group_ids=kwargs.get("security_group_ids") or [],
            tags=[],
            snapshot_arns=[],
            preferred_outpost_arns=[],
            log_delivery_configurations=[],
            cache_node_ids_to_remove=[],
            cache_node_ids_to_reboot=[],
        )
        # Shapes the DescribeCacheClusters serializer reads (structures, not plain names).
        cluster.cache_parameter_group = {
            "CacheParameterGroupName": kwargs.get("cache_parameter_group_name") or "default.redis7",
            "ParameterApplyStatus": "in-sync",
        }
        cluster.security_groups = [
            {"SecurityGroupId": sg, "Status": "active"} for sg in kwargs.get("security_group_ids") or []
        ]
        cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    return group


@patch(target=ElastiCacheBackend.delete_replication_group)
def delete_with_members(
    fn: Any, self: ElastiCacheBackend, replication_group_id: str, retain_primary_cluster: bool | None
) -> Any:
    """ElastiCache DeleteReplicationGroup: the group and its members go at once.

    Gap: moto only flips the group's status to `deleting` and never removes it (nor the member
    clusters `create_member_clusters` made), so `terraform destroy` waits forever.
    Fix: remove the group and its member clusters at once (deletion is instantaneous in the emulator).
    """
    group = fn(self, replication_group_id, retain_primary_cluster)
    for cluster_id in list(group.member_clusters) + [f"{replication_group_id}-001"]:
        self.cache_clusters.pop(cluster_id, None)
    self.replication_groups.pop(replication_group_id, None)
    return group


@patch(ElastiCacheBackend, "delete_cache_subnet_group", pass_target=False)
def delete_cache_subnet_group(self: ElastiCacheBackend, cache_subnet_group_name: str) -> None:
    """ElastiCache DeleteCacheSubnetGroup (backend): not implemented in moto.

    Gap: `terraform destroy` of aws_elasticache_subnet_group calls it; moto answers a 500 and destroy
    fails, leaving the state dirty. Fix: remove the group (CacheSubnetGroupNotFound when absent).
    """
    if cache_subnet_group_name not in self.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(cache_subnet_group_name)
    del self.cache_subnet_groups[cache_subnet_group_name]


@patch(ElastiCacheResponse, "delete_cache_subnet_group", pass_target=False)
def delete_cache_subnet_group_response(self: ElastiCacheResponse) -> Any:
    """ElastiCache DeleteCacheSubnetGroup (API): not implemented in moto.

    Gap: moto has no handler for the action (see `delete_cache_subnet_group`). Fix: parse the group
    name, delegate to the backend, answer an empty result.
    """
    self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
    return EmptyResult()


AUTH_TOKEN_STRATEGIES = ("SET", "ROTATE", "DELETE")
_AUTH_TOKEN_FORBIDDEN = set('@"/')


def _check_auth_token(token: str) -> None:
    """The AUTH token rules of CreateReplicationGroup/ModifyReplicationGroup: 16-128 printable ASCII
    characters, none of @ \" /."""
    if not 16 <= len(token) <= 128 or any(not (32 < ord(c) < 127) or c in _AUTH_TOKEN_FORBIDDEN for c in token):
        raise InvalidParameterValueException(
            "Invalid AuthToken provided: 16-128 printable ASCII characters other than '@', '\"' and '/'."
        )


@patch(target=ElastiCacheResponse.modify_replication_group)
def modify_auth_token(fn: Any, self: ElastiCacheResponse) -> Any:
    """ElastiCache ModifyReplicationGroup: AuthToken with AuthTokenUpdateStrategy.

    Gap: moto ignores AuthToken and AuthTokenUpdateStrategy, so a token rotation (the redis_auth
    deploy step, handlers/redis_auth_rotator.py) "succeeds" locally with any token, strategy or group,
    and DescribeReplicationGroups never shows AUTH enabled.
    Fix: validate as ElastiCache does (a strategy with a token, ROTATE/SET only with in-transit
    encryption, the token's character rules, DELETE without a token), then record the token:
    ROTATE keeps the previous token valid alongside the new one (at most two), SET leaves only the
    new one, DELETE none; AuthTokenEnabled and AuthTokenLastModifiedDate follow.
    """
    token = self._get_param("AuthToken")
    strategy = self._get_param("AuthTokenUpdateStrategy")
    if token is None and strategy is None:
        return fn(self)
    if strategy not in AUTH_TOKEN_STRATEGIES:
        raise InvalidParameterValueException(
            f"AuthTokenUpdateStrategy must be one of {', '.join(AUTH_TOKEN_STRATEGIES)}."
        )
    group_id = self._get_param("ReplicationGroupId")
    group = self.elasticache_backend.replication_groups.get(group_id)
    if group is None:
        raise ReplicationGroupNotFound(group_id)
    if strategy == "DELETE":
        if token is not None:
            raise InvalidParameterCombinationException(
                "AuthToken must not be given with AuthTokenUpdateStrategy DELETE."
            )
        valid: list[str] = []
    else:
        if token is None:
            raise InvalidParameterCombinationException(f"AuthTokenUpdateStrategy {strategy} needs an AuthToken.")
        if not group.transit_encryption_enabled:
            raise InvalidParameterCombinationException("AuthToken requires TransitEncryptionEnabled.")
        _check_auth_token(token)
        previous = list(getattr(group, "valid_auth_tokens", None) or [])
        valid = (previous[-1:] + [token]) if strategy == "ROTATE" else [token]
    group.valid_auth_tokens = valid
    group.auth_token_enabled = bool(valid)
    group.auth_token_last_modified_date = utcnow()
    return fn(self)
