"""The settings of one event source mapping, read live from moto's Lambda backend object, with the
defaults AWS applies when Terraform leaves a setting out."""

from __future__ import annotations

import calendar
import json
import time
from typing import Any

DEFAULT_BATCH_SIZE = {"kinesis": 100, "dynamodb": 100, "sqs": 10}


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    return int(value)


class MappingView:
    def __init__(self, esm: Any) -> None:
        self._esm = esm  # moto.awslambda.models.EventSourceMapping; updates are seen immediately
        # moto stores time.mktime(utcnow().timetuple()); undo the local-time interpretation.
        self.created_s = float(calendar.timegm(time.localtime(esm.last_modified)))

    @property
    def uuid(self) -> str:
        return self._esm.uuid

    @property
    def source_kind(self) -> str:
        return self.event_source_arn.split(":")[2]

    @property
    def event_source_arn(self) -> str:
        return self._esm.event_source_arn

    @property
    def function_arn(self) -> str:
        return self._esm.function_arn

    @property
    def enabled(self) -> bool:
        return _flag(self._esm.enabled)

    @property
    def batch_size(self) -> int:
        return _int(self._esm.batch_size, DEFAULT_BATCH_SIZE[self.source_kind])

    @property
    def batching_window_s(self) -> float:
        return float(_int(self._esm.max_batch_window, 0))

    @property
    def starting_position(self) -> str:
        return self._esm.starting_position or "TRIM_HORIZON"

    @property
    def starting_position_timestamp(self) -> Any:
        return self._esm.starting_position_timestamp

    @property
    def parallelization_factor(self) -> int:
        return _int(self._esm.parallelization_factor, 1)

    @property
    def bisect_on_error(self) -> bool:
        return _flag(self._esm.bisect_on_error)

    @property
    def max_retry_attempts(self) -> int:
        return _int(self._esm.max_retry_attempts, -1)

    @property
    def max_record_age_s(self) -> int:
        return _int(self._esm.max_record_age, -1)

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in (self._esm.function_response_types or [])

    @property
    def maximum_concurrency(self) -> int | None:
        scaling = self._esm.scaling_config or {}
        value = scaling.get("MaximumConcurrency")
        return int(value) if value else None

    @property
    def on_failure_destination(self) -> str | None:
        config = self._esm.destination_config or {}
        return (config.get("OnFailure") or {}).get("Destination") or None

    @property
    def filter_patterns(self) -> list[dict[str, Any]]:
        criteria = self._esm.filter_criteria or {}
        return [json.loads(item["Pattern"]) for item in criteria.get("Filters", []) if item.get("Pattern")]
