"""The DOT daily report (a batch, not a stream) against a tfvars: concurrency, timeouts, memory, duration.

The workflow (infra/tap_stack.tf `dot_definition`): gather lists the driver ids into a manifest, a
distributed Map runs one child execution per shard of `dot_map_batch_size` drivers, at most
`dot_map_max_concurrency` children at once, each reporting `dot_map_driver_concurrency` drivers at once
(one `report_driver` invocation per driver), then publish_summary reads the results.

Figures per driver and per listed id are constants with their source (`DRIVER_S`, `GATHER_S_PER_DRIVER`,
...); `checks(rates, tfvars, driver_s)` returns the planner's Check rows, area "dot".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from capacity_planner.model import Check, TelemetryRates, _compare, _per_key

# One report_driver invocation on AWS: Aurora 3 SELECTs, DynamoDB 2 Queries + 1 PutItem, the HOS engine,
# S3 HeadObject + 2 PutObject, and the external PDF API, which dominates: 1.5 s assumed (the vendor's
# figure is unknown; locally the mock renders in ~0.1 s). Override with --dot-driver-seconds.
DRIVER_S = 1.5
# The slowest a driver may take: the PDF API's 3 attempts within the invocation's budget plus the writes.
PDF_WORST_S = 3 * (3 + 30)
# gather per listed id: Aurora SELECT, Redis SMEMBERS, JSON, S3 PutObject of ~50 bytes per driver
# (measured locally, benchmarks.dot_full_scale: see docs/benchmarks.md "DOT daily report at fleet scale").
GATHER_S_PER_DRIVER = 20e-6
# Measured (docs/benchmarks.md "DOT daily report at fleet scale"): gather over 234,003 ids peaked at
# 202 MB (Max Memory Used), report_driver at 99 MB: ~100 MB of runtime and ~440 bytes per listed id
# (the Aurora rows as dicts, the id set, the Redis set, the manifest's JSON).
GATHER_BYTES_PER_DRIVER = 440
BASE_MEMORY_MB = 100  # the handler with boto3, psycopg, redis imported
MEMORY_HEADROOM = 1.5  # "far inside" the memory size: at most 2/3 of it
HISTORY_EVENTS_PER_DRIVER = 7  # inline Map iteration started/succeeded + Task scheduled/started/succeeded ...
HISTORY_LIMIT = 25_000  # events per execution (a child's history)
SAFETY = 5  # a piece must take at most 1/SAFETY of its limit ("far inside the timeout")
DAY_S = 86_400
# infra/tap_stack.tf's defaults, used when the tfvars leaves a setting out.
DEFAULTS = {"dot_map_batch_size": 100, "dot_map_max_concurrency": 2, "dot_map_driver_concurrency": 5}


def checks(rates: TelemetryRates, tfvars: Mapping[str, Any], driver_s: float = DRIVER_S) -> list[Check]:
    drivers = math.ceil(rates.drivers)
    settings = {**DEFAULTS, **{k: tfvars[k] for k in DEFAULTS if tfvars.get(k)}}
    shard = int(settings["dot_map_batch_size"])
    children_at_once = int(settings["dot_map_max_concurrency"])
    per_child = int(settings["dot_map_driver_concurrency"])
    timeout = _per_key(tfvars.get("timeout_s"), "dot_report")
    memory = tfvars.get("hos_memory")
    reserved = _per_key(tfvars.get("reserved_concurrency"), "dot_report")
    in_flight = children_at_once * per_child
    children = math.ceil(drivers / shard)
    shard_s = math.ceil(shard / per_child) * driver_s
    wall_s = math.ceil(children / children_at_once) * shard_s
    gather_s = drivers * GATHER_S_PER_DRIVER
    out = [
        Check(
            "dot", "child executions (shards)", children, shard, "children", "INFO", f"{drivers:,} drivers / {shard}"
        ),
    ]
    if reserved is None or reserved < 0:
        out.append(Check("dot", "dot_report concurrency", in_flight, "unreserved", "executions", "INFO"))
    else:
        out.append(
            _compare(
                "dot",
                "dot_report concurrency",
                in_flight,
                reserved,
                "executions",
                "dot_map_max_concurrency x dot_map_driver_concurrency vs reserved_concurrency[dot_report]",
            )
        )
    out += [
        _compare(
            "dot",
            "report_driver timeout",
            SAFETY * driver_s,
            timeout,
            "s",
            f"one driver ({driver_s:g} s) far inside the timeout",
        ),
        _compare(
            "dot",
            "report_driver worst case",
            PDF_WORST_S + 10,
            timeout,
            "s",
            "PDF API 3 x (3 + 30) s + writes; the handler cuts it to the remaining time anyway",
        ),
        _compare("dot", "gather timeout", SAFETY * gather_s, timeout, "s", f"{drivers:,} ids listed in one call"),
        _compare(
            "dot",
            "gather memory",
            round(MEMORY_HEADROOM * (BASE_MEMORY_MB + drivers * GATHER_BYTES_PER_DRIVER / 2**20)),
            memory,
            "MB",
            f"hos_memory (dot_report): {MEMORY_HEADROOM:g} x (100 MB + 440 B per listed id)",
        ),
        _compare(
            "dot",
            "child history",
            shard * HISTORY_EVENTS_PER_DRIVER,
            HISTORY_LIMIT,
            "events",
            "dot_map_batch_size x events per driver vs 25,000 per execution",
        ),
        Check("dot", "shard duration", round(shard_s, 1), None, "s", "INFO", "shard / driver concurrency x per driver"),
        _compare(
            "dot",
            "run wall time",
            round(wall_s),
            DAY_S,
            "s",
            f"{children:,} children, {children_at_once} at once, {shard_s:.0f} s each; must end before the next run",
        ),
    ]
    return out
