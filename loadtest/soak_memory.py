"""The soak's memory verdict: tells a leak from a new Lambda environment or a buffer pool filling up.

Each sample carries, per service, `rss_mib` (the tree's PSS) and, from `memory_detail`
(loadtest/sampling.py), `memory`: the tree split into shared-memory mappings ("shm"), Lambda
execution environments (each apart, with its function and start time) and the rest ("main": the
service's own process and any other descendants). Per service (`judge_service`):
- main: flat as the soak has always judged a process, fitted growth after the warm-up
  <= max(16 MiB, 5 % of its median). For "aws" that is the emulator process on its own.
- shm: where a bound is known (PostgreSQL: its `shared_buffers`, read from the server, + 25 % for
  the rest of the segment: locks, WAL buffers, ...), the segment's resident size (PSS summed over
  the processes mapping it) must stay within it at every sample; it may fill up to it, as the buffer
  pool does with the rows written. Without a known bound, the shm series must be flat like main.
- each environment: flat over its own life in the judged window, i.e. from the later of the
  warm-up's end and 60 s after it started (init, imports, first clients); one seen in fewer than 4
  such samples is listed but not judged for slope. A cold start is a step in the tree's total,
  not a slope in any process, so it does not fail the soak; one environment leaking does.
- Redis (`working_set_bounds`): its keys are windows, per-vehicle state and de-duplication marks
  that live for minutes to 8 days by design (docs/data-model.md "Redis"), so a 15-minute soak sees it
  fill, as a buffer pool fills. Its process is judged against the capacity planner's steady-state
  working set for the soak's fleet (capacity_planner.model.redis_memory_bytes x fragmentation) plus
  the memory it started with: within it at every judged sample. Growth within the plan is the data
  model; beyond it is a leak (or a plan that is wrong, which the capacity table would then mislead).
- environments bounded: at no sample may a function have more live environments than the runtime
  allows one function (harness/runtime/invoker.py MAX_ENVIRONMENTS_PER_FUNCTION: the emulator's
  FLEETTAP_LAMBDA_MAX_ENVIRONMENTS, default 4; its pool also honours a smaller reserved concurrency,
  so this is an upper bound). That limit exists, so the count is judged against it rather than by
  its trend: Lambda adds environments as concurrency demands, so a count that rises within the
  limit (late first invocations, a burst) is how the runtime scales; only environments beyond it
  mean the runtime lost track of some (processes left running), which is the unbounded growth.
  (Called with no limit, the fallback is: the live count rises within each third of the window.)
Old samples without `memory` are judged as before: one line through the tree's total.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from loadtest.sampling import trend

MEMORY_TOLERANCE_MIB = 16.0
MEMORY_TOLERANCE_FRACTION = 0.05
ENVIRONMENT_SETTLE_S = 60.0
ENVIRONMENT_MIN_SAMPLES = 4
SHM_MARGIN = 0.25
# harness/runtime/invoker.py: MAX_ENVIRONMENTS_PER_FUNCTION = FLEETTAP_LAMBDA_MAX_ENVIRONMENTS or 4
ENVIRONMENTS_VARIABLE = "FLEETTAP_LAMBDA_MAX_ENVIRONMENTS"
RUNTIME_DEFAULT_MAX_ENVIRONMENTS = 4


def _trend(name: str, points: list[tuple[float, float]], warmup: float):
    return trend(
        name, points, absolute=MEMORY_TOLERANCE_MIB, relative=MEMORY_TOLERANCE_FRACTION, warmup_fraction=warmup
    )


def judge_environments(
    samples: list[dict[str, Any]], service: str, cutoff: float, limit: int | None
) -> dict[str, Any] | None:
    with_detail = [x for x in samples if service in x.get("memory", {})]
    if not any(x["memory"][service].get("environments") for x in with_detail):
        return None
    lives: dict[str, dict[str, Any]] = {}
    for x in with_detail:
        for key, env in x["memory"][service]["environments"].items():
            life = lives.setdefault(key, {"function": env["function"], "started_t": env.get("started_t"), "points": []})
            life["points"].append((x["t"], env["mib"]))
    judged_samples = [x for x in with_detail if x["t"] >= cutoff] or with_detail[-1:]
    first, last = judged_samples[0], judged_samples[-1]
    counts = [Counter(e["function"] for e in x["memory"][service]["environments"].values()) for x in judged_samples]
    peak = Counter()
    for count in counts:
        for function, n in count.items():
            peak[function] = max(peak[function], n)
    over = {f: n for f, n in peak.items() if limit is not None and n > limit}
    totals = [(x["t"], sum(count.values())) for x, count in zip(judged_samples, counts)]
    growing = limit is None and grows_in_each_third(totals)
    environments, cold_starts, ended = {}, [], []
    for key, life in sorted(lives.items(), key=lambda item: item[1]["points"][0][0]):
        seen_from, seen_to = life["points"][0][0], life["points"][-1][0]
        born = life["started_t"] if life["started_t"] is not None else seen_from
        if seen_from > first["t"]:  # not running when the judged window began
            cold_starts.append({"function": life["function"], "t": round(born, 1), "key": key})
        if seen_to < last["t"] and seen_to >= first["t"]:
            ended.append({"function": life["function"], "last_seen_t": seen_to, "key": key})
        points = [p for p in life["points"] if p[0] >= max(cutoff, born + ENVIRONMENT_SETTLE_S)]
        entry = {
            "function": life["function"],
            "started_t": round(born, 1),
            "samples_seen": len(life["points"]),
            "median_mib": sorted(p[1] for p in life["points"])[len(life["points"]) // 2],
        }
        if len(points) >= ENVIRONMENT_MIN_SAMPLES:
            judged = _trend(f"pss {life['function']} environment MiB", points, 0.0).as_dict()
            entry.update(
                {
                    "judged": True,
                    "growth": judged["growth"],
                    "tolerance": judged["tolerance"],
                    "samples": judged["samples"],
                    "flat": judged["flat"],
                }
            )
        else:
            entry.update({"judged": False, "samples": len(points), "flat": None})
        environments[key] = entry
    return {
        "at_start": len(first["memory"][service]["environments"]),
        "at_end": len(last["memory"][service]["environments"]),
        "at_start_by_function": dict(counts[0]),
        "at_end_by_function": dict(counts[-1]),
        "cold_starts": cold_starts,
        "ended": ended,
        "limit_per_function": limit,
        "peak_by_function": dict(peak),
        "over_limit": over,
        "grows_in_each_third": None if limit is not None else growing,
        "bounded": not over and not growing,
        "processes": environments,
        "all_flat": all(e["flat"] is not False for e in environments.values()),
    }


def grows_in_each_third(counts: list[tuple[float, int]]) -> bool:
    """The fallback rule when no limit is known: the live count ends each third of the window higher
    than it began it (a count that steps up and then holds, or comes and goes, is not growth)."""
    if len(counts) < 4:
        return False
    start, span = counts[0][0], counts[-1][0] - counts[0][0]
    thirds = [[n for t, n in counts if start + span * i / 3 <= t <= start + span * (i + 1) / 3] for i in range(3)]
    return all(third and third[-1] > third[0] for third in thirds)


def judge_shm(
    points: list[tuple[float, float]], bound: dict[str, Any] | None, warmup: float, service: str
) -> dict[str, Any] | None:
    if not points or max(y for _, y in points) <= 0:
        return None
    values = [y for _, y in points]
    result: dict[str, Any] = {"start_mib": values[0], "end_mib": values[-1], "max_mib": max(values)}
    if bound and bound.get("bound_mib"):
        result.update(bound)
        result["ok"] = result["max_mib"] <= bound["bound_mib"]
    else:  # no bound known: the segment must not grow, like any other memory
        flat = _trend(f"pss {service} shared memory MiB", points, warmup).as_dict()
        result.update({"bound_mib": None, "growth": flat["growth"], "tolerance": flat["tolerance"], "ok": flat["flat"]})
    return result


def judge_within(points: list[tuple[float, float]], bound: dict[str, Any], cutoff: float) -> dict[str, Any]:
    """A process that may fill up to `bound` (its bound_mib over the first sample): within it at every
    sample from `cutoff` on."""
    start = points[0][1]
    limit = start + bound["bound_mib"]
    judged = [y for t, y in points if t >= cutoff] or [points[-1][1]]
    return {
        **bound,
        "start_mib": start,
        "limit_mib": round(limit, 1),
        "max_mib": max(judged),
        "ok": max(judged) <= limit,
    }


def judge_service(
    samples: list[dict[str, Any]],
    service: str,
    warmup: float,
    shm_bound: dict[str, Any] | None = None,
    environment_limit: int | None = None,
    working_set: dict[str, Any] | None = None,
) -> dict[str, Any]:
    tree_points = [(x["t"], x["rss_mib"][service]) for x in samples if service in x.get("rss_mib", {})]
    tree = _trend(f"pss {service} tree MiB", tree_points, warmup)
    detail = [x for x in samples if service in x.get("memory", {})]
    if not detail:  # samples from before the split: judged as one tree
        return tree.as_dict()
    main = _trend(f"pss {service} process MiB", [(x["t"], x["memory"][service]["main_mib"]) for x in detail], warmup)
    shm = judge_shm([(x["t"], x["memory"][service]["shm_mib"]) for x in detail], shm_bound, warmup, service)
    ordered = sorted(x["t"] for x in detail)
    cutoff = ordered[0] + (ordered[-1] - ordered[0]) * warmup
    environments = judge_environments(detail, service, cutoff, environment_limit)
    within = (
        judge_within([(x["t"], x["memory"][service]["main_mib"]) for x in detail], working_set, cutoff)
        if working_set
        else None
    )
    process_ok = within["ok"] if within else main.flat
    flat = process_ok and (shm is None or shm["ok"]) and (environments is None or environments["all_flat"])
    return {
        **main.as_dict(),
        "flat": flat,
        "process_flat": main.flat,
        "working_set": within,
        "tree": tree.as_dict(),
        "judged_from_t": round(cutoff, 1),
        "shm": shm,
        "environments": environments,
    }


def judge_memory(
    samples: list[dict[str, Any]],
    warmup: float,
    shm_bounds: dict[str, dict[str, Any]] | None = None,
    environment_limit: int | None = RUNTIME_DEFAULT_MAX_ENVIRONMENTS,
    working_sets: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    services = sorted(
        {s for x in samples for s in x.get("rss_mib", {})} | {s for x in samples for s in x.get("memory", {})}
    )
    return {
        service: judge_service(
            samples,
            service,
            warmup,
            (shm_bounds or {}).get(service),
            environment_limit,
            (working_sets or {}).get(service),
        )
        for service in services
    }


def environments_bounded(memory: dict[str, dict[str, Any]]) -> bool | None:
    judged = [m["environments"]["bounded"] for m in memory.values() if m.get("environments")]
    return all(judged) if judged else None


# -- bounds read from the running stack ------------------------------------------------------------


def environment_limit(emulator_pid: int | None) -> int:
    """Environments the local runtime lets one function run: the emulator's own
    FLEETTAP_LAMBDA_MAX_ENVIRONMENTS (from /proc/<pid>/environ), else the runtime's default."""
    if emulator_pid:
        try:
            for item in Path(f"/proc/{emulator_pid}/environ").read_bytes().split(b"\0"):
                if item.startswith(ENVIRONMENTS_VARIABLE.encode() + b"="):
                    return int(item.split(b"=", 1)[1])
        except (OSError, ValueError):
            pass
    return RUNTIME_DEFAULT_MAX_ENVIRONMENTS


