"""Monthly cost of a sizing, by arithmetic from list prices (`capacity_planner.prices`).

Pure functions: a fleet's rates (`model.TelemetryRates`), the tfvars capacities and a few facts
read from tap_stack.tf (`StackFacts`) in, priced lines out. Demand is the steady average (HOS
without its shift-change peak factor: a month bills the average), and every figure that is not a
price or a configured capacity is a named constant below with where it comes from. The choices the
arithmetic makes (DynamoDB capacity mode per table, the Aurora reader) come back with their
reasons (`CostReport.choices`), so tfvars can be checked against them. What it needs from
tap_stack.tf comes from `capacity_planner.stack_facts`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from capacity_planner import prices as p
from capacity_planner.model import (
    AURORA_READS_PER_ACU,
    AURORA_WRITES_PER_ACU,
    GIB,
    SECONDS_PER_DAY,
    WCU_ITEM_BYTES,
    TelemetryRates,
    stream_loads,
)
from capacity_planner.stack_facts import StackFacts

TB = 1024 * GIB
DAYS_PER_MONTH = p.HOURS_PER_MONTH / 24

# Billed Lambda duration per record, ms: 1000 / the records per second one batch of the handler
# processed in docs/benchmarks.md "Handlers", run E (the quietest run; predictive and the DOT rows as
# noted). Measured against the local emulator, whose calls are 10-20 ms where AWS answers in single
# digits, so these durations are upper bounds: the Lambda lines over-estimate rather than under.
LAMBDA_MS_PER_RECORD: dict[str, float] = {
    "processor": 1000 / 378,
    "anomaly": 1000 / 890,  # normal readings; alerts are 0.5 % of them
    # run F: 4.3 ms per 100 in steady state, 500 ms per 100 when every vehicle is due; a vehicle is
    # scored at most once an hour, so ~1 reading in 60 is due.
    "predictive": (59 * 4.3 / 100 + 1 * 500 / 100) / 60,
    "fuel": 1000 / 1894,
    "location": 1000 / 365,
    "hos": 1000 / 49,
    "firehose_transform": 1000 / 47324,
    "maintenance": 1000 / 2980,
    "driver_notifier": 1000 / 2086,
    "fleet": 1000 / 2124,
    "hos_report": 1000 / 47,
    "coaching": 1000 / 72,
    "dot_report": 1000 / 9 + 1000 / 10,  # per driver: gather (run E 9/s) + render and upload (10/s)
}
# Start-up of each invocation's handler work beyond its records (batch response, logging), billed.
LAMBDA_INVOKE_OVERHEAD_MS = 5.0
# Which memory variable sizes each function (docs/contracts.md "Functions").
LAMBDA_MEMORY_VARIABLE: dict[str, str] = {
    "processor": "processor_memory",
    "anomaly": "anomaly_memory",
    "maintenance": "maintenance_memory",
    "driver_notifier": "driver_notifier_memory",
    "fleet": "fleet_memory",
    "predictive": "predictive_memory",
    "hos": "hos_memory",
    "hos_report": "hos_memory",
    "location": "location_memory",
    "fuel": "fuel_memory",
    "coaching": "coaching_memory",
    "dot_report": "hos_memory",
    "firehose_transform": "processor_memory",
}
# Firehose's Lambda processor buffer (the defaults; tap_stack.tf sets none): 1 MiB or 60 s.
FIREHOSE_TRANSFORM_BUFFER_BYTES = 1024 * 1024
FIREHOSE_TRANSFORM_BUFFER_S = 60.0
# Planning assumptions for the low-volume paths (not measured): HOS violations per duty-status
# change, coaching messages per vehicle-hour (model.COACHING_VEHICLE_HOUR_FRACTION's figure).
VIOLATION_FRACTION = 0.01
COACHING_PER_VEHICLE_HOUR = 0.1

# DynamoDB. AWS adds 100 bytes of index overhead to every stored item.
DYNAMODB_ITEM_OVERHEAD_BYTES = 100
TELEMETRY_TTL_DAYS = 30  # DIAGNOSTICS_TTL_DAYS / LOCATIONS_TTL_DAYS
# Target utilization of the provisioned tables' autoscaling (infra: dynamodb_autoscaling_target).
# Steady telemetry moves slowly through the day, so 80 % (AWS's default is 70 %) leaves 25 % for
# bursts while autoscaling follows the daily curve.
AUTOSCALING_TARGET_UTILIZATION = 0.8
# Provisioned is chosen only for steady traffic it saves at least this share on: a bursty table
# (driver_logs 20x at shift change, compliance_status once a day) would need its peak provisioned.
PROVISIONED_MIN_SAVING = 0.25
# HOS evaluation Queries the driver's 9-day log: ~108 items of ~200 B = ~21 KB, eventually consistent
# (0.5 RRU per 4 KB) -> 3 read units per duty-status change.
DRIVER_LOG_READ_UNITS_PER_CHANGE = 3

# Aurora. Rows per diagnostics record: vehicle_history (predictive) and fuel_analytics (fuel).
AURORA_ROW_BYTES = 250  # row + its index entries
# Storage I/Os per inserted row (Standard): the inserts are pipelined batches whose log records are
# written in 4 KB units, so several rows share an I/O; 0.5 is a planning figure, not a measurement.
AURORA_IOS_PER_ROW = 0.5

# Firehose and the lake.
PARQUET_BYTES_PER_RECORD = 120  # Snappy Parquet of a ~550 B JSON reading (planning figure)
LAKE_PARTITIONS = 5  # vehicle_type values: one object per partition per buffer flush
ATHENA_QUERY_WINDOW_DAYS = 365  # infra: lake_query_window_days
REPORT_OBJECTS_PER_DRIVER_DAY = 3  # DOT PDF, ELD file, work JSON

# NAT: what VPC functions send to the internet (no endpoint): in-cab notifications (~2 KB each) and
# the FMCSA PDFs (~50 KB per driver a day) through the API stage.
NOTIFICATION_BYTES = 2048
PDF_BYTES = 50 * 1024


@dataclass(frozen=True)
class CostLine:
    service: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    note: str = ""

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class TableChoice:
    table: str
    writes_per_s: float
    reads_per_s: float
    steady: bool
    on_demand: float  # $/month of the requests
    provisioned: float  # $/month of the capacity autoscaling keeps at the target utilization
    configured: str = "PAY_PER_REQUEST"  # the mode the tfvars deploy

    @property
    def mode(self) -> str:
        cheaper = self.provisioned <= self.on_demand * (1 - PROVISIONED_MIN_SAVING)
        return "PROVISIONED" if self.steady and cheaper else "PAY_PER_REQUEST"

    @property
    def ratio(self) -> float:
        return self.on_demand / self.provisioned if self.provisioned else math.inf


@dataclass
class CostReport:
    lines: list[CostLine] = field(default_factory=list)
    tables: list[TableChoice] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    def by_service(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, 0.0) + line.monthly
        return totals


def average_rates(rates: TelemetryRates) -> TelemetryRates:
    """The month's average: HOS without the shift-change peak factor."""
    return dataclasses.replace(rates, hos_peak_factor=1.0)


