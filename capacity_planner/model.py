"""Pure capacity arithmetic for the fleettap pipeline (no I/O, no AWS).

Turns a fleet size and telemetry rates into what each managed service must provide, and compares
that with the capacities a tfvars file configures. The Kinesis formula is the one agreed in
docs/contracts.md ("Sizing"); service limits come from /work/shared/DOMAIN.md and AWS quotas pages.
Every estimate that is not an AWS limit is a named constant below with the reason for its value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MIB = 1024 * 1024
GIB = 1024 * MIB
SECONDS_PER_DAY = 86_400

# Kinesis Data Streams per-shard limits (AWS quotas).
SHARD_WRITE_RECORDS_PER_S = 1_000
SHARD_WRITE_BYTES_PER_S = 1 * MIB
SHARD_READ_BYTES_PER_S = 2 * MIB  # shared by every GetRecords reader of the shard
SHARD_GET_RECORDS_CALLS_PER_S = 5
# Each shared-throughput reader (Lambda ESM poller, Firehose) polls a shard about once a second.
READER_POLLS_PER_S = 1
# On-demand streams start with this write capacity and double from the previous peak.
ON_DEMAND_INITIAL_RECORDS_PER_S = 4_000
ON_DEMAND_INITIAL_BYTES_PER_S = 4 * MIB
HEADROOM = 1.5  # contracts.md: x1.5 on top of steady-state needs

# Lambda.
DEFAULT_ACCOUNT_CONCURRENCY = 1_000
UNRESERVED_FLOOR = 100  # AWS keeps 100 executions unreserved per account
SQS_ESM_MIN_CONCURRENCY = 2  # smallest maximum_concurrency an SQS event source accepts

# DynamoDB.
ON_DEMAND_INITIAL_WRITES_PER_S = 4_000  # a new on-demand table, before it has seen a higher peak
WCU_ITEM_BYTES = 1_024

# Redis memory estimates (bytes), measured-order-of-magnitude figures for Redis 7 on 64-bit
# jemalloc; they are deliberately rounded up.
REDIS_GEO_MEMBER_BYTES = 120  # skiplist zset entry: dictEntry 24 + sds member 16 + node ~64 + score
REDIS_KEY_OVERHEAD_BYTES = 96  # top-level key: dictEntry, robj, key sds, expires entry
REDIS_WINDOW_ENTRY_BYTES = 32  # listpack zset entry "<ts>:<value>" member + score in a small window
REDIS_HASH_FIELD_BYTES = 48  # listpack hash field + value (alert counters, geofence state)
# Measured on Redis 7.0 (used_memory delta over 20,000 keys, 64-bit jemalloc), rounded up:
REDIS_STRING_KEY_BYTES = 160  # small string key with EX: dash:seen 163, fuel:coached 161, fuel:counted 145
REDIS_JSON_STATE_KEY_BYTES = 400  # alert:<vehicle>:<rule> dedupe state (~215 B JSON) with EX: 385
REDIS_SET_MEMBER_BYTES = 72  # hashtable set member "DR-000000001": 69
# fuel:win:<vehicle> listpack entry: compact member (~45-55 B) + score + entry headers; MEMORY
# USAGE of a 61-member window 4,152 B, used_memory 4,208 B a vehicle (the JSON members it replaced
# needed a 16,760 B skiplist).
REDIS_FUEL_WINDOW_ENTRY_BYTES = 70
FUEL_WINDOW_S = 3_600  # handlers.fuel_analytics.WINDOW_MS
MARK_TTL_S = 8 * SECONDS_PER_DAY  # handlers.common.idempotency.MARK_TTL_S (dash:seen, coaching marks)
ALERT_STATE_TTL_S = 960  # handlers.domain.anomaly.STATE_TTL_S
HOS_DRIVER_DAYS = 10  # hos:drivers:<day> sets kept 10 days (handlers.hos_processor.MARK_TTL_S)
# Planning assumption (not measured): share of vehicle-hours with a fuel coaching; each one keeps
# fuel:coached:<id> and coach:sent:<id> for MARK_TTL_S. Every vehicle coached every hour would
# be 10x this figure.
COACHING_VEHICLE_HOUR_FRACTION = 0.1
REDIS_FRAGMENTATION = 1.3  # allocator fragmentation ratio to expect under churn
ELASTICACHE_RESERVED_FRACTION = 0.25  # default reserved-memory-percent for snapshots/replication

# ElastiCache node memory (GiB) as published in the ElastiCache node-type table.
NODE_MEMORY_GIB: dict[str, float] = {
    "cache.t3.micro": 0.5,
    "cache.t3.small": 1.37,
    "cache.t3.medium": 3.09,
    "cache.t4g.micro": 0.5,
    "cache.t4g.small": 1.37,
    "cache.t4g.medium": 3.09,
    "cache.m6g.large": 6.38,
    "cache.m6g.xlarge": 12.93,
    "cache.m6g.2xlarge": 26.04,
    "cache.m7g.large": 6.38,
    "cache.m7g.xlarge": 12.93,
    "cache.m7g.2xlarge": 26.04,
    "cache.r6g.large": 13.07,
    "cache.r6g.xlarge": 26.32,
    "cache.r6g.2xlarge": 52.82,
    "cache.r7g.large": 13.07,
    "cache.r7g.xlarge": 26.32,
    "cache.r7g.2xlarge": 52.82,
}

# Aurora Serverless v2: 1 ACU is about 2 GiB; max_connections = LEAST(memory / 9,531,392, 5000).
ACU_MEMORY_BYTES = 2 * GIB
AURORA_BYTES_PER_CONNECTION = 9_531_392
AURORA_MAX_CONNECTIONS = 5_000
# Throughput an ACU sustains for single-row indexed inserts / point reads; conservative planning
# figures (pgbench-style small transactions land well above these on 1 ACU).
AURORA_WRITES_PER_ACU = 500
AURORA_READS_PER_ACU = 2_000
AURORA_MIN_ACU = 0.5


@dataclass(frozen=True)
class TelemetryRates:
    """Fleet size and per-vehicle telemetry (contracts.md "Sizing")."""

    vehicles: int
    gps_interval_s: float = 30.0
    gps_record_bytes: int = 300
    diagnostics_interval_s: float = 60.0
    diagnostics_record_bytes: int = 550
    hos_changes_per_driver_day: float = 12.0
    hos_peak_factor: float = 20.0  # shift change concentrates duty-status changes
    hos_record_bytes: int = 400
    drivers_per_vehicle: float = 1.0
    # Share of diagnostics records that raise an alert / a stored prediction (for the downstream
    # SQS consumers, the predictions table and the alert counters).
    alert_fraction: float = 0.005
    prediction_fraction: float = 0.01
    fleets: int = 0  # 0 = one fleet per 250 vehicles

    @property
    def drivers(self) -> float:
        return self.vehicles * self.drivers_per_vehicle

    @property
    def fleet_count(self) -> int:
        return self.fleets or max(1, math.ceil(self.vehicles / 250))


@dataclass(frozen=True)
class StreamLoad:
    name: str
    records_per_s: float
    bytes_per_s: float
    readers: tuple[str, ...]


# Consumers of each stream (contracts.md "Functions"); firehose is not a Lambda.
STREAM_READERS: dict[str, tuple[str, ...]] = {
    "gps": ("location",),
    "diagnostics": ("processor", "predictive", "fuel", "firehose"),
    "hos": ("hos",),
}
SQS_CONSUMERS = ("maintenance", "driver_notifier", "fleet")
# Every function in contracts.md; reserved_concurrency applies to each of them.
ALL_FUNCTIONS = (
    "processor",
    "anomaly",
    "maintenance",
    "driver_notifier",
    "fleet",
    "predictive",
    "hos",
    "hos_report",
    "location",
    "fuel",
    "coaching",
    "dot_report",
    "firehose_transform",
)
AURORA_CLIENTS = ("maintenance", "predictive", "fuel", "dot_report")


def stream_loads(rates: TelemetryRates) -> dict[str, StreamLoad]:
    gps = rates.vehicles / rates.gps_interval_s
    diagnostics = rates.vehicles / rates.diagnostics_interval_s
    hos = rates.drivers * rates.hos_changes_per_driver_day / SECONDS_PER_DAY * rates.hos_peak_factor
    return {
        "gps": StreamLoad("gps", gps, gps * rates.gps_record_bytes, STREAM_READERS["gps"]),
        "diagnostics": StreamLoad(
            "diagnostics", diagnostics, diagnostics * rates.diagnostics_record_bytes, STREAM_READERS["diagnostics"]
        ),
        "hos": StreamLoad("hos", hos, hos * rates.hos_record_bytes, STREAM_READERS["hos"]),
    }


@dataclass(frozen=True)
class ShardNeed:
    stream: str
    by_records: float
    by_write_bytes: float
    by_read_bytes: float
    shards: int
    binding: str  # which limit sets the count


def shards_needed(load: StreamLoad, headroom: float = HEADROOM) -> ShardNeed:
    """contracts.md: ceil(max(rec/s / 1000, bytes/s / 1 MiB, readers x bytes/s / 2 MiB) x 1.5)."""
    candidates = {
        "records": load.records_per_s / SHARD_WRITE_RECORDS_PER_S,
        "write bytes": load.bytes_per_s / SHARD_WRITE_BYTES_PER_S,
        "read bytes": len(load.readers) * load.bytes_per_s / SHARD_READ_BYTES_PER_S,
    }
    binding = max(candidates, key=candidates.get)
    # round() first so 11.7000000001 from float noise does not become 12 + 1.
    shards = max(1, math.ceil(round(candidates[binding] * headroom, 9)))
    return ShardNeed(
        load.name, candidates["records"], candidates["write bytes"], candidates["read bytes"], shards, binding
    )


@dataclass(frozen=True)
class Check:
    area: str
    item: str
    required: float
    configured: float | str | None
    unit: str
    status: str  # OK | SHORT | WARN | INFO | UNSET
    note: str = ""


@dataclass
class CapacityReport:
    rates: TelemetryRates
    loads: dict[str, StreamLoad]
    checks: list[Check] = field(default_factory=list)

    @property
    def short(self) -> list[Check]:
        return [c for c in self.checks if c.status == "SHORT"]

    @property
    def ok(self) -> bool:
        return not self.short


def _per_key(value: Any, key: str) -> Any:
    """A tfvars capacity may be one number for all, or a map keyed by function/table name."""
    if isinstance(value, Mapping):
        return value.get(key, value.get("default"))
    return value


def _compare(area: str, item: str, required: float, configured: Any, unit: str, note: str = "") -> Check:
    if configured is None:
        return Check(area, item, required, None, unit, "UNSET", note or "not set in tfvars")
    status = "OK" if float(configured) >= required else "SHORT"
    return Check(area, item, required, configured, unit, status, note)


def _kinesis_checks(
    loads: dict[str, StreamLoad], tfvars: Mapping[str, Any], headroom: float
) -> tuple[list[Check], dict[str, int]]:
    checks: list[Check] = []
    effective_shards: dict[str, int] = {}
    mode = str(tfvars.get("stream_mode", "PROVISIONED")).upper()
    for name, load in loads.items():
        need = shards_needed(load, headroom)
        detail = (
            f"{load.records_per_s:,.0f} rec/s, {load.bytes_per_s / MIB:.2f} MiB/s, "
            f"{len(load.readers)} reader(s); bound by {need.binding}"
        )
        if mode == "ON_DEMAND":
            fits = (
                load.records_per_s <= ON_DEMAND_INITIAL_RECORDS_PER_S
                and load.bytes_per_s <= ON_DEMAND_INITIAL_BYTES_PER_S
            )
            checks.append(
                Check(
                    "kinesis",
                    f"{name} shards",
                    need.shards,
                    "ON_DEMAND",
                    "shards",
                    "OK" if fits else "WARN",
                    detail + ("" if fits else "; above on-demand start, ramps over ~15 min"),
                )
            )
            effective_shards[name] = need.shards
            continue
        configured = tfvars.get(f"{name}_shard_count")
        checks.append(_compare("kinesis", f"{name} shards", need.shards, configured, "shards", detail))
        effective_shards[name] = int(configured) if configured is not None else need.shards
        polls = len(load.readers) * READER_POLLS_PER_S
        checks.append(
            Check(
                "kinesis",
                f"{name} GetRecords/s per shard",
                polls,
                SHARD_GET_RECORDS_CALLS_PER_S,
                "calls/s",
                "OK" if polls <= SHARD_GET_RECORDS_CALLS_PER_S else "SHORT",
                "shared readers poll each shard ~1/s; more need enhanced fan-out",
            )
        )
    return checks, effective_shards


def _dynamodb_writes(rates: TelemetryRates, loads: dict[str, StreamLoad]) -> dict[str, tuple[float, str]]:
    diag, gps, hos = (loads[k].records_per_s for k in ("diagnostics", "gps", "hos"))
    wcu_per_diag = math.ceil(rates.diagnostics_record_bytes / WCU_ITEM_BYTES)
    return {
        "diagnostics_table": (diag * wcu_per_diag, "one item per diagnostics record"),
        "locations_table": (gps, "one item per GPS record"),
        # The GSI has its own capacity and is written on every location write.
        "locations_table geohash-index": (gps, "GSI write per location item"),
        "driver_logs_table": (hos, "one item per duty-status change (shift-change peak)"),
        "predictions_table": (diag * rates.prediction_fraction, "predictions stored per diagnostics record"),
        # The daily DOT job writes one status per driver; assume it spreads over one hour.
        "compliance_status_table": (rates.drivers / 3_600, "daily report run spread over 1 h"),
    }


def table_mode(tfvars: Mapping[str, Any], table_key: str) -> str:
    """A table's capacity mode: `table_billing_modes[key]`, else `billing_mode` (infra/tap_stack.tf)."""
    modes = tfvars.get("table_billing_modes") or {}
    mode = modes.get(table_key) if isinstance(modes, Mapping) else None
    return str(mode or tfvars.get("billing_mode", "PAY_PER_REQUEST")).upper()


