"""capacity_planner.cost: the monthly arithmetic, against figures computed by hand from the list
prices (capacity_planner.prices) and the prod sizing."""

from __future__ import annotations

from pathlib import Path

import pytest

from capacity_planner import cost
from capacity_planner import prices as p
from capacity_planner.model import TelemetryRates
from capacity_planner.stack_facts import StackFacts, reader_follows_writer, stack_facts
from capacity_planner.tfvars import load_tfvars, stack_capacity_locals

INFRA = Path(__file__).resolve().parents[2] / "infra"
FLEET = TelemetryRates(vehicles=234_000)
MONTH_S = 730 * 3600  # 2,628,000


def test_a_lane_that_fills_its_batch_invokes_per_batch_else_once_per_window():
    # gps in prod: 7,800 rec/s over 12 shards x 4 = 48 lanes = 162.5 rec/s a lane < 500: once a second each.
    assert cost.invocations_per_s(7_800, 48, 500, 1.0) == 48
    # 4 lanes get 1,950 rec/s each >= 500: per full batch.
    assert cost.invocations_per_s(7_800, 4, 500, 1.0) == pytest.approx(15.6)
    # Fewer records than lanes: at most one invoke per record.
    assert cost.invocations_per_s(0.5, 48, 500, 1.0) == 0.5
    assert cost.invocations_per_s(0, 48, 500, 1.0) == 0


def test_lambda_gb_seconds_from_the_measured_ms_per_record():
    # location: 7,800 rec/s x 1000/365 ms + 48 invokes x 5 ms = 21,369.86 + 240 ms per s, at 1 GB.
    assert cost.gb_seconds_per_s(7_800, 48, "location", 1024) == pytest.approx(21.60986, rel=1e-5)
    # half the memory, half the GB-s
    assert cost.gb_seconds_per_s(7_800, 48, "location", 512) == pytest.approx(10.80493, rel=1e-5)


def test_dynamodb_steady_telemetry_costs_about_2_8x_on_demand():
    choices = {c.table: c for c in cost.table_choices(FLEET, {})}
    diagnostics, locations = choices["diagnostics"], choices["locations"]
    # 3,900 writes/s x 2,628,000 s x $0.625 per million = $6,405.75
    assert diagnostics.on_demand == pytest.approx(6_405.75)
    # ceil(3,900 / 0.8) = 4,875 WCU + 1 RCU: (4,875 x 0.00065 + 0.00013) x 730 = $2,313.2824
    assert diagnostics.provisioned == pytest.approx(2_313.2824)
    # table + GSI: 15,600 writes/s -> $25,623; ceil(15,600 / 0.8) = 19,500 WCU -> $9,252.8449
    assert locations.on_demand == pytest.approx(25_623.0)
    assert locations.provisioned == pytest.approx(9_252.8449)
    steady = (diagnostics.on_demand + locations.on_demand) / (diagnostics.provisioned + locations.provisioned)
    assert steady == pytest.approx(2.769, abs=0.001)  # the audit's "about 2.8x" for 19,500 writes/s
    assert diagnostics.mode == locations.mode == "PROVISIONED"


def test_bursty_and_idle_tables_stay_on_demand():
    choices = {c.table: c for c in cost.table_choices(FLEET, {})}
    # driver_logs is cheaper provisioned at its average, but its shift-change peak is 20x that.
    assert choices["driver_logs"].provisioned < choices["driver_logs"].on_demand
    assert choices["driver_logs"].mode == "PAY_PER_REQUEST"
    # no traffic: on demand costs nothing, provisioned 1 WCU + 1 RCU = (0.00065 + 0.00013) x 730 = $0.5694
    assert choices["geofences"].on_demand == 0
    assert choices["geofences"].provisioned == pytest.approx(0.5694)
    assert choices["geofences"].mode == "PAY_PER_REQUEST"


def test_a_tfvars_mode_that_disagrees_is_named():
    report = cost.monthly_cost(FLEET, {"table_billing_modes": {"diagnostics": "PAY_PER_REQUEST"}}, StackFacts())
    line = next(c for c in report.choices if c.startswith("DynamoDB diagnostics"))
    assert line.endswith("-> PROVISIONED; tfvars deploy PAY_PER_REQUEST")
    # the line is priced as deployed: on demand
    priced = next(line for line in report.lines if line.item.startswith("diagnostics requests"))
    assert priced.item == "diagnostics requests (on demand)" and priced.monthly == pytest.approx(6_405.75)


