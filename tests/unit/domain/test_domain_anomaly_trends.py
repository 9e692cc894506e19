import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import anomaly
from handlers.domain.anomaly import (
    evaluate,
    parse_window,
    rate_of_change_per_minute,
    slope_per_minute,
    window_member,
    zscore,
)
from handlers.domain.anomaly.trends import slope_bound
from tests.unit.domain.domain_records import NOW_MS, build_record

MINUTE = 60_000


def diag(signals):
    record = build_record(signals=signals, dtcs=[])
    record["ts_ms"] = NOW_MS
    return record


def test_window_member_round_trip_with_bytes_and_junk():
    members = [
        (window_member(2000, 13.5).encode(), 2000.0),
        (window_member(1000, 0.1), 1000.0),
        (b"garbage", 5.0),
        ("3000:nan", 3000.0),
        ("x:1", 1.0),
        (window_member(1000, 0.2), 1000.0),
    ]
    assert parse_window(members) == [(1000, 0.2), (2000, 13.5)]
    assert parse_window([window_member(5, 1.0)]) == [(5, 1.0)]


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.integers(min_value=0, max_value=2**42), st.floats(allow_nan=False, allow_infinity=False))
def test_window_member_round_trips_exactly(ts_ms, value):
    assert parse_window([(window_member(ts_ms, value), float(ts_ms))]) == [(ts_ms, value)]


def test_slope_and_rate_known_values():
    points = [(0, 10.0), (MINUTE, 12.0), (2 * MINUTE, 14.0)]
    assert slope_per_minute(points) == pytest.approx(2.0)
    assert rate_of_change_per_minute(points) == pytest.approx(2.0)
    assert slope_per_minute(points[:1]) is None
    assert slope_per_minute([(5, 1.0), (5, 2.0)]) is None
    assert rate_of_change_per_minute([(5, 1.0), (5, 2.0)]) is None


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.floats(min_value=-100, max_value=100),
    st.floats(min_value=-1000, max_value=1000),
    st.integers(min_value=2, max_value=30),
)
def test_slope_recovers_exact_line(slope, intercept, count):
    points = [(i * 30_000, intercept + slope * i * 0.5) for i in range(count)]
    assert slope_per_minute(points) == pytest.approx(slope, abs=1e-6)


def test_zscore_needs_history_and_spread():
    history = [(i * MINUTE, 90.0 + (i % 2)) for i in range(10)]  # mean 90.5, stdev 0.5
    assert zscore(history, 92.5) == pytest.approx(4.0)
    assert zscore(history[:9], 99.0) is None
    assert zscore([(i, 90.0) for i in range(20)], 120.0) is None


def test_zscore_rule_against_own_history():
    history = [(NOW_MS - (20 - i) * MINUTE, 88.0 + (i % 3) * 0.5) for i in range(15)]
    found = evaluate(
        diag({"coolant_temp_c": 97.0}), anomaly.default_thresholds("VH-000123", "tractor"), {"coolant_temp_c": history}
    )
    assert [(a.rule, a.severity) for a in found] == [("zscore:coolant_temp_c", "warning")]
    calm = evaluate(
        diag({"coolant_temp_c": 88.5}), anomaly.default_thresholds("VH-000123", "tractor"), {"coolant_temp_c": history}
    )
    assert calm == []


def test_zscore_ignores_history_outside_window():
    old = [(NOW_MS - 3 * 3600_000 + i * MINUTE, 88.0 + (i % 3) * 0.5) for i in range(15)]
    found = evaluate(
        diag({"coolant_temp_c": 97.0}), anomaly.default_thresholds("VH-000123", "tractor"), {"coolant_temp_c": old}
    )
    assert found == []


def fuel_window(drop_per_min, minutes=8):
    return [(NOW_MS - (minutes - i) * MINUTE, 60.0 - drop_per_min * i) for i in range(minutes)]


@pytest.mark.parametrize("drop, severity", [(0.1, None), (0.6, "warning"), (1.5, "high"), (3.0, "critical")])
def test_fuel_drop_trend_levels(drop, severity):
    window = fuel_window(drop)
    current = 60.0 - drop * 8
    found = evaluate(
        diag({"fuel_level_pct": current}),
        anomaly.default_thresholds("VH-000123", "tractor"),
        {"fuel_level_pct": window},
    )
    trend = [(a.severity, a.metric) for a in found if a.rule.startswith("trend:")]
    assert trend == ([(severity, "fuel_level_pct:drop_per_min")] if severity else [])