def _provisioned_write_max(tfvars: Mapping[str, Any], table: str, table_key: str) -> Any:
    """The most write units a PROVISIONED table (or GSI) can reach: its autoscaling maximum
    (`table_capacity[key].write_max`), else the fixed `wcu` (a number or a map by table)."""
    capacity = tfvars.get("table_capacity") or {}
    if isinstance(capacity, Mapping) and isinstance(capacity.get(table_key), Mapping):
        return capacity[table_key].get("write_max")
    wcu = _per_key(tfvars.get("wcu"), table)
    if wcu is None and table != table_key:  # a GSI without its own entry gets the table's
        wcu = _per_key(tfvars.get("wcu"), table_key)
    return wcu


def _dynamodb_checks(
    rates: TelemetryRates, loads: dict[str, StreamLoad], tfvars: Mapping[str, Any], headroom: float
) -> list[Check]:
    checks: list[Check] = []
    for table, (writes, why) in _dynamodb_writes(rates, loads).items():
        table_key = table.split()[0]
        mode = table_mode(tfvars, table_key.removesuffix("_table"))
        if mode == "PAY_PER_REQUEST":
            fits = writes <= ON_DEMAND_INITIAL_WRITES_PER_S
            checks.append(
                Check(
                    "dynamodb",
                    f"{table} writes/s",
                    round(writes, 1),
                    "on-demand 4000 start",
                    "writes/s",
                    "OK" if fits else "WARN",
                    why + ("" if fits else "; pre-warm (warm throughput) or ramp traffic"),
                )
            )
        else:
            required = math.ceil(writes * headroom)
            wcu = _provisioned_write_max(tfvars, table, table_key.removesuffix("_table"))
            checks.append(_compare("dynamodb", f"{table} wcu", required, wcu, "WCU", why + "; autoscaling max"))
    return checks


