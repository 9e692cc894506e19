"""Buffered DynamoDB puts for one invocation: BatchWriteItem, 25 items a request.

Stream handlers add an item per valid record and flush once after the batch: 4 requests per
100 records instead of 100. Puts are idempotent (same key, same item), so if the flush fails
the error propagates, the invocation fails and the whole batch is retried.
"""

from __future__ import annotations

import time

from handlers.common.aws import client, to_item

MAX_BATCH = 25
MAX_ROUNDS = 8


class DynamoBatchWriter:
    def __init__(self, table: str, key: tuple[str, ...]) -> None:
        self.table, self.key = table, key
        self._items: dict[tuple, dict] = {}

    def add(self, item: dict) -> None:
        # BatchWriteItem rejects two puts of one key in a request; the last reading wins.
        self._items[tuple(item[k] for k in self.key)] = {"PutRequest": {"Item": to_item(item)}}

    def __len__(self) -> int:
        return len(self._items)

    def flush(self) -> int:
        pending, written = list(self._items.values()), 0
        ddb = client("dynamodb")
        for chunk_start in range(0, len(pending), MAX_BATCH):
            requests = pending[chunk_start : chunk_start + MAX_BATCH]
            for attempt in range(MAX_ROUNDS):
                resp = ddb.batch_write_item(RequestItems={self.table: requests})
                left = resp.get("UnprocessedItems", {}).get(self.table, [])
                written += len(requests) - len(left)
                if not left:
                    break
                requests = left  # throttled: back off and resend only what was not written
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise RuntimeError(f"{len(requests)} items still unprocessed for {self.table}")
        self._items.clear()
        return written
