"""Delivery faults: what at-least-once streams and store-and-forward devices do to the records.

- `duplicate`: a share of PutRecords calls is sent again a few calls later (the same bytes: a
  producer retry whose first attempt had landed);
- `out-of-order`: calls are held in a window and released shuffled, so a vehicle's records reach
  the shard out of time order;
- `late`: a share of the HOS calls is held back until everything else was sent (an ELD uploading
  a day's log late), and a few HOS records are sent again as copies `late_days` old (a device
  replaying its memory): beyond 7 days the pipeline must dead-letter them (TS_TOO_OLD).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import orjson

from chaos.accounting import SentRecord
from chaos.faults.base import Fault, FaultContext, Outgoing

REORDER_WINDOW = 6
LATE_COPIES = 6
MAX_AGE_DAYS = 7.0  # the pipeline's own limit (handlers/domain/validation.py)


class Duplicate(Fault):
    name = "duplicate"
    description = "a share of PutRecords calls sent twice"

    def transform(self, batches: Iterator[Outgoing], ctx: FaultContext) -> Iterator[Outgoing]:
        pending: list[tuple[int, Outgoing]] = []
        for index, batch in enumerate(batches):
            yield batch
            if ctx.rng.random() < ctx.config.duplicate_share:
                pending.append((index + ctx.rng.randint(1, 4), batch))
            due = [item for item in pending if item[0] <= index]
            pending = [item for item in pending if item[0] > index]
            for _, again in due:
                yield again
        for _, again in pending:
            yield again


class OutOfOrder(Fault):
    name = "out-of-order"
    description = f"PutRecords calls shuffled in windows of {REORDER_WINDOW}"

    def transform(self, batches: Iterator[Outgoing], ctx: FaultContext) -> Iterator[Outgoing]:
        window: list[Outgoing] = []
        for batch in batches:
            window.append(batch)
            if len(window) >= REORDER_WINDOW:
                ctx.rng.shuffle(window)
                yield from window
                window = []
        ctx.rng.shuffle(window)
        yield from window


def shifted_copy(record: SentRecord, days: float) -> SentRecord | None:
    """A copy of an HOS record `days` older, with its own record_id (None when it does not parse)."""
    try:
        body = orjson.loads(record.data)
        ts = dt.datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))
    except (orjson.JSONDecodeError, KeyError, ValueError, AttributeError):
        return None
    old = ts - dt.timedelta(days=days)
    body["ts"] = old.strftime("%Y-%m-%dT%H:%M:%S.") + f"{old.microsecond // 1000:03d}Z"
    body["record_id"] = f"{body['vehicle_id']}-h-{int(old.timestamp() * 1000)}"
    expect = "dlq" if days > MAX_AGE_DAYS else "processed"
    return SentRecord("hos", orjson.dumps(body), body["record_id"], expect, f"late-{days:g}d")


class Late(Fault):
    name = "late"
    description = "HOS calls held back to the end; HOS copies days late"

    def transform(self, batches: Iterator[Outgoing], ctx: FaultContext) -> Iterator[Outgoing]:
        held: list[Outgoing] = []
        copies: list[SentRecord] = []
        keys: dict[bytes, str] = {}
        for batch in batches:
            if batch.kind == "hos" and ctx.rng.random() < max(ctx.config.duplicate_share, 0.3):
                held.append(batch)
                continue
            if batch.kind == "hos" and len(copies) < LATE_COPIES:
                for (key, _), record in zip(batch.items, batch.records):
                    copy = shifted_copy(record, ctx.config.late_days)
                    if copy is not None and len(copies) < LATE_COPIES:
                        copies.append(copy)
                        keys[copy.data] = key
            yield batch
        yield from held
        if copies:
            yield Outgoing("hos", [(keys[c.data], c.data) for c in copies], copies)
        ctx.notes.append(f"{sum(len(b.records) for b in held)} HOS records held to the end, {len(copies)} copies")
