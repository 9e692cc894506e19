"""Polling for an eventual condition in integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout_s: float = 20.0, interval_s: float = 0.1, what: str = "") -> T:
    """The first truthy value `condition()` returns within `timeout_s`; AssertionError naming `what`
    (or the condition) when none does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"not within {timeout_s} s: {what or condition}")
