"""One invocation's Redis reads and writes of per-vehicle state keys, in two round trips.

A stream consumer that keeps one state key per vehicle (location_tracker: `geo:state:<vehicle_id>`,
`ud:state:<vehicle_id>`) would otherwise make a GET and a SET per record. Here the keys of every
vehicle of the batch are read with one MGET (`prefetch`), reads come from memory, and writes (SET,
DELETE, GEOADD) are queued and sent in one pipeline by `flush()`.

Why the values held here stay right: a Kinesis lane holds a vehicle's records (partition key =
vehicle_id; a vehicle is never in two invocations at once), so within an invocation this consumer
is the keys' only writer and a value set here is the key's next value. A key not prefetched is read
on first use.

When to flush: before returning from a record that published something (so, as before batching, a
retry after a crash re-publishes at most that record's message, under its deterministic id), and
once after the batch. Writes queued for a record that then fails are not undone: callers queue a
record's writes after its last step that can fail, as they would have written them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis

_MISSING = object()


class BatchRedis:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client  # for everything that is not a per-vehicle state key
        self._values: dict[str, Any] = {}
        self._pipe = client.pipeline(transaction=False)

    def prefetch(self, keys: Iterable[str]) -> None:
        wanted = [key for key in dict.fromkeys(keys) if key not in self._values]
        if wanted:
            self._values.update(zip(wanted, self.client.mget(wanted)))

    def get(self, key: str) -> Any:
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            value = self._values[key] = self.client.get(key)
        return value

    def set(self, key: str, value: str, ex: int | None = None) -> None:
        self._values[key] = value
        self._pipe.set(key, value, ex=ex)

    def delete(self, key: str) -> None:
        self._values[key] = None
        self._pipe.delete(key)

    def geoadd(self, key: str, values: tuple) -> None:
        self._pipe.geoadd(key, values)

    def flush(self) -> None:
        """Send the queued writes (one round trip); a failure raises, as a direct write would."""
        if len(self._pipe):  # execute() empties the pipeline, even when it raises
            self._pipe.execute()
