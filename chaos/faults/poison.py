"""Poison records of every sort, mixed into each stream: every one must reach a function DLQ with
its reason and its bytes (replayable after a fix), and the rest of its batch must go on.

Sorts: not JSON, neither JSON nor base64, truncated JSON, wrong types, NaN/Infinity literals,
oversized (100 KiB, over the 64 KiB the decoder accepts; and 300 KiB, over what fits in an SQS
dead-letter message with its envelope), and a timestamp a day in the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import orjson

from chaos.accounting import SentRecord
from chaos.faults.base import Fault, FaultContext, Outgoing

SORTS = (
    "not-json",
    "not-base64",
    "truncated",
    "wrong-types",
    "nan-infinity",
    "oversized-100k",
    "oversized-300k",
    "far-future",
)


def poison(sort: str, template: bytes, serial: int) -> tuple[bytes, str | None]:
    """A poison record of `sort` made from a valid `template` record; returns (bytes, record_id)."""
    body = orjson.loads(template)
    record_id = f"{body.get('record_id', 'x')}-poison-{sort}-{serial}"
    body["record_id"] = record_id
    if sort == "not-json":
        return f"<html>{record_id} is not json</html>".encode(), None
    if sort == "not-base64":
        return f"@@@{record_id}!!!".encode(), None
    if sort == "truncated":
        data = orjson.dumps(body)
        return data[: len(data) // 2], None
    if sort == "wrong-types":
        body["vehicle_id"] = 12345
        body["ts"] = ["not", "a", "time"]
        for name in ("lat", "lon", "signals"):
            if name in body:
                body[name] = "many"
        return orjson.dumps(body), record_id
    if sort == "nan-infinity":
        text = orjson.dumps(body).decode()
        return (text[:-1] + ', "speed_kph": NaN, "odometer_km": Infinity}').encode(), record_id
    if sort.startswith("oversized"):
        size = 100 * 1024 if sort.endswith("100k") else 300 * 1024
        body["padding"] = "x" * size
        return orjson.dumps(body), record_id
    if sort == "far-future":
        future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        body["ts"] = future.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return orjson.dumps(body), record_id
    raise ValueError(f"unknown poison sort {sort!r}")


class Poison(Fault):
    name = "poison"
    description = "poison records of every sort on every stream"

    def transform(self, batches: Iterator[Outgoing], ctx: FaultContext) -> Iterator[Outgoing]:
        made: dict[str, int] = {}
        serial = 0
        for batch in batches:
            if batch.records and made.get(batch.kind, 0) < ctx.config.poison_per_kind and ctx.rng.random() < 0.2:
                key, template = batch.items[0]
                items, records = list(batch.items), list(batch.records)
                for sort in SORTS:
                    serial += 1
                    data, record_id = poison(sort, template, serial)
                    at = ctx.rng.randint(0, len(items))
                    items.insert(at, (key, data))
                    records.insert(at, SentRecord(batch.kind, data, record_id, "dlq", f"poison:{sort}"))
                made[batch.kind] = made.get(batch.kind, 0) + 1
                batch = Outgoing(batch.kind, items, records, batch.t)
            yield batch
