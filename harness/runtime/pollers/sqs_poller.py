"""SQS event source mapping poller, as Lambda runs it.

Receives with the queue's own visibility timeout, gathers up to `BatchSize` messages within
`MaximumBatchingWindowInSeconds`, invokes, then deletes what succeeded: everything on success,
everything but the reported `batchItemFailures` with `ReportBatchItemFailures`, nothing on a
function error. Messages left behind become visible again when their visibility timeout ends, and
the queue's redrive policy (moto applies it on receive) moves them to the DLQ after
`maxReceiveCount` receives. Messages dropped by `FilterCriteria` are deleted, as Lambda does.
Several pollers run per mapping (`ScalingConfig.MaximumConcurrency`, default 2 locally).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from harness.runtime.aws_clients import client
from harness.runtime.pollers.filter_criteria import RecordFilter
from harness.runtime.pollers.mapping_view import MappingView

log = logging.getLogger(__name__)

RECEIVE_WAIT_S = 1  # long-poll, short enough to notice a stop quickly
DEFAULT_LOCAL_CONCURRENCY = 2


def sqs_event_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {}
    for name, attribute in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": attribute.get("StringValue"),
            "binaryValue": attribute.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": attribute.get("DataType"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def succeeded_messages(batch: list[dict[str, Any]], result: Any, report_item_failures: bool) -> list[dict[str, Any]]:
    """The messages to delete after an invoke."""
    if result.failed:
        return []
    if not report_item_failures or not isinstance(result.payload, dict):
        return batch
    failures = result.payload.get("batchItemFailures") or []
    failed_ids = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    known_ids = {message["messageId"] for message in batch}
    if not failed_ids <= known_ids:
        return []  # a malformed report fails the whole batch
    return [message for message in batch if message["messageId"] not in failed_ids]


class SqsPoller:
    def __init__(self, mapping: MappingView, invoke: Callable[[str, dict], Any], endpoint: str, region: str) -> None:
        self.mapping = mapping
        self._invoke = invoke
        self._region = region
        self._sqs = client("sqs", endpoint, region)
        arn = mapping.event_source_arn.split(":")
        self._queue_url = self._sqs.get_queue_url(QueueName=arn[5], QueueOwnerAWSAccountId=arn[4])["QueueUrl"]
        self._stop = threading.Event()
        concurrency = mapping.maximum_concurrency or DEFAULT_LOCAL_CONCURRENCY
        self._threads = [threading.Thread(target=self._run, daemon=True, name=f"sqs-{mapping.uuid[:8]}-{i}")
                         for i in range(concurrency)]
        self.messages_deleted = 0
        self.invocations = 0
        self.function_errors = 0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.mapping.enabled:
                    self._stop.wait(0.5)
                    continue
                batch = self._gather()
                if batch:
                    self._process(batch)
            except Exception:
                if self._stop.is_set():
                    return  # the emulator is shutting down under us
                log.exception("sqs poller %s failed; retrying", self.mapping.uuid)
                self._stop.wait(1.0)

    def _gather(self) -> list[dict[str, Any]]:
        batch_size = self.mapping.batch_size
        window_s = self.mapping.batching_window_s
        deadline = None
        batch: list[dict[str, Any]] = []
        while len(batch) < batch_size and not self._stop.is_set():
            wait_s = RECEIVE_WAIT_S if deadline is None else max(0, min(RECEIVE_WAIT_S, int(deadline - time.monotonic())))
            response = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=min(10, batch_size - len(batch)),
                WaitTimeSeconds=wait_s, AttributeNames=["All"], MessageAttributeNames=["All"])
            messages = response.get("Messages", [])
            batch.extend(sqs_event_record(m, self.mapping.event_source_arn, self._region) for m in messages)
            if batch and deadline is None:
                deadline = time.monotonic() + window_s
            if not batch:
                return batch
            if time.monotonic() >= deadline:
                break
        return batch

    def _process(self, batch: list[dict[str, Any]]) -> None:
        record_filter = RecordFilter(self.mapping.filter_patterns, "sqs")
        kept = [message for message in batch if record_filter.matches(message)]
        dropped = [message for message in batch if message not in kept]
        to_delete = list(dropped)
        if kept:
            result = self._invoke(self.mapping.function_arn, {"Records": kept})
            self.invocations += 1
            self.function_errors += int(result.failed)
            to_delete += succeeded_messages(kept, result, self.mapping.report_batch_item_failures)
        for start in range(0, len(to_delete), 10):
            chunk = to_delete[start:start + 10]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=[
                {"Id": str(index), "ReceiptHandle": message["receiptHandle"]} for index, message in enumerate(chunk)])
        self.messages_deleted += len(to_delete)