def test_reefer_class_tolerates_faster_fuel_drop():
    window = fuel_window(0.6)
    record = diag({"fuel_level_pct": 60.0 - 0.6 * 8})
    record["vehicle_type"] = "reefer"
    assert not evaluate(record, anomaly.default_thresholds("VH-000123", "reefer"), {"fuel_level_pct": window})


def test_trend_needs_enough_points_and_span():
    short = [(NOW_MS - 30_000, 62.0)]
    found = evaluate(
        diag({"fuel_level_pct": 50.0}), anomaly.default_thresholds("VH-000123", "tractor"), {"fuel_level_pct": short}
    )
    assert not [a for a in found if a.rule.startswith("trend:")]


def test_window_including_current_point_gives_same_result():
    window = fuel_window(1.5)
    current = 60.0 - 1.5 * 8
    thresholds = anomaly.default_thresholds("VH-000123", "tractor")
    before = evaluate(diag({"fuel_level_pct": current}), thresholds, {"fuel_level_pct": window})
    after = evaluate(diag({"fuel_level_pct": current}), thresholds, {"fuel_level_pct": window + [(NOW_MS, current)]})
    assert before == after and before


def test_coolant_rise_trend():
    window = [(NOW_MS - (6 - i) * MINUTE, 80.0 + 5 * i) for i in range(6)]
    found = evaluate(
        diag({"coolant_temp_c": 110.0}), anomaly.default_thresholds("VH-000123", "tractor"), {"coolant_temp_c": window}
    )
    assert ("trend:coolant_temp_c:rise_per_min", "high") in [(a.rule, a.severity) for a in found]


def test_window_signals_lists_what_handler_must_keep():
    spans = anomaly.window_signals(anomaly.default_thresholds("VH-1", "tractor"))
    # engine_rpm: the regime (running or not) of each coolant/battery reading in the window.
    assert spans == {"coolant_temp_c": 900, "battery_v": 900, "fuel_level_pct": 600, "engine_rpm": 900}
    assert anomaly.window_key("VH-1", "battery_v") == "win:VH-1:battery_v"


signal_values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.dictionaries(
        st.sampled_from(
            ["coolant_temp_c", "battery_v", "fuel_level_pct", "engine_rpm", "engine_load_pct", "vehicle_speed_kph"]
        ),
        signal_values,
    ),
    st.lists(st.tuples(st.integers(min_value=NOW_MS - 3600_000, max_value=NOW_MS), signal_values), max_size=30),
)
def test_evaluate_never_raises_and_severities_are_valid(signals, window):
    found = evaluate(
        diag(signals), anomaly.default_thresholds("VH-000123", "tractor"), {name: window for name in signals}
    )
    for item in found:
        assert item.severity in anomaly.SEVERITIES
        assert math.isfinite(item.value)


def test_coolant_rise_is_gated_below_ninety_degrees():
    warming = [(NOW_MS - (6 - i) * MINUTE, 40.0 + 5 * i) for i in range(6)]  # cold start
    found = evaluate(
        diag({"coolant_temp_c": 70.0}), anomaly.default_thresholds("VH-000123", "tractor"), {"coolant_temp_c": warming}
    )
    assert not [a for a in found if a.rule.startswith("trend:")]


def test_zscore_alerts_only_in_the_harmful_direction():
    parked = [(NOW_MS - (20 - i) * MINUTE, 12.6 + (i % 3) * 0.02) for i in range(15)]
    thresholds = anomaly.default_thresholds("VH-000123", "tractor")
    engine_started = evaluate(diag({"battery_v": 14.2}), thresholds, {"battery_v": parked})
    assert engine_started == []
    sagging = evaluate(diag({"battery_v": 12.3}), thresholds, {"battery_v": parked})
    assert [(a.rule, a.severity) for a in sagging] == [("zscore:battery_v", "warning")]
    single_level = anomaly.resolve_thresholds([{"scope": "default", "metric": "battery_v", "z_max": 4}], "VH-1", None)
    assert [a.rule for a in evaluate(diag({"battery_v": 14.2}), single_level, {"battery_v": parked})] == [
        "zscore:battery_v"
    ]


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=3_600_000), st.floats(min_value=-1e4, max_value=1e4)),
        min_size=2,
        max_size=40,
        unique_by=lambda p: p[0],
    )
)
def test_slope_bound_is_an_upper_bound(points):
    points = sorted(points)
    slope = slope_per_minute(points)
    if slope is not None:
        assert abs(slope) <= slope_bound(points) * (1 + 1e-9) + 1e-9
