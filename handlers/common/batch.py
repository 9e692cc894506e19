"""Partial batch responses (Powertools BatchProcessor) with this project's failure policy.

A record handler raises PoisonRecord/RecordRejected -> the record goes to DLQ_URL and counts as
processed. A dependency error aborts the whole invocation (retry later, nothing dropped). Any
other error -> that record is listed in batchItemFailures and the error is logged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from handlers.common.dlq import send_to_dlq
from handlers.common.errors import DEPENDENCY_ERRORS, DependencyUnavailable, poison_reason

_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "fleettap"
logger = Logger(service=_SERVICE)
# CloudWatch embedded-metric-format lines in the function's log: no API call on the hot path.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "fleettap", service=_SERVICE)

__all__ = ["EventType", "Processor", "run", "whole_batch", "logger"]


def _unavailable(exc: BaseException) -> DependencyUnavailable:
    return DependencyUnavailable(f"{type(exc).__name__}: {exc}")


@contextmanager
def whole_batch():
    """For a handler's work on the whole batch outside the record function (a prefetch before it,
    a flush after it): a dependency error fails the invocation as it does inside, as
    DependencyUnavailable, and Lambda retries every record."""
    try:
        yield
    except DEPENDENCY_ERRORS as exc:
        raise _unavailable(exc) from exc


class Processor(BatchProcessor):
    def failure_handler(self, record, exception):
        exc = exception[1]
        if isinstance(exc, DEPENDENCY_ERRORS):
            # Abort: the remaining records would fail the same way, and Lambda must retry all.
            raise _unavailable(exc) from exc
        # The reason goes to the function's log (Powertools keeps it only in memory): an AccessDenied
        # names the role, the action and the resource there, as on CloudWatch Logs.
        logger.warning("record failed, retried by its event source", extra={"error": f"{type(exc).__name__}: {exc}"})
        return super().failure_handler(record, exception)


def run(event: dict, context: Any, processor: Processor, record_fn: Callable[[dict], Any]) -> dict:
    """Process a Kinesis/DynamoDB/SQS batch; `record_fn` receives the raw record dict."""

    rejected = 0

    def handle(record):
        nonlocal rejected
        raw = record.raw_event
        try:
            return record_fn(raw)
        except Exception as exc:
            poison = poison_reason(exc)
            if poison is None:
                raise
            logger.warning("record rejected", extra={"reason": poison[0], "detail": poison[1]})
            send_to_dlq(poison[0], poison[1], raw)
            rejected += 1
            return None

    try:
        response = process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
    finally:
        failed = len(processor.fail_messages)
        metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=len(event.get("Records", [])))
        metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=rejected)
        metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=failed)
        metrics.flush_metrics()
    return response