def invocations_per_s(records_per_s: float, lanes: int, batch_size: int, window_s: float) -> float:
    """Stream/SQS invocations: a lane whose batch fills within the window invokes per full batch,
    otherwise once per window with what it gathered."""
    if records_per_s <= 0:
        return 0.0
    lanes = max(1, lanes)
    per_lane = records_per_s / lanes
    if per_lane * window_s >= batch_size:
        return records_per_s / batch_size
    return min(records_per_s, lanes / window_s)


def function_records_per_s(rates: TelemetryRates) -> dict[str, float]:
    """Average records (or messages, or drivers) each function handles per second."""
    loads = stream_loads(average_rates(rates))
    diagnostics, gps, hos = (loads[k].records_per_s for k in ("diagnostics", "gps", "hos"))
    alerts = diagnostics * rates.alert_fraction
    return {
        "processor": diagnostics,
        "anomaly": diagnostics,  # INSERTs; TTL REMOVEs are filtered out by the mapping
        "predictive": diagnostics,
        "fuel": diagnostics,
        "firehose_transform": diagnostics,
        "location": gps,
        "hos": hos,
        "maintenance": alerts,
        "driver_notifier": alerts,
        "fleet": alerts,
        "hos_report": hos * VIOLATION_FRACTION,
        "coaching": rates.vehicles * COACHING_PER_VEHICLE_HOUR / 3600,
        "dot_report": rates.drivers / SECONDS_PER_DAY,
    }