def _lambda_checks(
    rates: TelemetryRates,
    loads: dict[str, StreamLoad],
    shards: Mapping[str, int],
    tfvars: Mapping[str, Any],
    account_limit: int,
) -> list[Check]:
    checks: list[Check] = []
    factor_setting = tfvars.get("parallelization_factor", 1)
    needs: dict[str, int] = {}
    for stream, readers in STREAM_READERS.items():
        for function in readers:
            if function == "firehose":
                continue
            needs[function] = shards[stream] * int(_per_key(factor_setting, function) or 1)
    # The anomaly detector reads the diagnostics table's stream: about one stream shard per table
    # partition, and a partition takes 1,000 writes/s.
    table_partitions = max(1, math.ceil(loads["diagnostics"].records_per_s / 1_000))
    needs["anomaly"] = table_partitions * int(_per_key(factor_setting, "anomaly") or 1)
    for function in SQS_CONSUMERS:
        needs[function] = SQS_ESM_MIN_CONCURRENCY
    reserved_setting = tfvars.get("reserved_concurrency")
    reserved_total = sum(
        int(r) for r in (_per_key(reserved_setting, f) for f in ALL_FUNCTIONS) if isinstance(r, (int, float)) and r >= 0
    )
    for function, need in needs.items():
        reserved = _per_key(reserved_setting, function)
        if reserved is None or (isinstance(reserved, (int, float)) and reserved < 0):
            checks.append(
                Check(
                    "lambda",
                    f"{function} concurrency",
                    need,
                    "unreserved",
                    "executions",
                    "INFO",
                    "shards x parallelization factor; draws on the account pool",
                )
            )
            continue
        checks.append(
            _compare(
                "lambda",
                f"{function} concurrency",
                need,
                reserved,
                "executions",
                "shards x parallelization factor vs reserved_concurrency",
            )
        )
    total_need = sum(needs.values())
    checks.append(
        _compare(
            "lambda",
            "account concurrency",
            total_need,
            account_limit,
            "executions",
            "sum of ESM consumers' concurrency",
        )
    )
    if reserved_total:
        checks.append(
            _compare(
                "lambda",
                "reserved total + 100 unreserved",
                reserved_total + UNRESERVED_FLOOR,
                account_limit,
                "executions",
                "AWS refuses reservations that leave < 100 unreserved",
            )
        )
    return checks


