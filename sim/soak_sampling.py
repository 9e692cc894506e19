"""Soak measurements: resident memory of the stack's processes and a flatness (slope) test.

Processes come from `<state_dir>/pids/*.pid` (JSON records written by harness.processes) and the
`pids` map of `stack.json`. A process's memory is counted with its descendants, because the local
runtime runs Lambda execution environments as child processes that come and go. Each process counts
its proportional set size (PSS, /proc/<pid>/smaps_rollup), so pages shared by the tree (PostgreSQL's
shared buffers) are counted once; where PSS cannot be read, RSS (psutil when installed, else /proc).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

PAGE_KIB = 1024


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm (field 2) may contain spaces; fields after the last ')' start at field 3 (state).
    return text.rsplit(")", 1)[1].split()


def start_token(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields else None  # starttime, field 22 of proc(5)


def rss_kib(pid: int) -> int | None:
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss // 1024
    except ImportError:
        pass
    except Exception:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return 0  # a zombie has no VmRSS line


def children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def descendants(pid: int, children: dict[int, list[int]]) -> list[int]:
    """Every process below `pid` in the tree (each once, even if /proc changed while it was read)."""
    found, stack, seen = [], list(children.get(pid, [])), {pid}
    while stack:
        child = stack.pop()
        if child in seen:
            continue
        seen.add(child)
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def pss_kib(pid: int) -> int | None:
    """Proportional set size (Linux /proc/<pid>/smaps_rollup): private pages plus each shared page
    divided by the number of processes mapping it; None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def process_kib(pid: int) -> int | None:
    """Memory of one process, for summing over a process tree: PSS where the kernel offers it, so
    that shared memory (PostgreSQL's shared buffers, which every backend maps and touches) is
    counted once for the tree instead of once per process; RSS otherwise."""
    pss = pss_kib(pid)
    return pss if pss is not None else rss_kib(pid)


def tree_rss_kib(pid: int, children: dict[int, list[int]]) -> int | None:
    own = process_kib(pid)
    if own is None:
        return None
    return own + sum(process_kib(child) or 0 for child in descendants(pid, children))


def stack_processes(state_dir: Path) -> dict[str, int]:
    """service -> pid for the stack's live processes (pid files whose start token still matches)."""
    found: dict[str, int] = {}
    for path in sorted((state_dir / "pids").glob("*.pid")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        pid = int(record.get("pid", 0))
        if pid and (record.get("start_token") in (None, start_token(pid))) and start_token(pid):
            found[record.get("service", path.stem)] = pid
    try:
        stack = json.loads((state_dir / "stack.json").read_text())
    except (OSError, ValueError):
        stack = {}
    for service, value in (stack.get("pids") or {}).items():
        pid = int(value.get("pid", 0)) if isinstance(value, dict) else int(value or 0)
        if pid and service not in found and start_token(pid):
            found[service] = pid
    return found


def memory_sample(processes: dict[str, int]) -> dict[str, float]:
    """service -> MiB (process + descendants); services that died are left out."""
    children = children_map()
    sample: dict[str, float] = {}
    for service, pid in processes.items():
        kib = tree_rss_kib(pid, children)
        if kib is not None:
            sample[service] = kib / 1024
    return sample


def least_squares_slope(points: list[tuple[float, float]]) -> float:
    """Slope of the best-fit line through (x, y) points; 0 for fewer than two distinct x."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread_x = sum((x - mean_x) ** 2 for x, _ in points)
    if spread_x == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread_x


@dataclass(frozen=True)
class Trend:
    name: str
    samples: int
    slope_per_s: float
    growth: float  # fitted change over the analysed window
    tolerance: float
    median: float

    @property
    def flat(self) -> bool:
        return self.growth <= self.tolerance

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "samples": self.samples, "slope_per_hour": round(self.slope_per_s * 3600, 3),
                "growth": round(self.growth, 3), "tolerance": round(self.tolerance, 3),
                "median": round(self.median, 3), "flat": self.flat}


def trend(name: str, points: list[tuple[float, float]], *, absolute: float, relative: float = 0.0,
          warmup_fraction: float = 0.2) -> Trend:
    """Does `points` stay flat after warm-up? Growth = slope x window; shrinking is always flat.

    Tolerance is max(absolute, relative x median): small absolute noise (allocator arenas, a new
    Lambda environment) must not fail a soak, and large processes get a proportional allowance.
    """
    ordered = sorted(points)
    if ordered:
        cutoff = ordered[0][0] + (ordered[-1][0] - ordered[0][0]) * warmup_fraction
        ordered = [p for p in ordered if p[0] >= cutoff]
    slope = least_squares_slope(ordered)
    window = ordered[-1][0] - ordered[0][0] if len(ordered) > 1 else 0.0
    middle = median(y for _, y in ordered) if ordered else 0.0
    return Trend(name, len(ordered), slope, slope * window, max(absolute, relative * middle), middle)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (Linux /proc)."""
    fields = _stat_fields(pid)
    if not fields:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14, 15


def cpu_sample(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far per service, split into the process itself and its descendants
    (for the emulator, the descendants are the local Lambda execution environments)."""
    children = children_map()
    sample: dict[str, float] = {}
    for service, pid in processes.items():
        own = cpu_seconds(pid)
        if own is None:
            continue
        sample[service] = own
        below = sum(cpu_seconds(child) or 0.0 for child in descendants(pid, children))
        if below:
            sample[f"{service} children"] = below
    return sample


def cpu_percent(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Share of one core per service between two cpu_sample() snapshots (100 = one full core)."""
    if seconds <= 0:
        return {}
    return {name: max(0.0, (after[name] - before.get(name, 0.0)) / seconds * 100)
            for name in after}
