"""harness.seed (reference data) and harness.migrate (ordered, tracked, idempotent SQL)."""

from __future__ import annotations

import psycopg
import pytest

from handlers import anomaly_detector, hos_processor
from handlers.domain import anomaly, fuel
from handlers.domain.hos import DEFAULT_RULES, HosRules
from handlers.domain.hos.ruleset_items import RULESET_ITEMS
from harness import migrate, seed


def test_migrations_are_tracked_and_reapplying_is_a_no_op(stack, resources):
    assert migrate.apply(stack.postgres_dsn) == []  # the session already applied them
    with psycopg.connect(stack.postgres_dsn) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        tables = {
            r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        }
    assert versions == [p.name[:3] for p in migrate.migration_files()]
    assert {"maintenance_schedule", "vehicle_history", "fuel_analytics", "inspections", "drivers", "vehicles"} <= tables


def test_drivers_carry_a_rule_set_whose_cycle_must_match(make_ctx):
    ctx = make_ctx("dot_report")
    ctx.sql(
        "INSERT INTO drivers (driver_id, fleet_id, name, ruleset, cycle) VALUES "
        "('DR-990001', 'FL-990', 'Tex', 'us-texas-intrastate', '70/7') ON CONFLICT (driver_id) DO NOTHING"
    )
    ctx.sql(
        "INSERT INTO drivers (driver_id, fleet_id, name) VALUES ('DR-990002', 'FL-990', 'Fed') "
        "ON CONFLICT (driver_id) DO NOTHING"
    )
    assert ctx.sql("SELECT driver_id, ruleset, cycle FROM drivers WHERE fleet_id = 'FL-990' ORDER BY driver_id") == [
        ("DR-990001", "us-texas-intrastate", "70/7"),
        ("DR-990002", "us-property", "70/8"),
    ]
    with pytest.raises(psycopg.errors.CheckViolation):
        ctx.sql(
            "INSERT INTO drivers (driver_id, fleet_id, name, ruleset, cycle) "
            "VALUES ('DR-990003', 'FL-990', 'Can', 'canada-south', '70/8')"
        )


def test_changed_migration_is_refused(stack, resources, tmp_path):
    for p in migrate.migration_files():
        (tmp_path / p.name).write_text(p.read_text())
    first = sorted(tmp_path.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")
    with pytest.raises(migrate.MigrationError, match="changed after it was applied"):
        migrate.apply(stack.postgres_dsn, tmp_path)


def test_seed_writes_reference_data_handlers_read(make_ctx):
    ctx = make_ctx("anomaly")
    tables = {
        "alert_thresholds": ctx.env["THRESHOLDS_TABLE"],
        "compliance_rules": ctx.env["COMPLIANCE_RULES_TABLE"],
        "geofences": ctx.env["GEOFENCES_TABLE"],
    }
    fence = {
        "geofence_id": "gf-seed-1",
        "fleet_id": "FL-999",
        "name": "Yard",
        "shape": "circle",
        "center_lat": 40.0,
        "center_lon": -90.0,
        "radius_m": 200,
    }
    bench_keys = [fuel.benchmark_key(t) for t in fuel.DEFAULT_BENCHMARKS]
    saved = {k: ctx.redis.hgetall(k) for k in bench_keys}
    try:
        for k in bench_keys:
            ctx.redis.delete(k)
        counts = seed.seed(ctx.ddb, ctx.redis, tables, [fence])
        assert counts == {
            "alert_thresholds": len(anomaly.DEFAULT_THRESHOLD_ITEMS),
            "compliance_rules": len(DEFAULT_RULES) + len(RULESET_ITEMS),
            "geofences": 1,
            "fuel_benchmarks": len(fuel.DEFAULT_BENCHMARKS),
        }
        assert seed.seed(ctx.ddb, ctx.redis, tables, [fence])["fuel_benchmarks"] == 0
        assert anomaly_detector.thresholds_for("VH-1", "van") == anomaly.default_thresholds("VH-1", "van")
        assert hos_processor.rules() == HosRules()  # the other rule sets' items do not touch us-property
        texas = ctx.ddb.get_item(
            TableName=tables["compliance_rules"],
            Key={"rule_set": {"S": "us-texas-intrastate"}, "rule_code": {"S": "DRIVING_12"}},
        )["Item"]
        assert (texas["limit_s"]["N"], texas["cfr"]["S"]) == ("43200", "37 TAC 4.12")
        assert (
            fuel.Benchmark.from_mapping("van", ctx.redis.hgetall(fuel.benchmark_key("van")))
            == fuel.DEFAULT_BENCHMARKS["van"]
        )
        with pytest.raises(Exception):
            seed.seed(ctx.ddb, ctx.redis, tables, [{**fence, "radius_m": -1}])
    finally:
        for k, v in saved.items():
            ctx.redis.delete(k)
            if v:
                ctx.redis.hset(k, mapping=v)