def redis_memory_bytes(rates: TelemetryRates, window_points: int = 30, window_metrics: int = 4) -> dict[str, float]:
    """Working-set estimate per structure (bytes before fragmentation), every key family the
    handlers keep (docs/data-model.md "Redis")."""
    alerts_per_s = rates.vehicles / rates.diagnostics_interval_s * rates.alert_fraction
    fuel_points = int(FUEL_WINDOW_S // rates.diagnostics_interval_s) + 1
    coachings = rates.vehicles * 24 * COACHING_VEHICLE_HOUR_FRACTION * MARK_TTL_S / SECONDS_PER_DAY
    return {
        "geo sets (geo:all + geo:fleet, 2 members per vehicle)": 2 * rates.vehicles * REDIS_GEO_MEMBER_BYTES
        + (rates.fleet_count + 1) * REDIS_KEY_OVERHEAD_BYTES,
        f"rolling windows ({window_metrics} metrics x {window_points} points per vehicle)": rates.vehicles
        * window_metrics
        * (REDIS_KEY_OVERHEAD_BYTES + window_points * REDIS_WINDOW_ENTRY_BYTES),
        "geofence state (1 hash per vehicle)": rates.vehicles * (REDIS_KEY_OVERHEAD_BYTES + 2 * REDIS_HASH_FIELD_BYTES),
        f"fuel windows ({fuel_points} readings per vehicle, listpack)": rates.vehicles
        * (REDIS_KEY_OVERHEAD_BYTES + fuel_points * REDIS_FUEL_WINDOW_ENTRY_BYTES),
        "fuel counted marks (1 string per vehicle)": rates.vehicles * REDIS_STRING_KEY_BYTES,
        "alert counters (1 hash per fleet, ~20 fields)": rates.fleet_count
        * (REDIS_KEY_OVERHEAD_BYTES + 20 * REDIS_HASH_FIELD_BYTES),
        "dashboard vehicle counters (1 hash per alerted vehicle, ~3 fields)": rates.vehicles
        * (REDIS_KEY_OVERHEAD_BYTES + 3 * REDIS_HASH_FIELD_BYTES),
        f"alert dedupe state ({ALERT_STATE_TTL_S} s per alert)": alerts_per_s
        * ALERT_STATE_TTL_S
        * REDIS_JSON_STATE_KEY_BYTES,
        "dashboard guards dash:seen (1 key per alert, 8 d)": alerts_per_s * MARK_TTL_S * REDIS_STRING_KEY_BYTES,
        f"coaching marks fuel:coached + coach:sent ({COACHING_VEHICLE_HOUR_FRACTION:.0%} of vehicle-hours, 8 d)": 2
        * coachings
        * REDIS_STRING_KEY_BYTES,
        f"HOS driver-day sets ({HOS_DRIVER_DAYS} days)": rates.drivers * HOS_DRIVER_DAYS * REDIS_SET_MEMBER_BYTES,
    }


def _redis_checks(rates: TelemetryRates, tfvars: Mapping[str, Any]) -> list[Check]:
    parts = redis_memory_bytes(rates)
    needed_gib = sum(parts.values()) * REDIS_FRAGMENTATION / (1 - ELASTICACHE_RESERVED_FRACTION) / GIB
    node_type = tfvars.get("node_type")
    breakdown = ", ".join(f"{k}: {v / MIB:,.0f} MiB" for k, v in parts.items())
    note = (
        f"{breakdown}; x{REDIS_FRAGMENTATION} fragmentation, "
        f"{ELASTICACHE_RESERVED_FRACTION:.0%} reserved; replicas copy, they do not add memory"
    )
    if node_type is None:
        return [Check("redis", "node memory", round(needed_gib, 2), None, "GiB", "UNSET", note)]
    memory = NODE_MEMORY_GIB.get(str(node_type))
    if memory is None:
        return [
            Check(
                "redis",
                "node memory",
                round(needed_gib, 2),
                node_type,
                "GiB",
                "WARN",
                "unknown node type; add it to NODE_MEMORY_GIB",
            )
        ]
    check = _compare("redis", f"node memory ({node_type})", round(needed_gib, 2), memory, "GiB", note)
    return [check]


def aurora_max_connections(acu: float) -> int:
    return min(AURORA_MAX_CONNECTIONS, int(acu * ACU_MEMORY_BYTES / AURORA_BYTES_PER_CONNECTION))


def _aurora_checks(
    rates: TelemetryRates, loads: dict[str, StreamLoad], lambda_checks: list[Check], tfvars: Mapping[str, Any]
) -> list[Check]:
    concurrency = {c.item.split()[0]: c.required for c in lambda_checks if c.item.endswith(" concurrency")}
    # Each warm Lambda instance of a database client holds one connection; the DOT job runs alone.
    connections = sum(concurrency.get(f, 1) for f in AURORA_CLIENTS)
    diag = loads["diagnostics"].records_per_s
    writes = diag + diag * rates.alert_fraction  # fuel_analytics row per record + work orders
    reads = diag  # predictive reads vehicle_history once per record
    acu_for_connections = AURORA_MIN_ACU
    while aurora_max_connections(acu_for_connections) < connections and acu_for_connections < 256:
        acu_for_connections += 0.5
    acu_for_throughput = writes / AURORA_WRITES_PER_ACU + reads / AURORA_READS_PER_ACU
    required = max(acu_for_connections, math.ceil(acu_for_throughput * 2) / 2)
    checks = [
        _compare(
            "aurora",
            "max_capacity",
            required,
            tfvars.get("max_capacity"),
            "ACU",
            f"{connections} connections needs {acu_for_connections} ACU; "
            f"{writes:,.0f} writes/s + {reads:,.0f} reads/s needs {acu_for_throughput:.1f} ACU",
        )
    ]
    min_capacity = tfvars.get("min_capacity")
    checks.append(_compare("aurora", "min_capacity", AURORA_MIN_ACU, min_capacity, "ACU", "Serverless v2 floor"))
    if min_capacity is not None and tfvars.get("max_capacity") is not None and min_capacity > tfvars["max_capacity"]:
        checks.append(
            Check(
                "aurora",
                "min <= max",
                min_capacity,
                tfvars["max_capacity"],
                "ACU",
                "SHORT",
                "min_capacity above max_capacity",
            )
        )
    return checks


def plan(
    rates: TelemetryRates,
    tfvars: Mapping[str, Any],
    *,
    headroom: float = HEADROOM,
    account_limit: int | None = None,
    dot_driver_s: float | None = None,
) -> CapacityReport:
    """Requirement-vs-configured checks for every capacity a tfvars file sets (streams, then the DOT
    daily batch: capacity_planner.dot_batch, with `dot_driver_s` seconds per driver if given)."""
    from capacity_planner import dot_batch  # it builds on this module's Check

    loads = stream_loads(rates)
    limit = int(account_limit or tfvars.get("lambda_account_concurrency_limit") or DEFAULT_ACCOUNT_CONCURRENCY)
    report = CapacityReport(rates, loads)
    kinesis, shards = _kinesis_checks(loads, tfvars, headroom)
    lambdas = _lambda_checks(rates, loads, shards, tfvars, limit)
    report.checks = (
        kinesis
        + lambdas
        + _dynamodb_checks(rates, loads, tfvars, headroom)
        + _redis_checks(rates, tfvars)
        + _aurora_checks(rates, loads, lambdas, tfvars)
        + dot_batch.checks(rates, tfvars, dot_driver_s or dot_batch.DRIVER_S)
    )
    return report
