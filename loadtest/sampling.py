"""Process measurements for load, sweep and soak runs: resident memory and CPU of the stack's
processes, and a flatness (slope) test.

Processes come from `<state_dir>/pids/*.pid` (JSON records written by harness.processes) and the
`pids` map of `stack.json`. A process's memory is counted with its descendants, because the local
runtime runs Lambda execution environments as child processes that come and go. Each process counts
its proportional set size (PSS, /proc/<pid>/smaps_rollup), so pages shared by the tree (PostgreSQL's
shared buffers) are counted once; where PSS cannot be read, RSS (psutil when installed, else /proc).

`memory_detail` splits each service's tree further, for the soak's verdict (loadtest/soak_memory.py):
- shared-memory mappings (permissions with 's': PostgreSQL's main segment "/dev/zero (deleted)",
  "/SYSV... (deleted)", /dev/shm segments) apart from the rest. Summed over every process that maps
  them, their PSS is the segment's resident size. /proc/<pid>/maps (no page walk) tells which
  processes have such mappings (1 MiB or more); only those have /proc/<pid>/smaps read, the others
  smaps_rollup;
- local Lambda execution environments (descendants started as `python -I .../worker_main.py
  <code_root>/<function>-<sha16> <handler>` by harness/runtime/workers.py) apart from the process
  that runs them, each with its function name and start time.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from harness.config import read_stack_data

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
        stack = read_stack_data(state_dir)
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


ENVIRONMENT_SCRIPT = "worker_main.py"  # harness/runtime/workers.py WORKER_SCRIPT
_CODE_DIR_SUFFIX = re.compile(r"-[0-9a-f]{16}$")  # <function>-<code sha256[:16]> (workers.py _code_dir)


def _mapping_header(line: str) -> tuple[str, str] | None:
    """(address range, permissions) of a maps/smaps mapping line, None for an smaps field line."""
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[0].endswith(":") or "-" not in parts[0] or len(parts[1]) != 4:
        return None
    return parts[0], parts[1]


_SMAPS_FIELDS = re.compile(r"^(?:[0-9a-f]+-[0-9a-f]+ [r-][w-][x-]([sp])|Pss:\s+(\d+))", re.MULTILINE)


def split_smaps_kib(text: str) -> tuple[int, int]:
    """(total PSS, PSS of shared mappings) in KiB from the text of /proc/<pid>/smaps (one regex
    pass: a Python loop over its ~25 lines per mapping costs several times the kernel's read)."""
    total = shared = 0
    in_shared = False
    for kind, pss in _SMAPS_FIELDS.findall(text):
        if kind:
            in_shared = kind == "s"
        else:
            total += int(pss)
            if in_shared:
                shared += int(pss)
    return total, shared


# Shared mappings smaller than this in all (read-only caches such as glibc's gconv-modules.cache,
# semaphores) are not worth an smaps read: at most this much would be counted as private.
SHM_SPLIT_MIN_KIB = 1024


def _shared_mapping_kib(maps: str) -> int:
    """Virtual size of a process's shared mappings, from the text of /proc/<pid>/maps."""
    total = 0
    for line in maps.splitlines():
        header = _mapping_header(line)
        if header and header[1][3] == "s":
            start, end = header[0].split("-")
            total += (int(end, 16) - int(start, 16)) // 1024
    return total


def process_memory_kib(pid: int) -> tuple[int, int] | None:
    """(memory, of which shared-memory mappings) of one process in KiB: PSS where the kernel offers
    it (RSS otherwise, with no split); None when the process is gone. /proc/<pid>/smaps is read only
    when the process maps at least SHM_SPLIT_MIN_KIB shared, else smaps_rollup."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        maps = ""
    if _shared_mapping_kib(maps) >= SHM_SPLIT_MIN_KIB:
        try:
            return split_smaps_kib(Path(f"/proc/{pid}/smaps").read_text())
        except (OSError, ValueError):
            pass
    kib = process_kib(pid)
    return None if kib is None else (kib, 0)


def command_args(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def environment_function(args: list[str]) -> str | None:
    """The function a local Lambda execution environment runs (from its command line), or None
    when the process is not one."""
    for index, arg in enumerate(args[:-1]):
        if arg.endswith(ENVIRONMENT_SCRIPT):
            return _CODE_DIR_SUFFIX.sub("", Path(args[index + 1]).name) or "?"
    return None


_BOOT_TIME: list[float] = []


def started_at(pid: int) -> float | None:
    """Epoch seconds at which the process started (boot time + starttime ticks)."""
    token = start_token(pid)
    if token is None:
        return None
    if not _BOOT_TIME:
        try:
            line = next(x for x in Path("/proc/stat").read_text().splitlines() if x.startswith("btime "))
            _BOOT_TIME.append(float(line.split()[1]))
        except (OSError, StopIteration, ValueError):
            return None
    return _BOOT_TIME[0] + int(token) / CLOCK_TICKS


def memory_detail(processes: dict[str, int], children: dict[int, list[int]] | None = None) -> dict[str, dict[str, Any]]:
    """service -> {"total_mib", "main_mib", "shm_mib", "environments"} for each live service:
    total = the tree's PSS (as `memory_sample`); shm = its shared-memory mappings; main = the rest,
    without the Lambda execution environments, which are listed apart as
    "<pid>-<starttime>" -> {"function", "started" (epoch s), "mib"} (each with its own descendants)."""
    children = children_map() if children is None else children
    detail: dict[str, dict[str, Any]] = {}
    for service, root in processes.items():
        own = process_memory_kib(root)
        if own is None:
            continue
        main, shm = own[0] - own[1], own[1]
        environments: dict[str, dict[str, Any]] = {}
        stack: list[tuple[int, str | None]] = [(child, None) for child in children.get(root, [])]
        seen = {root}
        while stack:
            pid, environment = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            memory = process_memory_kib(pid)
            if memory is None:
                continue
            if environment is None:
                function = environment_function(command_args(pid))
                if function is not None:
                    environment = f"{pid}-{start_token(pid)}"
                    environments[environment] = {"function": function, "started": started_at(pid), "kib": 0}
            shm += memory[1]
            if environment is None:
                main += memory[0] - memory[1]
            else:
                environments[environment]["kib"] += memory[0] - memory[1]
            stack.extend((child, environment) for child in children.get(pid, []))
        envs_kib = sum(e["kib"] for e in environments.values())
        detail[service] = {
            "total_mib": round((main + shm + envs_kib) / 1024, 2),
            "main_mib": round(main / 1024, 2),
            "shm_mib": round(shm / 1024, 2),
            "environments": {
                key: {"function": e["function"], "started": e["started"], "mib": round(e["kib"] / 1024, 2)}
                for key, e in environments.items()
            },
        }
    return detail


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
        return {
            "name": self.name,
            "samples": self.samples,
            "slope_per_hour": round(self.slope_per_s * 3600, 3),
            "growth": round(self.growth, 3),
            "tolerance": round(self.tolerance, 3),
            "median": round(self.median, 3),
            "flat": self.flat,
        }


def trend(
    name: str,
    points: list[tuple[float, float]],
    *,
    absolute: float,
    relative: float = 0.0,
    warmup_fraction: float = 0.2,
) -> Trend:
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
    return {name: max(0.0, (after[name] - before.get(name, 0.0)) / seconds * 100) for name in after}