def test_kinesis_shard_hours_and_put_units():
    tfvars = {"diagnostics_shard_count": 7, "hos_shard_count": 2, "gps_shard_count": 12, "retention_hours": 168}
    lines = {line.item: line for line in cost.kinesis_lines(FLEET, tfvars)}
    assert lines["shard-hours"].monthly == pytest.approx(21 * 730 * 0.015)  # $229.95
    # one 25 KB unit per record: (3,900 + 7,800 + 32.5 HOS average) x 2,628,000 = 30,833.0 M units
    assert lines["PUT payload units"].quantity == pytest.approx(30_833.01)
    assert lines["PUT payload units"].monthly == pytest.approx(431.662, rel=1e-4)
    assert lines["extended retention (168 h)"].monthly == pytest.approx(21 * 730 * 0.02)


def test_elasticache_and_an_unknown_node_type():
    (line,) = cost.elasticache_lines({"node_type": "cache.r7g.xlarge", "num_cache_clusters": 3})
    assert line.monthly == pytest.approx(3 * 730 * 0.437)  # $957.03
    (unknown,) = cost.elasticache_lines({"node_type": "cache.x9.huge"})
    assert unknown.monthly == 0 and "NO LIST PRICE" in unknown.note
    report = cost.monthly_cost(FLEET, {"node_type": "cache.x9.huge"}, StackFacts())
    assert any(c.startswith("WARNING elasticache 1 x cache.x9.huge") for c in report.choices)


def test_the_aurora_reader_doubles_compute_only_in_promotion_tier_0_or_1():
    tfvars = {"min_capacity": 2, "max_capacity": 32}
    writer = (3_900 + 19.5) / 500 + 3_900 / 2_000  # 9.789 ACU
    assert cost.aurora_writer_acu(FLEET, tfvars) == pytest.approx(writer)
    idle, _ = cost.aurora_lines(FLEET, tfvars, StackFacts(reader_follows_writer=False))
    follows, _ = cost.aurora_lines(FLEET, tfvars, StackFacts(reader_follows_writer=True))
    assert idle[0].quantity == pytest.approx((writer + 2) * 730)
    assert follows[0].quantity == pytest.approx(2 * writer * 730)
    # I/O: 2 rows per diagnostics record x 0.5 I/O x 2,628,000 s = 10,249.2 M I/Os x $0.20
    assert idle[2].monthly == pytest.approx(7_800 * 0.5 * MONTH_S / 1e6 * 0.20)


def test_firehose_bills_every_record_as_5_kb():
    lines = {line.item: line for line in cost.firehose_and_lake_lines(FLEET, {"lifecycle_archive_days": 90})}
    # 3,900 rec/s x 2,628,000 s x 5,120 B = 48,872.3 GB (GiB) at $0.029
    assert lines["ingestion (5 KB per record)"].quantity == pytest.approx(3_900 * MONTH_S * 5_120 / 2**30)
    assert lines["ingestion (5 KB per record)"].monthly == pytest.approx(1_417.3, rel=1e-4)


def test_interface_endpoints_are_priced_per_az_hour():
    facts = StackFacts(interface_endpoints=("sns", "sqs", "secretsmanager"), availability_zones=2)
    line = cost.network_lines(FLEET, {"enable_nat_gateway": False}, facts)[-1]
    assert line.monthly == pytest.approx(3 * 2 * 730 * 0.01)  # $43.80


@pytest.mark.parametrize(
    ("snippet", "follows"),
    [
        ('resource "aws_rds_cluster_instance" "aurora" {\n  count = 2\n}', True),
        ('resource "aws_rds_cluster_instance" "aurora" {\n  promotion_tier = count.index == 0 ? 0 : 2\n}', False),
        ('resource "aws_rds_cluster_instance" "aurora" {\n  promotion_tier = 1\n}', True),
    ],
)
def test_reader_promotion_tier_is_read_from_the_stack(snippet, follows):
    assert reader_follows_writer(snippet) is follows


def test_the_prod_total_is_the_sum_of_its_lines_and_prices_carry_their_date():
    text = (INFRA / "tap_stack.tf").read_text()
    tfvars = load_tfvars(INFRA / "prod.tfvars")
    report = cost.monthly_cost(FLEET, tfvars, stack_facts(text, stack_capacity_locals(text, "prod"), tfvars))
    assert report.total == pytest.approx(sum(line.quantity * line.unit_price for line in report.lines))
    assert sum(report.by_service().values()) == pytest.approx(report.total)
    assert p.PRICES_AS_OF and p.REGION == "us-east-1"
    assert "total" in cost.render(report, "prod")


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_sets_the_capacity_modes_the_prod_arithmetic_chooses(env):
    """Modes are topology (the same in every environment); the prod fleet's arithmetic picks them."""
    configured = load_tfvars(INFRA / f"{env}.tfvars").get("table_billing_modes") or {}
    for choice in cost.table_choices(FLEET, {}):
        assert configured.get(choice.table, "PAY_PER_REQUEST") == choice.mode, (env, choice.table)
