"""The emulator's garbage collection: data it retains is frozen out of later full collections.

Why. A full collection of CPython's cyclic collector scans every tracked object and stops every
thread of the emulator while it runs. The emulator retains what the local pipeline sends for the
local retention (`patches.retention`, 600 s): each telemetry record is a Kinesis record, a DynamoDB
item and a stream record in moto's object form, about 20 tracked objects. At 1,500 records/s that is
about 20 million objects, and one full collection of 2 million took 0.65 s (100,000 location items
with their stream records, in process). CPython runs a full collection whenever the objects promoted
since the last one exceed a quarter of those that survived it, so a soak's emulator stopped for
seconds at a time, more often as its heap grew and every ~150 s once the retention held it level:
Kinesis lag spikes and an end-to-end p95 that climbed through the run (soak B in docs/benchmarks.md).

Policy (FLEETTAP_EMULATOR_GC, default `freeze`). After a full collection that took longer than
FREEZE_AFTER_PAUSE_S, its survivors move to the permanent generation (`gc.freeze()`), so the next
full collections scan only what was allocated since. The retained records hold no reference cycles:
reference counting still frees each one when the retention evicts it. Below that pause (a test
session's emulator, a short `make sim`) nothing is frozen and the collector behaves as CPython's.
What the policy gives up: a reference cycle that is alive at a freeze and dropped later is not
collected (the soak's memory checks would show such a leak as growth). The frozen objects are not
counted here: `gc.get_freeze_count()` walks the whole permanent generation while holding the GIL
(seconds at millions of objects; read by the status file every 2 s, it stalled a soak).
`default` leaves CPython's collector alone.

`periodic` (opt-in, measured by benchmarks.emulator_gc only, not yet by a soak): automatic collection
off; a thread collects everything not frozen every PERIODIC_COLLECT_S and freezes the survivors. Each
retained object is then scanned once (with `freeze`, once in each generation: in soak E the young
generations' collections took 36 s of the run against 22 s for the full ones); a reference cycle
lives until the next collection.

`pause_stats()` reports the collector's pauses per generation (count, total and longest seconds) and
the number of freezes, for the runtime's status file.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

GC_ENV = "FLEETTAP_EMULATOR_GC"
POLICIES = ("freeze", "default", "periodic")
FREEZE_AFTER_PAUSE_S = 0.01
PERIODIC_COLLECT_S = 2.0

_lock = threading.Lock()
_started_at: float | None = None
_pauses: dict[int, list[float]] = {}  # generation -> [count, total_s, longest_s]
_freezes = 0
_installed: str | None = None
_periodic_stop = threading.Event()


def policy() -> str:
    """The configured policy; raises ValueError naming GC_ENV for an unknown one."""
    raw = (os.environ.get(GC_ENV) or "freeze").strip().lower()
    if raw not in POLICIES:
        raise ValueError(f"{GC_ENV}={raw!r}: expected one of {', '.join(POLICIES)}")
    return raw


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    global _started_at, _freezes
    if phase == "start":
        _started_at = time.perf_counter()
        return
    if _started_at is None:
        return
    paused = time.perf_counter() - _started_at
    _started_at = None
    generation = int(info.get("generation", 0))
    with _lock:
        count_total_longest = _pauses.setdefault(generation, [0, 0.0, 0.0])
        count_total_longest[0] += 1
        count_total_longest[1] += paused
        count_total_longest[2] = max(count_total_longest[2], paused)
    if _installed == "freeze" and generation == 2 and paused > FREEZE_AFTER_PAUSE_S:
        gc.freeze()
        _freezes += 1


def collect_and_freeze() -> None:
    """One `periodic` pass: collect everything not frozen, then freeze what survived."""
    global _freezes
    gc.collect()
    gc.freeze()
    _freezes += 1


def _collect_periodically() -> None:
    while not _periodic_stop.wait(PERIODIC_COLLECT_S):
        collect_and_freeze()


def install() -> str:
    """Apply the configured policy to this process (once); returns the policy in force."""
    global _installed
    chosen = policy()
    if _installed is None:
        gc.callbacks.append(_on_collection)
        if chosen == "periodic":
            gc.disable()
            _periodic_stop.clear()
            threading.Thread(target=_collect_periodically, daemon=True, name="emulator-gc").start()
    _installed = chosen
    return chosen


def uninstall() -> None:
    """Remove the callback and return frozen objects to the collector (tests)."""
    global _installed, _freezes
    if _on_collection in gc.callbacks:
        gc.callbacks.remove(_on_collection)
    _periodic_stop.set()
    gc.enable()
    gc.unfreeze()
    _installed = None
    _freezes = 0
    with _lock:
        _pauses.clear()


def pause_stats() -> dict[str, Any]:
    """{"policy", "freezes", "pauses": {generation: {count, total_s, longest_s}}}; O(1) in the heap."""
    with _lock:
        pauses = {
            str(generation): {"count": count, "total_s": round(total, 4), "longest_s": round(longest, 4)}
            for generation, (count, total, longest) in sorted(_pauses.items())
        }
    return {"policy": _installed, "freezes": _freezes, "pauses": pauses}
