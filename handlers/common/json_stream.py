"""The elements of a large JSON array read one at a time from a stream (an S3 object's body).

A DOT map run's result file holds every child execution's output (about 80 MB at 234,000 drivers)
and its manifest every driver id (about 12 MB): `json.loads` of either holds the bytes, their
decoded text and every parsed object at once, several times the function's memory in dev. Read in
chunks, memory holds one chunk and one element.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any, Protocol

CHUNK_BYTES = 1 << 20
_WHITESPACE = " \t\n\r"
_AFTER_ITEM = _WHITESPACE + ",]"


class Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


def array_items(body: Readable, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Any]:
    """Yield each element of the JSON array that `body` holds, in order.

    Raises ValueError when the body is not one JSON array (after surrounding whitespace), including
    a truncated one.
    """
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")()
    buffer, opened, closed, at_end = "", False, False, False
    while not at_end:
        chunk = body.read(chunk_bytes)
        at_end = not chunk
        buffer += text.decode(chunk, final=at_end)
        position = 0
        while True:
            while position < len(buffer) and buffer[position] in _WHITESPACE:
                position += 1
            if position == len(buffer):
                break
            if closed:
                raise ValueError(f"unexpected data after the JSON array: {buffer[position : position + 40]!r}")
            if not opened:
                if buffer[position] != "[":
                    raise ValueError(f"not a JSON array: starts with {buffer[position : position + 40]!r}")
                opened, position = True, position + 1
                continue
            if buffer[position] == "]":
                closed, position = True, position + 1
                continue
            if buffer[position] == ",":
                position += 1
                continue
            try:
                item, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError:
                if at_end:
                    raise ValueError("truncated JSON array") from None
                break  # the element continues in the next chunk
            if end == len(buffer) or buffer[end] not in _AFTER_ITEM:
                if not at_end:
                    break  # a number may go on in the next chunk ("-0" of "-0.5"): decode it again with it
                if end < len(buffer):
                    raise ValueError(f"unexpected data in the JSON array: {buffer[end : end + 40]!r}")
            position = end
            yield item
        buffer = buffer[position:]
    if not opened:
        raise ValueError("not a JSON array: empty body")
    if not closed:
        raise ValueError("truncated JSON array")
