"""Stream checkpoints across an emulator restart (harness.emulator.persistence).

Lambda keeps, per event source mapping and shard, the sequence number up to which it has processed
the stream; a restarted poller reads on after it. Locally the pollers live in the emulator process,
so their checkpoints are saved with the emulator's state (`collect`) and handed back to the pollers
of the restarted emulator (`restore`, then `resume_iterator` when a shard poller first reads).
"""

from __future__ import annotations

import threading
from typing import Any

_restored: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def collect(supervisor: Any) -> dict[tuple[str, str], str]:
    """(mapping uuid, shard id) -> last processed sequence number, for every stream shard poller."""
    found = {}
    for key, poller in list(getattr(supervisor, "_pollers", {}).items()):
        sequence = getattr(poller, "last_sequence", None)
        if sequence:
            found[key] = sequence
    with _lock:  # a restored checkpoint whose poller has not read since still holds
        return {**_restored, **found}


def restore(checkpoints: dict[tuple[str, str], str]) -> None:
    with _lock:
        _restored.clear()
        _restored.update(checkpoints)


def resume_iterator(poller: Any) -> str | None:
    """A shard iterator just after the restored checkpoint of this poller's (mapping, shard), or None
    when there is none (the poller then starts at the mapping's starting position)."""
    key = (poller.mapping.uuid, poller.source.shard_id)
    with _lock:
        sequence = _restored.get(key)
    if sequence is None:
        return None
    source = poller.source
    arn = {"StreamARN": source.arn} if source.kind == "kinesis" else {"StreamArn": source.arn}
    try:
        iterator = source._client.get_shard_iterator(
            ShardId=source.shard_id, ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=sequence, **arn
        )["ShardIterator"]
    except Exception:  # the records were trimmed (retention) or the stream re-created: start as configured
        with _lock:
            _restored.pop(key, None)
        return None
    poller.last_sequence = sequence
    with _lock:
        _restored.pop(key, None)
    return iterator