_SIZE = re.compile(r"^\s*'?(\d+)\s*(kB|MB|GB|TB)?'?\s*$")
_UNIT_MIB = {"kB": 1 / 1024, "MB": 1.0, "GB": 1024.0, "TB": 1024.0**2, None: 8 / 1024}  # no unit: 8 kB pages


def parse_pg_size_mib(text: str) -> float | None:
    match = _SIZE.match(text or "")
    return int(match.group(1)) * _UNIT_MIB[match.group(2)] if match else None


def _shared_buffers_from_files(state_dir: Path, postmaster_pid: int | None) -> float | None:
    """shared_buffers as configured: the postmaster's `-c shared_buffers=` argument, else the last
    setting in postgresql.auto.conf / postgresql.conf, else PostgreSQL's default (128 MB)."""
    if postmaster_pid:
        args = (
            Path(f"/proc/{postmaster_pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            if Path(f"/proc/{postmaster_pid}/cmdline").exists()
            else []
        )
        for arg in reversed(args):
            if arg.startswith("shared_buffers="):
                return parse_pg_size_mib(arg.split("=", 1)[1])
    data = state_dir / "postgres" / "data"
    for name in ("postgresql.auto.conf", "postgresql.conf"):
        try:
            lines = (data / name).read_text().splitlines()
        except OSError:
            continue
        values = [line.split("#", 1)[0].split("=", 1)[1] for line in lines if re.match(r"^\s*shared_buffers\s*=", line)]
        if values:
            return parse_pg_size_mib(values[-1])
    return 128.0 if (data / "PG_VERSION").exists() else None


def postgres_shared_buffers_mib(state_dir: Path | None, postmaster_pid: int | None = None) -> tuple[float, str] | None:
    """(shared_buffers in MiB, where it was read): `SHOW shared_buffers` with the stack's
    connection settings (`<state>/stack.json`, harness.config.read_stack), else the configuration
    files; None when not found."""
    if state_dir is None:
        return None
    try:
        import psycopg

        from harness.config import read_stack

        info = read_stack(state_dir)
        with psycopg.connect(
            host=info.postgres_host,
            port=info.postgres_port,
            user=info.postgres_user,
            password=info.postgres_password,
            dbname=info.postgres_dbname,
            connect_timeout=3,
        ) as connection:
            value = parse_pg_size_mib(connection.execute("SHOW shared_buffers").fetchone()[0])
        if value:
            return value, "SHOW shared_buffers"
    except Exception:
        pass
    try:
        value = _shared_buffers_from_files(state_dir, postmaster_pid)
    except OSError:
        value = None
    return (value, "configuration files") if value else None


def shm_bounds(state_dir: Path | None, processes: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Per service, the bound its shared memory is judged against (only PostgreSQL has one)."""
    service = next((s for s in processes if s.startswith("postg")), None)
    found = postgres_shared_buffers_mib(state_dir, processes.get(service)) if service else None
    if not found:
        return {}
    mib, source = found
    return {
        service: {
            "shared_buffers_mib": mib,
            "source": source,
            "bound_mib": round(mib * (1 + SHM_MARGIN), 1),
            "basis": f"shared_buffers {mib:g} MiB + {SHM_MARGIN:.0%}",
        }
    }


def working_set_bounds(vehicles: int | None) -> dict[str, dict[str, Any]]:
    """Per service, the working set it may fill to during a soak of `vehicles` (only Redis has one)."""
    if not vehicles:
        return {}
    from capacity_planner.model import REDIS_FRAGMENTATION, TelemetryRates, redis_memory_bytes

    planned_mib = sum(redis_memory_bytes(TelemetryRates(vehicles=vehicles)).values()) * REDIS_FRAGMENTATION / 2**20
    return {
        "redis": {
            "bound_mib": round(planned_mib, 1),
            "basis": f"planned working set for {vehicles:,} vehicles (capacity_planner, x{REDIS_FRAGMENTATION:g})",
        }
    }


# -- summary -------------------------------------------------------------------------------------


def _functions(items: list[dict[str, Any]], time_key: str) -> str:
    return ", ".join(f"{i['function']} at {i[time_key]:.0f} s" for i in items) or "none"


def render_memory(memory: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for service, m in memory.items():
        verdict = "flat" if m["flat"] else "GROWING"
        if m.get("working_set"):
            verdict = "within its working set" if m["flat"] else "OVER its working set"
        if "tree" not in m:
            lines.append(
                f"rss {service:<16} median {m['median']:>9.1f} MiB  growth {m['growth']:>8.2f} "
                f"(tolerance {m['tolerance']:.1f})  {verdict}"
            )
            continue
        lines.append(
            f"mem {service:<16} {verdict}: process median {m['median']:.1f} MiB, growth {m['growth']:.2f} "
            f"(tolerance {m['tolerance']:.1f}) {'flat' if m['process_flat'] else 'GROWING'}; whole tree "
            f"growth {m['tree']['growth']:.1f} MiB (not judged)"
        )
        within = m.get("working_set")
        if within:
            lines.append(
                f"    fills to its working set: {within['start_mib']:.1f} -> max {within['max_mib']:.1f} MiB, limit "
                f"{within['limit_mib']:.1f} (start + {within['bound_mib']:.1f}, {within['basis']}): "
                f"{'within' if within['ok'] else 'EXCEEDED'}"
            )
        shm = m.get("shm")
        if shm and (shm.get("bound_mib") or shm["max_mib"] >= 1 or not shm["ok"]):
            if shm.get("bound_mib"):
                lines.append(
                    f"    shared memory {shm['start_mib']:.1f} -> {shm['end_mib']:.1f} MiB (max {shm['max_mib']:.1f}), "
                    f"bound {shm['bound_mib']:.1f} ({shm['basis']}, {shm['source']}): "
                    f"{'within' if shm['ok'] else 'EXCEEDED'}"
                )
            else:
                lines.append(
                    f"    shared memory {shm['start_mib']:.1f} -> {shm['end_mib']:.1f} MiB, no bound known: growth "
                    f"{shm['growth']:.2f} (tolerance {shm['tolerance']:.1f}) {'flat' if shm['ok'] else 'GROWING'}"
                )
        env = m.get("environments")
        if env:
            judged = [e for e in env["processes"].values() if e["judged"]]
            growing = [e for e in judged if not e["flat"]]
            worst = max(judged, key=lambda e: e["growth"], default=None)
            peak = max(env["peak_by_function"].values(), default=0)
            busiest = [f for f, n in env["peak_by_function"].items() if n == peak]
            busiest = ", ".join(busiest) if len(busiest) <= 3 else f"{len(busiest)} functions"
            bound = "bounded" if env["bounded"] else f"OVER LIMIT {env['over_limit']}"
            lines.append(
                f"    Lambda environments from {m['judged_from_t']:.0f} s: {env['at_start']} at start, "
                f"{env['at_end']} at end; most at once for one function {peak} ({busiest}), limit "
                f"{env['limit_per_function']}: {bound}"
            )
            lines.append(
                f"    cold starts: {_functions(env['cold_starts'], 't')}; "
                f"ended: {_functions(env['ended'], 'last_seen_t')}"
            )
            lines.append(
                f"    {len(judged)} of {len(env['processes'])} environments judged, "
                + (
                    "GROWING: " + ", ".join(f"{e['function']} +{e['growth']:.1f} MiB" for e in growing)
                    if growing
                    else "all flat"
                    + (
                        f" (most growth: {worst['function']} {worst['growth']:+.1f} MiB,"
                        f" tolerance {worst['tolerance']:.1f})"
                        if worst
                        else ""
                    )
                )
            )
    return lines
