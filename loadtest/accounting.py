"""End-of-run accounting of a soak: the records the fleet sent against what the stack holds.

Pure: no I/O. `loadtest.sent_records` rebuilds what the load run's workers sent; `loadtest.held_records`
reads the stores afterwards; `account(sent, held)` turns the two into rows and a verdict.

One row per (kind, store), each with `sent`, `held`, `missing` (sent, not held) and `extra` (held
beyond what was sent: a doubled row), `None` where the store cannot tell:
- hos -> driver_logs, the whole run, by key (driver, instant). The table keeps every item; items of
  earlier runs in the same window are ignored by key, so `extra` is not judged.
- diagnostics -> vehicle_history (PostgreSQL), the whole run: rows of the run's vehicles inside its
  window (keyed by record_id, so a redelivery cannot double a row).
- diagnostics -> the data lake (Parquet through Firehose), the whole run: rows of the run's vehicles
  inside its window in the objects delivered since the run started; `extra` = rows whose record_id
  is already in another row (Firehose delivers at least once, a doubled row is a defect here).
- gps -> the location state in Redis, the whole run: vehicles whose stored last fix is older than
  the last fix sent for them (a fix lost, or still on its way) are missing.
- gps -> vehicle_locations and diagnostics -> vehicle_diagnostics, the run's last seconds only: the
  emulator evicts telemetry items held longer than its local retention
  (harness/emulator/patches/retention.py), so only the tail that is still held can be counted.
The run is accounted for when no row has anything missing or extra.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SentRecords:
    """What the load run sent: the fleet's simulated window and the records per kind and second."""

    start_ms: int  # the fleet's simulated start
    duration_s: int
    vehicles: int
    per_second: dict[str, Counter] = field(default_factory=dict)  # kind -> simulated second -> records
    hos_keys: set[tuple[str, int]] = field(default_factory=set)  # (driver_id, ts_ms)
    last_fix_ms: dict[str, int] = field(default_factory=dict)  # vehicle_id -> ts_ms of its last gps fix

    @property
    def end_ms(self) -> int:
        """Exclusive end of the window: a tick's records carry instants inside their second."""
        return self.start_ms + (self.duration_s + 1) * 1000

    def total(self, kind: str) -> int:
        return sum(self.per_second.get(kind, Counter()).values())

    def since(self, kind: str, from_ms: int) -> int:
        """Records of `kind` sent at simulated instants from `from_ms` on (whole seconds)."""
        first = -(-(from_ms - self.start_ms) // 1000)
        return sum(n for second, n in self.per_second.get(kind, Counter()).items() if second >= first)

    def tail_start_ms(self, seconds: float) -> int:
        """The simulated instant (a whole second) `seconds` before the window's end."""
        return self.start_ms + max(0, self.duration_s - int(seconds)) * 1000


@dataclass
class HeldRecords:
    """What the stores hold for the run's vehicles inside its window (loadtest.held_records)."""

    driver_log_keys: set[tuple[str, int]]
    history_rows: int
    lake_rows: int
    lake_distinct: int
    fix_ms: dict[str, int]  # vehicle_id -> last_ts_ms of its location state (absent: no state)
    tail_from_ms: int | None  # None: no tail still inside the emulator's retention
    tail_items: dict[str, int]  # table suffix -> items from tail_from_ms on


def _row(kind: str, store: str, scope: str, sent: int, held: int, extra: int | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "store": store,
        "scope": scope,
        "sent": sent,
        "held": held,
        "missing": max(0, sent - held),
        "extra": extra,
    }


def account(sent: SentRecords, held: HeldRecords) -> dict[str, Any]:
    rows = []
    hos_held = len(sent.hos_keys & held.driver_log_keys)
    rows.append(_row("hos", "driver_logs", "whole run", len(sent.hos_keys), hos_held, None))
    diagnostics = sent.total("diagnostics")
    rows.append(
        _row(
            "diagnostics",
            "vehicle_history",
            "whole run",
            diagnostics,
            held.history_rows,
            max(0, held.history_rows - diagnostics),
        )
    )
    rows.append(
        _row(
            "diagnostics",
            "data lake",
            "whole run",
            diagnostics,
            held.lake_distinct,
            held.lake_rows - held.lake_distinct + max(0, held.lake_distinct - diagnostics),
        )
    )
    current = sum(1 for vehicle, ts in sent.last_fix_ms.items() if held.fix_ms.get(vehicle, -1) >= ts)
    rows.append(_row("gps", "location state (Redis)", "vehicles", len(sent.last_fix_ms), current, None))
    if held.tail_from_ms is not None:
        scope = f"last {(sent.end_ms - held.tail_from_ms) // 1000} s"
        for kind, table in (("gps", "vehicle_locations"), ("diagnostics", "vehicle_diagnostics")):
            expected, found = sent.since(kind, held.tail_from_ms), held.tail_items.get(table, 0)
            rows.append(_row(kind, table, scope, expected, found, max(0, found - expected)))
    passed = all(row["missing"] == 0 and not row["extra"] for row in rows)
    return {"rows": rows, "passed": passed, "tail_counted": held.tail_from_ms is not None}


def render(accounting: dict[str, Any]) -> list[str]:
    lines = [f"{'records':<12} {'store':<24} {'scope':<12} {'sent':>10} {'held':>10} {'missing':>8} {'extra':>6}"]
    for row in accounting["rows"]:
        extra = "n/a" if row["extra"] is None else row["extra"]
        lines.append(
            f"{row['kind']:<12} {row['store']:<24} {row['scope']:<12} {row['sent']:>10,} {row['held']:>10,} "
            f"{row['missing']:>8,} {extra:>6}"
        )
    if not accounting["tail_counted"]:
        lines.append("vehicle_locations / vehicle_diagnostics not counted: the run ended longer ago than the retention")
    return lines
