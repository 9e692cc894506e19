"""Secrets Manager values with a per-container cache.

Rotation is picked up after `ttl_s`; a connection failure also calls `invalidate` so a rotated
password is re-read on the next attempt instead of failing until the container is recycled.
"""

from __future__ import annotations

import json
import threading
import time

from handlers.common.aws import client

_cache: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()
TTL_S = 300.0


def get_secret(arn: str, ttl_s: float = TTL_S) -> str:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(arn)
        if hit and now - hit[0] < ttl_s:
            return hit[1]
    value = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    with _lock:
        _cache[arn] = (now, value)
    return value


def get_secret_json(arn: str) -> dict:
    return json.loads(get_secret(arn))


def invalidate(arn: str | None = None) -> None:
    with _lock:
        if arn is None:
            _cache.clear()
        else:
            _cache.pop(arn, None)
