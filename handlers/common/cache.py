"""Small per-container TTL caches for reference data (thresholds, rules, geofences).

Reference tables change rarely; a short TTL bounds how stale a warm container can be without
a DynamoDB read per record. Every cache registers itself so tests can clear them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

_registry: list[TTLCache] = []


class TTLCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        value = load()
        with self._lock:
            self._data[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def clear_all() -> None:
    for cache in _registry:
        cache.clear()