def _lanes(function: str, facts: StackFacts, tfvars: Mapping[str, Any], rates: TelemetryRates) -> tuple[int, int]:
    """(concurrent lanes, batch size) of the function's trigger."""
    streams = {"processor": "diagnostics", "predictive": "diagnostics", "fuel": "diagnostics"}
    streams |= {"location": "gps", "hos": "hos"}
    if function in streams:
        shards = int(tfvars.get(f"{streams[function]}_shard_count") or 1)
        return shards * facts.parallelization_factor, facts.kinesis_batch_size
    if function == "anomaly":
        partitions = max(1, math.ceil(rates.vehicles / rates.diagnostics_interval_s / 1000))
        return partitions * facts.parallelization_factor, facts.kinesis_batch_size
    if function in ("maintenance", "driver_notifier", "fleet"):
        return 1, facts.sqs_batch_size
    if function == "firehose_transform":  # Firehose hands the transform up to 1 MiB, at least once a minute
        return 1, max(1, FIREHOSE_TRANSFORM_BUFFER_BYTES // rates.diagnostics_record_bytes)
    return 0, 1  # one record (message, driver) per invocation


def gb_seconds_per_s(records_per_s: float, invocations_per_s: float, function: str, memory_mb: float) -> float:
    """Billed GB-seconds per second of one function: measured ms per record plus the per-invoke overhead."""
    ms = records_per_s * LAMBDA_MS_PER_RECORD[function] + invocations_per_s * LAMBDA_INVOKE_OVERHEAD_MS
    return ms / 1000 * memory_mb / 1024


def lambda_lines(rates: TelemetryRates, tfvars: Mapping[str, Any], facts: StackFacts) -> list[CostLine]:
    lines = []
    gb_seconds = requests = 0.0
    for function, records in function_records_per_s(rates).items():
        lanes, batch = _lanes(function, facts, tfvars, rates)
        window = FIREHOSE_TRANSFORM_BUFFER_S if function == "firehose_transform" else facts.batching_window_s
        invocations = invocations_per_s(records, lanes, batch, window) if lanes else records
        memory_mb = float(tfvars.get(LAMBDA_MEMORY_VARIABLE[function]) or 128)
        gb_seconds += gb_seconds_per_s(records, invocations, function, memory_mb) * p.SECONDS_PER_MONTH
        requests += invocations * p.SECONDS_PER_MONTH
    lines.append(
        CostLine("lambda", "duration", gb_seconds, "GB-s", p.LAMBDA_GB_SECOND, "measured ms per record x memory")
    )
    lines.append(CostLine("lambda", "requests", requests / 1e6, "M requests", p.LAMBDA_REQUESTS_PER_MILLION))
    return lines


def kinesis_lines(rates: TelemetryRates, tfvars: Mapping[str, Any]) -> list[CostLine]:
    loads = stream_loads(average_rates(rates))
    shards = sum(int(tfvars.get(f"{name}_shard_count") or 0) for name in loads)
    record_units = sum(
        load.records_per_s * math.ceil(load.bytes_per_s / load.records_per_s / p.KINESIS_PUT_PAYLOAD_UNIT_BYTES)
        for load in loads.values()
        if load.records_per_s
    )
    lines = [
        CostLine("kinesis", "shard-hours", shards * p.HOURS_PER_MONTH, "shard-h", p.KINESIS_SHARD_HOUR),
        CostLine(
            "kinesis",
            "PUT payload units",
            record_units * p.SECONDS_PER_MONTH / 1e6,
            "M units",
            p.KINESIS_PUT_PAYLOAD_UNITS_PER_MILLION,
            "one 25 KB unit per record",
        ),
    ]
    if int(tfvars.get("retention_hours") or 24) > 24:
        lines.append(
            CostLine(
                "kinesis",
                f"extended retention ({tfvars['retention_hours']} h)",
                shards * p.HOURS_PER_MONTH,
                "shard-h",
                p.KINESIS_EXTENDED_RETENTION_SHARD_HOUR,
            )
        )
    return lines


def table_demand(rates: TelemetryRates) -> dict[str, tuple[float, float, float, bool]]:
    """table key -> (writes/s, reads/s, stored GB incl. GSIs, steady) at the month's average."""
    loads = stream_loads(average_rates(rates))
    diagnostics, gps, hos = (loads[k].records_per_s for k in ("diagnostics", "gps", "hos"))
    diag_units = math.ceil(rates.diagnostics_record_bytes / WCU_ITEM_BYTES)
    kept_s = TELEMETRY_TTL_DAYS * SECONDS_PER_DAY
    diag_gb = diagnostics * kept_s * (rates.diagnostics_record_bytes + DYNAMODB_ITEM_OVERHEAD_BYTES) / GIB
    # vehicle_locations: every fix for 30 days, and the geohash GSI projects ALL: twice the bytes.
    locations_gb = 2 * gps * kept_s * (rates.gps_record_bytes + DYNAMODB_ITEM_OVERHEAD_BYTES) / GIB
    return {
        "diagnostics": (diagnostics * diag_units, 0.0, diag_gb, True),
        # The table and its GSI are written on every fix.
        "locations": (2 * gps, 0.0, locations_gb, True),
        "predictions": (diagnostics * rates.prediction_fraction, 0.0, 1.0, True),
        "driver_logs": (hos, hos * DRIVER_LOG_READ_UNITS_PER_CHANGE, hos * 9 * SECONDS_PER_DAY * 300 / GIB, False),
        "compliance_status": (rates.drivers / SECONDS_PER_DAY, 0.0, rates.drivers * 30 * 300 / GIB, False),
        "thresholds": (0.0, 0.0, 0.01, False),
        "compliance_rules": (0.0, 0.0, 0.01, False),
        "geofences": (0.0, 0.0, 0.1, False),
    }


def table_choices(rates: TelemetryRates, tfvars: Mapping[str, Any]) -> list[TableChoice]:
    configured = tfvars.get("table_billing_modes") or {}
    choices = []
    for table, (writes, reads, _, steady) in table_demand(rates).items():
        on_demand = (
            writes * p.DYNAMODB_ON_DEMAND_WRITE_PER_MILLION + reads * p.DYNAMODB_ON_DEMAND_READ_PER_MILLION
        ) * (p.SECONDS_PER_MONTH / 1e6)
        wcu = max(1, math.ceil(writes / AUTOSCALING_TARGET_UTILIZATION))
        rcu = max(1, math.ceil(reads / AUTOSCALING_TARGET_UTILIZATION))
        provisioned = (wcu * p.DYNAMODB_WCU_HOUR + rcu * p.DYNAMODB_RCU_HOUR) * p.HOURS_PER_MONTH
        # What Terraform deploys: table_billing_modes[table], else billing_mode (default PAY_PER_REQUEST).
        default = str(tfvars.get("billing_mode") or "PAY_PER_REQUEST")
        mode = configured.get(table, default) if isinstance(configured, Mapping) else default
        choices.append(TableChoice(table, writes, reads, steady, on_demand, provisioned, mode))
    return choices


def dynamodb_lines(rates: TelemetryRates, tables: list[TableChoice]) -> list[CostLine]:
    demand = table_demand(rates)
    lines = []
    for choice in tables:
        mode = choice.configured
        cost = choice.provisioned if mode == "PROVISIONED" else choice.on_demand
        label = "provisioned, autoscaled" if mode == "PROVISIONED" else "on demand"
        lines.append(CostLine("dynamodb", f"{choice.table} requests ({label})", 1, "month", cost))
    stored_gb = sum(gb for _, _, gb, _ in demand.values())
    lines.append(CostLine("dynamodb", "storage", stored_gb, "GB-month", p.DYNAMODB_STORAGE_GB_MONTH, "30-day TTL"))
    lines.append(CostLine("dynamodb", "point-in-time recovery", stored_gb, "GB-month", p.DYNAMODB_PITR_GB_MONTH))
    return lines


def elasticache_lines(tfvars: Mapping[str, Any]) -> list[CostLine]:
    node_type = str(tfvars.get("node_type") or "")
    if not node_type:
        return []  # no cluster sized in these tfvars
    nodes = int(tfvars.get("num_cache_clusters") or 1)
    price = p.ELASTICACHE_NODE_HOUR.get(node_type)
    if price is None:  # priced at 0 and said so, rather than failing the whole capacity report
        note = "NO LIST PRICE: add the node type to capacity_planner.prices"
        return [CostLine("elasticache", f"{nodes} x {node_type}", nodes * p.HOURS_PER_MONTH, "node-h", 0.0, note)]
    return [CostLine("elasticache", f"{nodes} x {node_type}", nodes * p.HOURS_PER_MONTH, "node-h", price)]


def aurora_writer_acu(rates: TelemetryRates, tfvars: Mapping[str, Any]) -> float:
    """Average ACUs the writer runs at: the model's throughput figure, within min/max capacity."""
    diagnostics = stream_loads(rates)["diagnostics"].records_per_s
    writes = diagnostics + diagnostics * rates.alert_fraction
    acu = writes / AURORA_WRITES_PER_ACU + diagnostics / AURORA_READS_PER_ACU
    low, high = float(tfvars.get("min_capacity") or 0.5), float(tfvars.get("max_capacity") or 256)
    return min(high, max(low, acu))


def aurora_lines(rates: TelemetryRates, tfvars: Mapping[str, Any], facts: StackFacts) -> tuple[list[CostLine], str]:
    writer = aurora_writer_acu(rates, tfvars)
    reader = writer if facts.reader_follows_writer else float(tfvars.get("min_capacity") or 0.5)
    acu_hours = (writer + facts.aurora_readers * reader) * p.HOURS_PER_MONTH
    diagnostics = stream_loads(rates)["diagnostics"].records_per_s
    rows_per_s = 2 * diagnostics  # vehicle_history + fuel_analytics
    stored_gb = rows_per_s * p.SECONDS_PER_MONTH * AURORA_ROW_BYTES / GIB / 2  # the first month's average
    ios = rows_per_s * AURORA_IOS_PER_ROW * p.SECONDS_PER_MONTH / 1e6
    standard = acu_hours * p.AURORA_ACU_HOUR_STANDARD + stored_gb * p.AURORA_STORAGE_GB_MONTH_STANDARD
    standard += ios * p.AURORA_IO_PER_MILLION
    optimized = acu_hours * p.AURORA_ACU_HOUR_IO_OPTIMIZED + stored_gb * p.AURORA_STORAGE_GB_MONTH_IO_OPTIMIZED
    tier = "tier 0-1: follows the writer" if facts.reader_follows_writer else "tier >= 2: idles at min"
    lines = [
        CostLine(
            "aurora",
            f"ACU-hours: writer {writer:.1f} + reader {reader:.1f} ({tier})",
            acu_hours,
            "ACU-h",
            p.AURORA_ACU_HOUR_STANDARD,
        ),
        CostLine("aurora", "storage (first month)", stored_gb, "GB-month", p.AURORA_STORAGE_GB_MONTH_STANDARD),
        CostLine("aurora", "I/O", ios, "M I/Os", p.AURORA_IO_PER_MILLION, f"{AURORA_IOS_PER_ROW} I/O per row"),
    ]
    choice = (
        f"Aurora storage: Standard ${standard:,.0f}/month vs I/O-Optimized ${optimized:,.0f}/month at "
        f"{AURORA_IOS_PER_ROW} I/O per row; {'Standard' if standard <= optimized else 'I/O-Optimized'} is cheaper"
    )
    return lines, choice


def firehose_and_lake_lines(rates: TelemetryRates, tfvars: Mapping[str, Any]) -> list[CostLine]:
    diagnostics = stream_loads(rates)["diagnostics"].records_per_s
    month_records = diagnostics * p.SECONDS_PER_MONTH
    billed_gb = month_records * max(rates.diagnostics_record_bytes, p.FIREHOSE_RECORD_BILLING_BYTES) / GIB
    raw_gb = month_records * rates.diagnostics_record_bytes / GIB
    buffer_s = float(tfvars.get("buffer_interval_s") or 300)
    buffer_bytes = float(tfvars.get("buffer_size_mb") or 128) * 1024 * 1024
    flush_s = min(buffer_s, buffer_bytes / (diagnostics * rates.diagnostics_record_bytes))
    objects = LAKE_PARTITIONS * p.SECONDS_PER_MONTH / flush_s
    lake_gb_month = month_records * PARQUET_BYTES_PER_RECORD / GIB
    archive_days = float(tfvars.get("lifecycle_archive_days") or 90)
    standard_months = min(12, archive_days / DAYS_PER_MONTH)
    report_puts = rates.drivers * REPORT_OBJECTS_PER_DRIVER_DAY * DAYS_PER_MONTH
    return [
        CostLine("firehose", "ingestion (5 KB per record)", billed_gb, "GB", p.FIREHOSE_INGEST_GB),
        CostLine("firehose", "Parquet conversion", billed_gb, "GB", p.FIREHOSE_FORMAT_CONVERSION_GB),
        CostLine("firehose", "dynamic partitioning", raw_gb, "GB", p.FIREHOSE_DYNAMIC_PARTITIONING_GB),
        CostLine(
            "firehose",
            "dynamic partitioning objects",
            objects / 1000,
            "1000 objects",
            p.FIREHOSE_DYNAMIC_PARTITIONING_OBJECTS_PER_1000,
        ),
        CostLine(
            "s3",
            f"lake, Standard (first {archive_days:g} days)",
            lake_gb_month * standard_months,
            "GB-month",
            p.S3_STANDARD_GB_MONTH,
            "month 12",
        ),
        CostLine(
            "s3",
            "lake, Glacier Instant Retrieval (Athena-readable, to month 12)",
            lake_gb_month * (12 - standard_months),
            "GB-month",
            p.S3_GLACIER_IR_GB_MONTH,
            "month 12",
        ),
        CostLine(
            "s3", "PUT requests (lake + DOT reports)", (objects + report_puts) / 1000, "1000 PUTs", p.S3_PUT_PER_1000
        ),
    ]


def network_lines(rates: TelemetryRates, tfvars: Mapping[str, Any], facts: StackFacts) -> list[CostLine]:
    lines = []
    if tfvars.get("enable_nat_gateway", True):
        diagnostics = stream_loads(rates)["diagnostics"].records_per_s
        nat_gb = (
            diagnostics * rates.alert_fraction * NOTIFICATION_BYTES * p.SECONDS_PER_MONTH
            + rates.drivers * DAYS_PER_MONTH * PDF_BYTES
        ) / GIB
        lines.append(
            CostLine(
                "nat",
                f"{facts.availability_zones} gateways",
                facts.availability_zones * p.HOURS_PER_MONTH,
                "h",
                p.NAT_GATEWAY_HOUR,
            )
        )
        lines.append(CostLine("nat", "data processed", nat_gb, "GB", p.NAT_GATEWAY_GB, "notifications + PDFs"))
    endpoint_hours = len(facts.interface_endpoints) * facts.availability_zones * p.HOURS_PER_MONTH
    lines.append(
        CostLine(
            "vpc endpoints",
            f"{len(facts.interface_endpoints)} interface x {facts.availability_zones} AZ",
            endpoint_hours,
            "AZ-h",
            p.VPC_INTERFACE_ENDPOINT_AZ_HOUR,
            ", ".join(facts.interface_endpoints),
        )
    )
    return lines


def monthly_cost(rates: TelemetryRates, tfvars: Mapping[str, Any], facts: StackFacts) -> CostReport:
    report = CostReport()
    report.tables = table_choices(rates, tfvars)
    aurora, aurora_choice = aurora_lines(rates, tfvars, facts)
    report.lines = (
        kinesis_lines(rates, tfvars)
        + lambda_lines(rates, tfvars, facts)
        + dynamodb_lines(rates, report.tables)
        + elasticache_lines(tfvars)
        + aurora
        + firehose_and_lake_lines(rates, tfvars)
        + network_lines(rates, tfvars, facts)
    )
    for choice in report.tables:
        if choice.writes_per_s or choice.reads_per_s:
            report.choices.append(
                f"DynamoDB {choice.table}: on demand ${choice.on_demand:,.0f} "
                f"vs provisioned ${choice.provisioned:,.0f} "
                f"({choice.ratio:.2f}x, {'steady' if choice.steady else 'bursty'}) -> {choice.mode}"
                + ("" if choice.configured == choice.mode else f"; tfvars deploy {choice.configured}")
            )
    report.choices.append(aurora_choice)
    report.choices += [
        f"WARNING {line.service} {line.item}: {line.note}" for line in report.lines if "NO LIST PRICE" in line.note
    ]
    return report


def render(report: CostReport, title: str) -> str:
    header = ("service", "item", "quantity", "unit", "unit price $", "monthly $")
    rows = [
        (
            line.service,
            line.item,
            f"{line.quantity:,.1f}",
            line.unit,
            f"{line.unit_price:.10g}",
            f"{line.monthly:,.0f}",
        )
        for line in report.lines
    ]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 or i == 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [title, fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row) for row in rows]
    out.append("")
    out += [f"{service:<14} ${total:>12,.0f}" for service, total in report.by_service().items()]
    out.append(f"{'total':<14} ${report.total:>12,.0f} per month")
    out.append("")
    out += [f"choice: {text}" for text in report.choices]
    return "\n".join(out)
