"""How AWS measures a message's size for its payload limits: UTF-8 bytes, attributes included.

SQS and SNS count the message body plus each message attribute's name, data type and value, in
bytes (SQS "MaximumMessageSize", SNS's 256 KiB). moto compares `len()` of the body string alone:
characters, not bytes, and no attributes, so a message AWS refuses is accepted.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any


def utf8_size(value: Any) -> int:
    """Bytes of `value` as sent: str in UTF-8, bytes as they are, anything else 0."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes | bytearray):
        return len(value)
    return 0


def attributes_size(attributes: Mapping[str, Any] | None) -> int:
    """Bytes AWS counts for message attributes: each name, data type and value (string, binary or lists)."""
    total = 0
    for name, attribute in (attributes or {}).items():
        total += utf8_size(name)
        if not isinstance(attribute, Mapping):
            total += utf8_size(attribute)
            continue
        for key, value in attribute.items():
            if key.lower().replace("_", "") in ("binaryvalue",) and isinstance(value, str):
                total += len(_b64_or_raw(value))
            elif isinstance(value, list):
                total += sum(utf8_size(item) for item in value)
            else:
                total += utf8_size(value)
    return total


def _b64_or_raw(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return value.encode("utf-8")


def message_size(body: Any, attributes: Mapping[str, Any] | None) -> int:
    """The size AWS holds against a message's limit: body bytes plus attribute bytes."""
    return utf8_size(body) + attributes_size(attributes)
