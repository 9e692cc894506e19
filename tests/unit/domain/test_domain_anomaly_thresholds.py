from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import anomaly
from handlers.domain.anomaly import Threshold, evaluate, resolve_thresholds
from handlers.domain.anomaly.rules import check_value
from handlers.domain.anomaly.thresholds import quiet_band
from tests.unit.domain.domain_records import NOW_MS, build_record


def diag(signals, dtcs=(), **overrides):
    record = build_record(signals=signals, dtcs=list(dtcs), **overrides)
    record["ts_ms"] = NOW_MS
    return record


def test_scope_precedence_is_field_by_field():
    items = [
        {"scope": "default", "metric": "coolant_temp_c", "warn": 104, "high": 110, "critical": 116, "window_s": 900},
        {"scope": "class#tractor", "metric": "coolant_temp_c", "high": 108},
        {"scope": "vehicle#VH-1", "metric": "coolant_temp_c", "warn": Decimal("100"), "z_max": "3.5"},
        {"scope": "vehicle#VH-2", "metric": "coolant_temp_c", "warn": 90},
        {"scope": "class#van", "metric": "coolant_temp_c", "critical": 120},
    ]
    one = resolve_thresholds(items, "VH-1", "tractor")["coolant_temp_c"]
    assert (one.warn, one.high, one.critical, one.z_max, one.window_s) == (100, 108, 116, 3.5, 900)
    assert one.scope == "vehicle#VH-1"
    other = resolve_thresholds(items, "VH-3", "van")["coolant_temp_c"]
    assert (other.warn, other.high, other.critical, other.scope) == (104, 110, 120, "class#van")


def test_resolve_ignores_junk_items_and_fields():
    items = [
        None,
        "x",
        {"metric": "rpm"},
        {"scope": "default"},
        {
            "scope": "default",
            "metric": "battery_v",
            "warn": "low",
            "high": None,
            "critical": 11.0,
            "min": float("nan"),
            "max": True,
        },
    ]
    resolved = resolve_thresholds(items, "VH-1", None)
    assert list(resolved) == ["battery_v"]
    assert resolved["battery_v"] == Threshold(metric="battery_v", critical=11.0)


def test_default_items_resolve_for_every_class():
    for vehicle_type in ("tractor", "straight_truck", "van", "reefer"):
        resolved = anomaly.default_thresholds("VH-9", vehicle_type)
        assert {
            "coolant_temp_c",
            "engine_rpm",
            "battery_v",
            "fuel_level_pct",
            "fuel_level_pct:drop_per_min",
            "engine_load_pct",
            "dtc:*",
        } <= set(resolved)
    assert anomaly.default_thresholds("VH-9", "van")["engine_rpm"].warn == 5500
    assert anomaly.default_thresholds("VH-9", "tractor")["engine_rpm"].warn == 2400


@pytest.mark.parametrize(
    "value, severity",
    [(103.9, None), (104, "warning"), (109.9, "warning"), (110, "high"), (116, "critical"), (140, "critical")],
)
def test_ascending_levels(value, severity):
    found = evaluate(diag({"coolant_temp_c": value}), anomaly.default_thresholds("VH-000123", "tractor"))
    got = [a.severity for a in found if a.rule == "threshold:coolant_temp_c"]
    assert got == ([severity] if severity else [])


@pytest.mark.parametrize("value, severity", [(12.3, None), (12.2, "warning"), (11.8, "high"), (10.5, "critical")])
def test_descending_levels_for_battery(value, severity):
    found = evaluate(diag({"battery_v": value}), anomaly.default_thresholds("VH-000123", "tractor"))
    got = [(a.severity, a.threshold) for a in found if a.rule == "threshold:battery_v"]
    assert [s for s, _ in got] == ([severity] if severity else [])


def test_implausible_reading_is_info_and_skips_levels():
    found = evaluate(diag({"coolant_temp_c": 180}), anomaly.default_thresholds("VH-000123", "tractor"))
    assert [(a.rule, a.severity, a.threshold) for a in found] == [("implausible:coolant_temp_c", "info", 150)]


def test_vehicle_calibration_changes_outcome():
    items = anomaly.DEFAULT_THRESHOLD_ITEMS + [{"scope": "vehicle#VH-000123", "metric": "coolant_temp_c", "warn": 95}]
    record = diag({"coolant_temp_c": 97})
    assert not evaluate(record, anomaly.default_thresholds("VH-000123", "tractor"))
    calibrated = evaluate(record, resolve_thresholds(items, "VH-000123", "tractor"))
    assert [(a.rule, a.severity) for a in calibrated] == [("threshold:coolant_temp_c", "warning")]


def test_dtc_calibration_most_specific_wins():
    thresholds = anomaly.default_thresholds("VH-000123", "tractor")
    found = evaluate(
        diag(
            {},
            dtcs=[
                {"code": "P0217"},
                {"code": "P0420"},
                {"spn": 110, "fmi": 0, "oc": 2},
                {"spn": 97, "fmi": 1},
                {"spn": 639, "fmi": 9, "oc": 127},
            ],
        ),
        thresholds,
    )
    by_rule = {a.rule: a for a in found}
    assert by_rule["dtc:P0217"].severity == "critical"
    assert by_rule["dtc:P0420"].severity == "warning"  # dtc:* fallback
    assert by_rule["dtc:spn110:fmi0"].severity == "critical"
    assert by_rule["dtc:spn110:fmi0"].value == 2
    assert by_rule["dtc:spn97:fmi1"].severity == "high"  # dtc:fmi1
    assert by_rule["dtc:spn639:fmi9"].value == 1  # OC not available counts as 1


