"""SQS event source mapping poller, as Lambda runs it.

Receives with the queue's own visibility timeout, gathers up to `BatchSize` messages within
`MaximumBatchingWindowInSeconds` (the next window begins as soon as the previous invocation
completes, as Lambda does for SQS, Kinesis and DynamoDB sources: a message that arrives after the
window has run out is invoked as soon as it is received), invokes, then deletes what succeeded:
everything on success, everything but the reported `batchItemFailures` with
`ReportBatchItemFailures`, nothing on a function error. Messages left behind become visible again
when their visibility timeout ends, and the queue's redrive policy (moto applies it on receive)
moves them to the DLQ after `maxReceiveCount` receives. Messages dropped by `FilterCriteria` are
deleted, as Lambda does. A throttled invoke (`concurrency.Throttled`) is retried with backoff while
the batch is still invisible (the queue's visibility timeout, which is why AWS asks for 6x the
function's timeout); after that its messages are left to become visible again, and each such
receive counts toward `maxReceiveCount` as on AWS. Several pollers run per mapping (`ScalingConfig.MaximumConcurrency`,
default 2 locally).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from harness.runtime.aws_clients import client
from harness.runtime.concurrency import Throttled
from harness.runtime.pollers.filter_criteria import RecordFilter
from harness.runtime.pollers.mapping_view import MappingView
from harness.runtime.pollers.source_access import RECHECK_S, SourceAccess

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
        self.access = SourceAccess(mapping, region)  # the function's role may receive and delete?
        self._sqs = client("sqs", endpoint, region)
        arn = mapping.event_source_arn.split(":")
        self._queue_url = self._sqs.get_queue_url(QueueName=arn[5], QueueOwnerAWSAccountId=arn[4])["QueueUrl"]
        self._stop = threading.Event()
        concurrency = mapping.maximum_concurrency or DEFAULT_LOCAL_CONCURRENCY
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name=f"sqs-{mapping.uuid[:8]}-{i}")
            for i in range(concurrency)
        ]
        self._visibility_timeout_s = int(
            self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["VisibilityTimeout"])[
                "Attributes"
            ]["VisibilityTimeout"]
        )
        self.messages_deleted = 0
        self.throttles = 0
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
        window_started = time.monotonic()  # per poller thread: each one invokes on its own
        while not self._stop.is_set():
            try:
                if not self.mapping.enabled:
                    self._stop.wait(0.5)
                    continue
                if self.access.denied() is not None:  # AccessDenied: nothing is received, messages stay
                    self._stop.wait(RECHECK_S)
                    continue
                batch = self._gather(window_started)
                if batch:
                    self._process(batch)
                    window_started = time.monotonic()
            except Exception:
                if self._stop.is_set():
                    return  # the emulator is shutting down under us
                log.exception("sqs poller %s failed; retrying", self.mapping.uuid)
                self._stop.wait(1.0)

    def _gather(self, window_started: float) -> list[dict[str, Any]]:
        batch_size = self.mapping.batch_size
        window_ends = window_started + self.mapping.batching_window_s
        batch: list[dict[str, Any]] = []
        while len(batch) < batch_size and not self._stop.is_set():
            remaining = window_ends - time.monotonic()
            if batch and remaining <= 0:
                break
            if not batch:
                wait_s = RECEIVE_WAIT_S  # long poll: returns as soon as a message is there
            elif remaining >= 1:
                wait_s = min(RECEIVE_WAIT_S, int(remaining))
            else:  # WaitTimeSeconds is whole seconds: sleep out the window, then one last look
                self._stop.wait(remaining)
                wait_s = 0
            response = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(10, batch_size - len(batch)),
                WaitTimeSeconds=wait_s,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            batch.extend(sqs_event_record(m, self.mapping.event_source_arn, self._region) for m in messages)
            if not batch or wait_s == 0:
                break
        return batch

    def _invoke_unless_throttled(self, event: dict[str, Any]) -> Any:
        """The invoke's result; None when it stayed throttled until the batch's visibility timeout ran out."""
        invisible_until = time.monotonic() + self._visibility_timeout_s
        throttled = 0
        while True:
            try:
                return self._invoke(self.mapping.function_arn, event)
            except Throttled:
                throttled += 1
                self.throttles += 1
                backoff = min(0.1 * 2 ** min(throttled, 5), 2.0)
                if time.monotonic() + backoff >= invisible_until or self._stop.wait(backoff):
                    return None

    def _process(self, batch: list[dict[str, Any]]) -> None:
        record_filter = RecordFilter(self.mapping.filter_patterns, "sqs")
        kept = [message for message in batch if record_filter.matches(message)]
        dropped = [message for message in batch if message not in kept]
        to_delete = list(dropped)
        if kept:
            result = self._invoke_unless_throttled({"Records": kept})
            if result is not None:
                self.invocations += 1
                self.function_errors += int(result.failed)
                to_delete += succeeded_messages(kept, result, self.mapping.report_batch_item_failures)
        for start in range(0, len(to_delete), 10):
            chunk = to_delete[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["receiptHandle"]} for index, message in enumerate(chunk)
                ],
            )
        self.messages_deleted += len(to_delete)
