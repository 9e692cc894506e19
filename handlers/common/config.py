"""Function configuration, parsed from the environment once per cold start (docs/contracts.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

_TABLE_SUFFIXES = {
    "DIAGNOSTICS_TABLE": "vehicle_diagnostics",
    "THRESHOLDS_TABLE": "alert_thresholds",
    "PREDICTIONS_TABLE": "predicted_failures",
    "DRIVER_LOGS_TABLE": "driver_logs",
    "COMPLIANCE_RULES_TABLE": "compliance_rules",
    "LOCATIONS_TABLE": "vehicle_locations",
    "GEOFENCES_TABLE": "geofences",
    "COMPLIANCE_STATUS_TABLE": "compliance_status",
}


class MissingSetting(RuntimeError):
    """A variable the function needs was not set by Terraform (or the test)."""


@dataclass(frozen=True)
class Config:
    project: str
    env: str
    diagnostics_table: str
    thresholds_table: str
    predictions_table: str
    driver_logs_table: str
    compliance_rules_table: str
    locations_table: str
    geofences_table: str
    compliance_status_table: str
    alerts_topic_arn: str
    maintenance_topic_arn: str
    violations_topic_arn: str
    summary_topic_arn: str
    geofence_topic_arn: str
    coaching_topic_arn: str
    training_queue_url: str
    dlq_url: str
    redis_host: str
    redis_port: int
    redis_tls: bool
    redis_auth_secret_arn: str
    redis_replication_group_id: str
    db_host: str
    db_port: int
    db_name: str
    db_secret_arn: str
    db_sslmode: str
    db_ssl_root_cert: str
    sagemaker_endpoint_name: str
    telematics_api_url: str
    pdf_api_url: str
    reports_bucket: str
    dead_letter_bucket: str  # claim checks of DLQ bodies too large for SQS (handlers.common.dlq)
    dot_work_bucket: str  # DOT reporting work files (manifests, map run results): no Object Lock, expiring
    report_retention_days: int
    report_object_lock_mode: str  # COMPLIANCE (prod) or GOVERNANCE (dev, staging: can be torn down)
    report_time_zones: tuple[str, ...]  # the fleet's home-terminal zones: which day the DOT report covers
    prediction_confidence_threshold: float
    prediction_first_score_spread_min: float
    diagnostics_ttl_days: int
    locations_ttl_days: int
    function_name: str

    def require(self, name: str) -> str:
        """The value of a setting this code path cannot run without."""
        value = getattr(self, name)
        if value in ("", None):
            raise MissingSetting(f"{name.upper()} is not set")
        return value


def _s(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@lru_cache(maxsize=1)
def get_config() -> Config:
    project, env = _s("PROJECT_NAME", "fleettap"), _s("ENV", "dev")
    tables = {k.lower(): _s(k) or f"{project}-{env}-{suffix}" for k, suffix in _TABLE_SUFFIXES.items()}
    return Config(
        project=project,
        env=env,
        **tables,
        alerts_topic_arn=_s("ALERTS_TOPIC_ARN"),
        maintenance_topic_arn=_s("MAINTENANCE_TOPIC_ARN"),
        violations_topic_arn=_s("VIOLATIONS_TOPIC_ARN"),
        summary_topic_arn=_s("SUMMARY_TOPIC_ARN"),
        geofence_topic_arn=_s("GEOFENCE_TOPIC_ARN"),
        coaching_topic_arn=_s("COACHING_TOPIC_ARN"),
        training_queue_url=_s("TRAINING_QUEUE_URL"),
        dlq_url=_s("DLQ_URL"),
        redis_host=_s("REDIS_HOST"),
        redis_port=int(_s("REDIS_PORT", "6379")),
        redis_tls=_s("REDIS_TLS", "false").lower() in ("1", "true", "yes"),
        redis_auth_secret_arn=_s("REDIS_AUTH_SECRET_ARN"),
        redis_replication_group_id=_s("REDIS_REPLICATION_GROUP_ID"),
        db_host=_s("DB_HOST"),
        db_port=int(_s("DB_PORT", "5432")),
        db_name=_s("DB_NAME", project),
        db_secret_arn=_s("DB_SECRET_ARN"),
        db_sslmode=_s("DB_SSLMODE", "prefer"),
        db_ssl_root_cert=_s("DB_SSL_ROOT_CERT"),
        sagemaker_endpoint_name=_s("SAGEMAKER_ENDPOINT_NAME"),
        telematics_api_url=_s("TELEMATICS_API_URL").rstrip("/"),
        pdf_api_url=_s("PDF_API_URL").rstrip("/"),
        reports_bucket=_s("REPORTS_BUCKET"),
        dead_letter_bucket=_s("DEAD_LETTER_BUCKET"),
        dot_work_bucket=_s("DOT_WORK_BUCKET"),
        report_retention_days=int(_s("REPORT_RETENTION_DAYS", "2555")),
        report_object_lock_mode=_s("REPORT_OBJECT_LOCK_MODE", "COMPLIANCE"),
        report_time_zones=tuple(z.strip() for z in _s("REPORT_TIME_ZONES").split(",") if z.strip()),
        prediction_confidence_threshold=float(_s("PREDICTION_CONFIDENCE_THRESHOLD", "0.8")),
        prediction_first_score_spread_min=float(_s("PREDICTION_FIRST_SCORE_SPREAD_MIN", "8")),
        diagnostics_ttl_days=int(_s("DIAGNOSTICS_TTL_DAYS", "30")),
        locations_ttl_days=int(_s("LOCATIONS_TTL_DAYS", "30")),
        function_name=_s("AWS_LAMBDA_FUNCTION_NAME") or _s("POWERTOOLS_SERVICE_NAME", "fleettap"),
    )