def test_dtc_occurrence_levels_and_quiet_calibration():
    items = [
        {"scope": "default", "metric": "dtc:spn100", "warn": 1, "high": 3, "critical": 10},
        {"scope": "default", "metric": "dtc:*", "warn": 1},
        {"scope": "vehicle#VH-000123", "metric": "dtc:P0420", "warn": 99},
    ]
    thresholds = resolve_thresholds(items, "VH-000123", "tractor")
    found = evaluate(diag({}, dtcs=[{"spn": 100, "fmi": 18, "oc": 4}, {"code": "P0420"}]), thresholds)
    assert [(a.rule, a.severity) for a in found] == [("dtc:spn100:fmi18", "high")]


def test_anomaly_carries_identity_and_bucketed_window_start():
    record = diag({"coolant_temp_c": 111})
    [hot] = evaluate(record, anomaly.default_thresholds("VH-000123", "tractor"))
    assert hot.vehicle_id == "VH-000123" and hot.ts_ms == NOW_MS
    assert hot.window_start_ms == NOW_MS - NOW_MS % 900_000
    assert hot.alert_id == anomaly.alert_id("VH-000123", "threshold:coolant_temp_c", hot.window_start_ms)


def test_evaluate_reads_ts_when_ts_ms_missing_and_ignores_junk_signals():
    record = build_record(signals={"coolant_temp_c": 111, "engine_rpm": "fast", "battery_v": True}, dtcs=[])
    [hot] = evaluate(record, anomaly.default_thresholds("VH-000123", "tractor"))
    assert hot.ts_ms == NOW_MS - 30_000


def test_alert_body_matches_contract():
    record = diag({"coolant_temp_c": 111})
    [hot] = evaluate(record, anomaly.default_thresholds("VH-000123", "tractor"))
    body = anomaly.alert_body(record, hot)
    assert set(body) == {
        "alert_id",
        "vehicle_id",
        "fleet_id",
        "driver_id",
        "vehicle_type",
        "rule",
        "metric",
        "value",
        "threshold",
        "severity",
        "ts",
        "message",
    }
    assert body["severity"] == "high" and body["alert_id"] == hot.alert_id
    _, state = anomaly.dedupe(None, hot, NOW_MS)
    assert anomaly.alert_body(record, hot, state)["alert_id"] == state["alert_id"]


def test_decimal_readings_from_dynamodb_images_are_evaluated():
    record = diag({"coolant_temp_c": Decimal("111"), "battery_v": Decimal("NaN")})
    record["ts_ms"] = Decimal(NOW_MS)
    [hot] = evaluate(record, anomaly.default_thresholds("VH-000123", "tractor"))
    assert (hot.rule, hot.value, hot.ts_ms) == ("threshold:coolant_temp_c", 111.0, NOW_MS)


levels = st.none() | st.floats(min_value=-100, max_value=100)


@settings(deadline=None)
@given(levels, levels, levels, levels, levels, st.floats(min_value=-150, max_value=150))
def test_quiet_band_shortcut_matches_the_full_check(low, high, warn, hi_level, critical, value):
    """evaluate() skips check_value inside the quiet band; the band must be exactly the values
    the full check finds nothing wrong with."""
    threshold = Threshold("m", min=low, max=high, warn=warn, high=hi_level, critical=critical)
    band_low, band_high, sign, alert_bound = quiet_band(threshold)
    quiet = band_low <= value <= band_high and value * sign < alert_bound
    found = []
    plausible = check_value(found, threshold, "m", value, "VH-1", NOW_MS)
    assert quiet == (plausible and not found)


def test_documented_seed_table_matches_default_items():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "telemetry.md").read_text()
    rows = {
        tuple(cell.strip() for cell in line.strip("|").split("|")[:2]): line
        for line in doc.splitlines()
        if line.startswith("| default |") or line.startswith("| class#")
    }
    for item in anomaly.DEFAULT_THRESHOLD_ITEMS:
        if item["metric"].startswith("dtc:"):
            continue
        line = rows[(item["scope"], item["metric"])]
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")][2:]
        for name, cell in zip(("min", "max", "warn", "high", "critical", "window_s", "z_max"), cells):
            expected = item.get(name)
            assert (float(cell) if cell else None) == expected, (item["metric"], name)


def test_threshold_resolver_matches_resolve_and_shares_class_results():
    items = anomaly.DEFAULT_THRESHOLD_ITEMS + [
        {"scope": "vehicle#VH-7", "metric": "coolant_temp_c", "warn": 99},
        {"scope": "class#reefer", "metric": "battery_v", "warn": 12.4},
    ]
    resolver = anomaly.ThresholdResolver(items)
    for vehicle_id, vehicle_type in (("VH-7", "tractor"), ("VH-8", "tractor"), ("VH-9", "reefer")):
        assert resolver.for_vehicle(vehicle_id, vehicle_type) == resolve_thresholds(items, vehicle_id, vehicle_type)
    assert resolver.for_vehicle("VH-8", "tractor") is resolver.for_vehicle("VH-10", "tractor")
    assert resolver.for_vehicle("VH-7", "tractor")["coolant_temp_c"].warn == 99
    assert resolver.for_vehicle("VH-9", "reefer")["battery_v"].warn == 12.4


def test_threshold_resolver_falls_back_to_seed_defaults_for_an_unseeded_table():
    resolver = anomaly.ThresholdResolver([{"scope": "class#van", "metric": "engine_rpm", "warn": 5000}])
    resolved = resolver.for_vehicle("VH-1", "van")
    assert resolved["coolant_temp_c"].warn == 104 and resolved["engine_rpm"].warn == 5000
