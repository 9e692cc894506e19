"""DynamoDB tables: TTL expiry within the local retention, Query reading one partition, the hot
writes (BatchWriteItem, PutItem) and reads (Query) answered without moto's serializer, and the data
plane's requests read without moto's request parser."""

from __future__ import annotations

import inspect
import json
import re
import threading
from collections import deque
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from harness.emulator import fast_responses
from harness.emulator.patches import retention
from harness.emulator.patches.dynamodbstreams import STREAMS_LOCK
from harness.emulator.patches.registry import patch

TTL_SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}  # Streams API shape


def expire_dynamodb_items(table: Any, now: float | None = None) -> tuple[int, int]:
    """Evict/expire the items of a TTL table held longer than the retention: (ttl_deleted, evicted).

    `table.fleettap_held` lists (stored_at, hash, range, item) in write order; an entry whose item has
    since been overwritten or deleted is skipped.
    """
    held = getattr(table, "fleettap_held", None)
    keep_s = retention.local_retention_s()
    if not held or keep_s is None:
        return 0, 0
    now = now if now is not None else retention.now()
    cutoff = now - keep_s
    attribute = table.ttl.get("AttributeName")
    deleted = evicted = 0
    while held and held[0][0] < cutoff:
        _, hash_key, range_key, item = held.popleft()
        bucket = table.items.get(hash_key)
        if bucket is None:
            continue
        current = bucket.get(range_key) if range_key is not None else bucket
        if current is not item:
            continue
        ttl_value = item.attrs.get(attribute) if attribute else None
        expired = False
        if ttl_value is not None and ttl_value.type == "N":
            try:
                expired = float(ttl_value.value) < now
            except ValueError:
                expired = False
        if expired:  # AWS TTL: a delete with a REMOVE stream record made by the service
            with STREAMS_LOCK:
                table.delete_item(hash_key, range_key)
                if table.stream_shard is not None and table.stream_shard.items:
                    table.stream_shard.items[-1].record["userIdentity"] = dict(TTL_SERVICE_IDENTITY)
            deleted += 1
        else:  # still live on AWS: leave the emulator's memory only
            if range_key is not None:
                bucket.pop(range_key, None)
            else:
                table.items.pop(hash_key, None)
            evicted += 1
    return deleted, evicted


