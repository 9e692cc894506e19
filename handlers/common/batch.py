"""Partial batch responses (Powertools BatchProcessor) with this project's failure policy.

A record handler raises PoisonRecord/RecordRejected -> the record goes to DLQ_URL and counts as
processed. A dependency error aborts the whole invocation (retry later, nothing dropped). Any
other error -> that record is listed in batchItemFailures.
"""
from __future__ import annotations

from typing import Any, Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from handlers.common.dlq import send_to_dlq
from handlers.common.errors import DEPENDENCY_ERRORS, DependencyUnavailable, poison_reason

logger = Logger(service="fleettap")

__all__ = ["EventType", "Processor", "run", "logger"]


class Processor(BatchProcessor):
    def failure_handler(self, record, exception):
        exc = exception[1]
        if isinstance(exc, DEPENDENCY_ERRORS):
            # Abort: the remaining records would fail the same way, and Lambda must retry all.
            raise DependencyUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return super().failure_handler(record, exception)


def run(event: dict, context: Any, processor: Processor, record_fn: Callable[[dict], Any]) -> dict:
    """Process a Kinesis/DynamoDB/SQS batch; `record_fn` receives the raw record dict."""

    def handle(record):
        raw = record.raw_event
        try:
            return record_fn(raw)
        except Exception as exc:
            poison = poison_reason(exc)
            if poison is None:
                raise
            logger.warning("record rejected", extra={"reason": poison[0], "detail": poison[1]})
            send_to_dlq(poison[0], poison[1], raw)
            return None

    return process_partial_response(event=event, record_handler=handle, processor=processor,
                                    context=context)
