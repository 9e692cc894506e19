"""Kinesis sink: PutRecords in batches of at most 500 records / 5 MiB, partition key = vehicle_id.

Only the records a response marks as failed are re-sent, after an exponential backoff with full
jitter (sleep uniform(0, min(cap, base * 2^attempt))); throughput refusals are counted. Whole-call
throughput errors re-send the whole batch the same way.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from sim import aws
from sim.sinks.base import Sink

MAX_RECORDS = 500
MAX_REQUEST_BYTES = 5 * 1024 * 1024
THROUGHPUT_ERRORS = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "LimitExceededException",
    "KMSThrottlingException",
}


class DeliveryFailed(RuntimeError):
    pass


def chunks(items: list, max_records: int = MAX_RECORDS, max_bytes: int = MAX_REQUEST_BYTES):
    """Split (key, data) pairs into PutRecords-sized batches (size counts key + data, as AWS does)."""
    batch, size = [], 0
    for key, data in items:
        item_size = len(key) + len(data)
        if batch and (len(batch) >= max_records or size + item_size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append((key, data))
        size += item_size
    if batch:
        yield batch


class KinesisSink(Sink):
    def __init__(
        self,
        client,
        streams: dict,
        *,
        max_attempts: int = 8,
        base_delay_s: float = 0.05,
        max_delay_s: float = 5.0,
        raise_on_failure: bool = True,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.client = client
        self.streams = streams
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.raise_on_failure = raise_on_failure
        self.rng = rng or random.Random()
        self.sleep = sleep

    @classmethod
    def from_environment(cls, streams: dict | None = None, endpoint: str | None = None, **options) -> KinesisSink:
        """A sink on the deployed streams at `endpoint` (default: AWS_ENDPOINT_URL, else AWS)."""
        kinesis = aws.client("kinesis", endpoint=endpoint)
        return cls(kinesis, streams or aws.resolve_streams(kinesis), **options)

    def send(self, batch) -> None:
        for kind, items in batch.records.items():
            if items:
                self.put(kind, items)

    def put(self, kind: str, items: list) -> None:
        stream = self.streams[kind]
        for chunk in chunks(items):
            self._put_chunk(kind, stream, chunk)

    def _put_chunk(self, kind: str, stream: str, chunk: list) -> None:
        """Send one batch, re-sending refused records; count what was delivered."""
        pending = chunk
        for attempt in range(self.max_attempts):
            if attempt:
                self.stats.retries += 1
                self.sleep(self._backoff(attempt))
            try:
                self.stats.requests += 1
                response = self.client.put_records(
                    StreamName=stream, Records=[{"Data": data, "PartitionKey": key} for key, data in pending]
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in THROUGHPUT_ERRORS:
                    raise
                self.stats.throttled += len(pending)
                continue
            if not response.get("FailedRecordCount"):
                pending = []
                break
            failed = []
            for item, result in zip(pending, response["Records"]):
                code = result.get("ErrorCode")
                if code:
                    failed.append(item)
                    if code in THROUGHPUT_ERRORS:
                        self.stats.throttled += 1
            pending = failed
            if not pending:
                break
        undelivered = set(map(id, pending))
        self.stats.count(kind, [item for item in chunk if id(item) not in undelivered])
        if pending:
            self.stats.failed += len(pending)
            if self.raise_on_failure:
                raise DeliveryFailed(
                    f"{len(pending)} records to {stream} still failing after {self.max_attempts} attempts"
                )

    def _backoff(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))