@patch(target=Table.put_item)
def ttl_items(fn: Any, self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """DynamoDB TTL: items expire (or leave the emulator's memory) after the local retention.

    Gap: moto stores a table's TTL setting but never deletes an item, so telemetry tables grow
    forever. Fix: items written to a table with TTL enabled are remembered in write order; on each
    write to the table, those held longer than the local retention are deleted (TTL attribute passed:
    AWS TTL semantics, a REMOVE stream record with the service identity) or evicted from memory (see
    `retention`). Off when FLEETTAP_LOCAL_RETENTION_S is `off`.
    """
    tracked = self.ttl.get("TimeToLiveStatus") == "ENABLED" and retention.local_retention_s() is not None
    if tracked:
        expire_dynamodb_items(self)
    item = fn(self, item_attrs, *args, **kwargs)
    if tracked:
        held = getattr(self, "fleettap_held", None)
        if held is None:
            held = self.fleettap_held = deque()
        held.append((retention.now(), item.hash_key, item.range_key, item))
    return item


def items_in_partition(table: Any, hash_key: Any) -> list[Any]:
    """The table's items with partition key `hash_key` (moto keeps them in `table.items[hash_key]`:
    a dict by sort key for a table with one, else the item itself)."""
    held = table.items.get(hash_key)  # .get: `items` is a defaultdict, a lookup must not add a key
    if held is None:
        return []
    return list(held.values()) if table.range_key_attr else [held]


_query_scope = threading.local()  # the (table, partition key) a Query on this thread is reading
_QUERY_SIGNATURE = inspect.signature(Table.query)


@patch(target=Table.all_items)
def all_items_of_queried_partition(fn: Any, self: Table) -> list[Any]:
    """DynamoDB Query on a table: the items moto's query reads (its half of `partition_scoped_query`).

    Gap: moto's Table.query calls `all_items()`, which lists, and then sorts, every item of the table.
    Fix: inside a partition-scoped Query of this table on this thread, answer with the queried
    partition's items only (moto's query sorts them by sort key itself); anywhere else, moto's answer.
    """
    current = getattr(_query_scope, "partition", None)
    if current is not None and current[0] is self:
        return items_in_partition(self, current[1])
    return fn(self)


@patch(target=Table.query)
def partition_scoped_query(fn: Any, self: Table, *args: Any, **kwargs: Any) -> Any:
    """DynamoDB Query on a table (not an index) reads only the queried partition.

    Gap: moto lists every item of the table, sorts them all and then keeps those with the queried
    partition key, so one Query costs O(N log N) in the table's size. driver_logs keeps every
    duty-status change (no TTL) and hos_processor queries it for each HOS record, so the cost per HOS
    record grew through a long run (docs/benchmarks.md, "Emulator patch notes").
    Fix: the Query reads the partition's own items (`all_items_of_queried_partition`); moto's key
    conditions, sort, paging, filters and projections then run unchanged on them. Index queries
    and queries without a partition key value are moto's own.
    """
    arguments = _QUERY_SIGNATURE.bind(self, *args, **kwargs).arguments
    hash_key = arguments.get("hash_key")
    if hash_key is None or arguments.get("index_name"):
        return fn(self, *args, **kwargs)
    _query_scope.partition = (self, hash_key)
    try:
        return fn(self, *args, **kwargs)
    finally:
        _query_scope.partition = None


# ------------------------------------------------------------------------------------ fast answers


def _fast_json(fn: Any, self: DynamoHandler) -> Any:
    result = fn(self)
    if type(result) not in (ActionResult, DynamoResult) or not fast_responses.enabled():
        return result
    return fast_responses.json_answer(result.result, fast_responses.JSON_1_0)


@patch(target=DynamoHandler.batch_write_item)
def batch_write_item_fast_answer(fn: Any, self: DynamoHandler) -> Any:
    """DynamoDB BatchWriteItem: the answer is encoded with json.dumps (`harness.emulator.fast_responses`).

    Gap: every answer goes through moto's shape-driven serializer, paid on each of the processor's
    and location tracker's batches. Fix: the same result encoded in one json.dumps (moto's CRC32
    header is still computed over it); errors still go through moto's serializer.
    """
    return _fast_json(fn, self)


@patch(target=DynamoHandler.put_item)
def put_item_fast_answer(fn: Any, self: DynamoHandler) -> Any:
    """DynamoDB PutItem: the answer is encoded with json.dumps (`harness.emulator.fast_responses`).

    Gap: as for BatchWriteItem, moto's serializer walks the (mostly empty) output shape of every
    conditional HOS write. Fix: the same result (ConsumedCapacity, ALL_OLD attributes) encoded in
    one json.dumps; a failed condition still goes through moto's serializer.
    """
    return _fast_json(fn, self)


@patch(target=DynamoHandler.query)
def query_fast_answer(fn: Any, self: DynamoHandler) -> Any:
    """DynamoDB Query: the answer is encoded with json.dumps (`harness.emulator.fast_responses`).

    Gap: moto's serializer walks the output shape for every attribute of every item returned: 11 %
    of the emulator's CPU in a DOT run (py-spy, 1,000 drivers), where every report_driver reads nine
    days of a driver's log. Fix: the same result (Items, Count, ScannedCount, LastEvaluatedKey,
    ConsumedCapacity) encoded in one json.dumps, attribute values in their {type: value} form;
    a validation error still goes through moto's serializer.
    """
    return _fast_json(fn, self)


# The data plane: what the handlers and the runtime call per record or per batch. Control-plane
# requests (CreateTable, UpdateTimeToLive, ...) keep moto's parser.
JSON_PARSED_ACTIONS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)
# AttributeValue's blob members: moto's parser decodes their base64 into bytes, json.loads would not.
# Inside a JSON string a quote is escaped, so this only matches a member name (or a map key "B").
BLOB_MEMBER = re.compile(rb'"BS?"\s*:')


@patch(DynamoHandler, "parse_parameters")
def data_plane_requests_read_as_json(fn: Any, self: DynamoHandler, request: Any) -> None:
    """DynamoDB data-plane requests read with json.loads instead of moto's shape-driven parser.

    Gap: moto 5.2 parses every request by walking the operation's input shape in Python
    (moto/core/parse.py), before the action runs: 2.0 ms for a BatchWriteItem of 25 location items
    against 0.09 ms for json.loads of the same body (21x), 18 % of the emulator's GIL time in a soak
    at 1,500 records/s (py-spy --gil). For the JSON protocol the parsed form of a request without
    blobs is the JSON itself (tests/runtime/test_fast_request_parsing.py). Fix: for the data-plane
    actions, a body with no blob member is `json.loads`-ed; a blob member, a body that is not JSON,
    another action or FLEETTAP_FAST_PATHS=off goes through moto's parser as before.
    """
    body = request.data
    if fast_responses.enabled() and self._get_action() in JSON_PARSED_ACTIONS and not BLOB_MEMBER.search(body):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            self.params = parsed
            self.fleettap_json_body = parsed  # the IAM check reads the same body (iam_enforcement._params)
            return
    fn(self, request)


ITEM_SIZE_LIMIT = 405_000  # moto's limit (400 KB official; AWS measured refusing between 409 and 410 KB)


@patch(target=Item.__init__)
def item_size_checked_once(fn: Any, self: Item, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """A new item's 400 KB limit checked with one pass over its attributes.

    Gap: moto builds an item by setting its attributes one by one on a `LimitedSizeDict`, whose
    `__setitem__` re-measures every attribute already set (quadratic: 95 `DynamoType.size` calls for
    a 13-attribute location item); it was a quarter of the emulator's CPU per BatchWriteItem of
    locations. Fix: each attribute measured once, the sizes summed as they are added, the same
    `ItemSizeTooLarge` when the sum passes moto's limit; the attributes land in the same
    `LimitedSizeDict`, so later updates (UpdateItem) are checked by moto as before.
    """
    if not fast_responses.enabled():
        return fn(self, hash_key, range_key, attrs)
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    total = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        total += bytesize(key) + typed.size()
        if total > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, typed)
