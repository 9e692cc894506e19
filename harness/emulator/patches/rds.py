"""RDS: Serverless v1 scaling info only where it applies, and Performance Insights settings kept."""

from __future__ import annotations

from typing import Any

from moto.rds.models import DBCluster, DBInstance

from harness.emulator.patches.registry import patch


@patch(target=DBCluster.scaling_configuration_info)
def scaling_info_for_serverless_v1_only(fn: Any, self: DBCluster) -> Any:
    """RDS DescribeDBClusters: ScalingConfigurationInfo only for Serverless v1 clusters.

    Gap: moto reports a ScalingConfigurationInfo (Serverless v1) for every cluster, also provisioned
    and Serverless v2 ones, so the first re-plan shows a scaling_configuration diff.
    Fix: return it only for engine_mode "serverless".
    """
    return fn(self) if self.engine_mode == "serverless" else None


def _set_performance_insights(instance: DBInstance, enabled: Any, kms_key_id: Any, retention: Any) -> None:
    if enabled is not None:
        instance.performance_insights_enabled = str(enabled).lower() == "true"
    if kms_key_id is not None:
        instance.performance_insights_kms_key_id = kms_key_id
    if retention is not None:
        instance.performance_insights_retention_period = int(retention)
    if getattr(instance, "performance_insights_enabled", False):
        if not getattr(instance, "performance_insights_retention_period", None):
            instance.performance_insights_retention_period = 7


@patch(target=DBInstance.__init__)
def create_with_performance_insights(fn: Any, self: DBInstance, *args: Any, **kwargs: Any) -> None:
    """RDS CreateDBInstance: EnablePerformanceInsights and PerformanceInsightsKMSKeyId are kept.

    Gap: moto drops them, so instances with Performance Insights (encrypted with the stack's key)
    always show a diff. Fix: keep and return them (retention defaults to 7 days, as on AWS).
    """
    fn(self, *args, **kwargs)
    if not hasattr(self, "performance_insights_enabled"):
        self.performance_insights_enabled = False
    _set_performance_insights(
        self,
        kwargs.get("enable_performance_insights"),
        kwargs.get("performance_insights_kms_key_id"),
        kwargs.get("performance_insights_retention_period"),
    )


@patch(target=DBInstance.update)
def modify_performance_insights(fn: Any, self: DBInstance, *args: Any, **kwargs: Any) -> None:
    """RDS ModifyDBInstance: Performance Insights settings are updated.

    Gap: moto ignores (and cannot take) `enable_performance_insights` on update. Fix: apply the
    Performance Insights settings, then let moto apply the rest.
    """
    _set_performance_insights(
        self,
        kwargs.pop("enable_performance_insights", None),
        kwargs.get("performance_insights_kms_key_id"),
        kwargs.get("performance_insights_retention_period"),
    )
    fn(self, *args, **kwargs)
