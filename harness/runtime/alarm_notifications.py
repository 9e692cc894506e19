"""The message CloudWatch publishes to an alarm's SNS actions on a state change, in AWS's shape.

Subject `ALARM: "<name>" in <region name>`; body JSON with AlarmName, AlarmDescription,
AWSAccountId, AlarmConfigurationUpdatedTimestamp, NewStateValue, NewStateReason, StateChangeTime,
Region, AlarmArn, OldStateValue, OKActions, AlarmActions, InsufficientDataActions and Trigger
(the metric, or `Metrics` for a metric math alarm, with period, evaluation periods, comparison,
threshold, TreatMissingData and EvaluateLowSampleCountPercentile).
`publish` delivers it through the emulator's SNS backend (so every subscription of the topic gets
it, with SNS's own delivery), to each action of the new state that is an SNS topic.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}


def _time(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _dimensions(dimensions: list[Any]) -> list[dict[str, str]]:
    return [{"value": d.value, "name": d.name} for d in dimensions or []]


def trigger(alarm: Any) -> dict[str, Any]:
    """The `Trigger` member for a moto Alarm."""
    common = {
        "Period": int(alarm.period or 0),
        "EvaluationPeriods": int(alarm.evaluation_periods),
        "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": float(alarm.threshold),
        "TreatMissingData": alarm.treat_missing_data or "missing",
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }
    if alarm.metric_data_queries:
        metrics = []
        for query in alarm.metric_data_queries:
            item: dict[str, Any] = {"Id": query.id, "ReturnData": str(query.return_data).lower() == "true"}
            if query.label:
                item["Label"] = query.label
            if query.expression:
                item["Expression"] = query.expression
            if query.metric_stat is not None:
                stat = query.metric_stat
                item["MetricStat"] = {
                    "Metric": {
                        "Dimensions": _dimensions(stat.metric.dimensions),
                        "MetricName": stat.metric.metric_name,
                        "Namespace": stat.metric.namespace,
                    },
                    "Period": int(stat.period),
                    "Stat": stat.stat,
                }
            metrics.append(item)
        if not common["Period"]:
            common["Period"] = next((m["MetricStat"]["Period"] for m in metrics if "MetricStat" in m), 0)
        return {"Metrics": metrics, **common}
    statistic = (
        {"StatisticType": "ExtendedStatistic", "ExtendedStatistic": alarm.extended_statistic}
        if alarm.extended_statistic
        else {"StatisticType": "Statistic", "Statistic": (alarm.statistic or "").upper()}
    )
    return {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        **statistic,
        "Unit": alarm.unit,
        "Dimensions": _dimensions(alarm.dimensions),
        **common,
    }


def message(alarm: Any, account_id: str, region: str, old_state: str, changed_at: dt.datetime) -> dict[str, Any]:
    """The notification body for `alarm` (a moto Alarm already in its new state)."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _time(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _time(changed_at),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": trigger(alarm),
    }


def actions_for(alarm: Any) -> list[str]:
    """The actions CloudWatch runs for the alarm's (new) state; none when actions are disabled."""
    if not alarm.actions_enabled:
        return []
    return {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }.get(alarm.state_value, [])


def publish(alarm: Any, account_id: str, region: str, old_state: str, changed_at: dt.datetime) -> list[str]:
    """Publish the notification to each SNS action of the alarm's state; returns the topics
    published to. Other action types (Auto Scaling, EC2, Systems Manager) are not run locally."""
    from moto.sns.models import sns_backends

    body = json.dumps(message(alarm, account_id, region, old_state, changed_at))
    subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'[:100]
    published = []
    for action in actions_for(alarm):
        if ":sns:" not in action:
            log.info("alarm %s: action %s is not run locally", alarm.name, action)
            continue
        topic_region, topic_account = action.split(":")[3], action.split(":")[4]
        try:
            sns_backends[topic_account][topic_region].publish(body, arn=action, subject=subject)
            published.append(action)
        except Exception:  # a deleted topic: CloudWatch records the failed action and goes on
            log.exception("alarm %s: publishing to %s failed", alarm.name, action)
    return published
