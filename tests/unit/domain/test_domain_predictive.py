import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain.predictive import (
    FEATURE_NAMES,
    Prediction,
    PredictionUnparsable,
    build_features,
    parse_prediction,
    should_publish,
    to_csv,
)

T0 = 1_795_629_600_000


def diag(minute, vehicle_type="tractor", dtcs=(), **signals):
    return {"ts_ms": T0 + minute * 60_000, "vehicle_type": vehicle_type, "signals": signals, "dtcs": list(dtcs)}


def test_feature_names_are_the_documented_fixed_order():
    assert FEATURE_NAMES[:5] == ("age_days", "odometer_km", "km_since_service", "prior_failures", "engine_hours")
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES)) == 23
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "telemetry.md").read_text()
    doc = doc[doc.index("SageMaker payload contract") :]
    positions = [doc.index(f"`{name}`") for name in FEATURE_NAMES]
    assert positions == sorted(positions), "docs/telemetry.md must list features in payload order"


def test_build_features_values():
    recent = [
        diag(
            0,
            coolant_temp_c=90,
            engine_rpm=1200,
            battery_v=13.9,
            odometer_km=400_000,
            engine_hours=9000,
            engine_load_pct=50,
            fuel_rate_lph=30,
        ),
        diag(
            30,
            coolant_temp_c=95,
            engine_rpm=1600,
            battery_v=13.1,
            odometer_km=400_050,
            engine_hours=9000.5,
            dtcs=[{"spn": 110, "fmi": 0, "oc": 2}, {"code": "P0420"}],
        ),
        diag(
            60,
            coolant_temp_c=100,
            engine_rpm=1400,
            battery_v=13.5,
            odometer_km=400_100,
            dtcs=[{"code": "P0420"}, {"code": "bogus"}],
        ),
    ]
    history = {"age_days": 1200, "odometer_km": 399_000, "last_service_km": 380_000, "prior_failures": 2}
    features = build_features(recent, history)
    assert list(features) == list(FEATURE_NAMES)
    assert features["odometer_km"] == 400_100
    assert features["km_since_service"] == 20_100
    assert features["engine_hours"] == 9000.5
    assert features["coolant_temp_mean_c"] == 95 and features["coolant_temp_max_c"] == 100
    assert features["coolant_temp_slope_c_per_h"] == pytest.approx(10.0)
    assert features["battery_v_min"] == 13.1
    assert features["engine_load_mean_pct"] == 50
    assert (features["dtc_count"], features["dtc_distinct"], features["dtc_severe_count"]) == (3, 2, 1)
    assert features["sample_count"] == 3 and features["span_min"] == 60
    assert (features["is_tractor"], features["is_van"]) == (1.0, 0.0)


def test_missing_inputs_are_nan_and_csv_leaves_them_empty():
    features = build_features([], {})
    assert math.isnan(features["age_days"]) and math.isnan(features["coolant_temp_mean_c"])
    assert features["dtc_count"] == 0.0 and features["sample_count"] == 0.0
    line = to_csv(features)
    cells = line.split(",")
    assert len(cells) == len(FEATURE_NAMES) and "\n" not in line
    assert cells[0] == "" and cells[FEATURE_NAMES.index("dtc_count")] == "0.0"


def test_csv_preserves_precision_and_order():
    features = {name: float(i) + 0.125 for i, name in enumerate(FEATURE_NAMES)}
    features["odometer_km"] = 1234567.125
    cells = to_csv(features).split(",")
    assert [float(c) for c in cells] == [features[name] for name in FEATURE_NAMES]


@pytest.mark.parametrize(
    "body",
    [
        b'{"component": "cooling_system", "confidence": 0.91, "horizon_days": 14}',
        '{"predictions": [{"label": "cooling_system", "score": 0.91, "horizon_days": 14}]}',
        "cooling_system,0.91,14\n",
        {"component": "cooling_system", "confidence": "0.91", "horizon_days": 14},
    ],
)
def test_parse_prediction_forms(body):
    assert parse_prediction(body) == Prediction("cooling_system", 0.91, 14.0)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff",
        "",
        "[]",
        '{"component": "x"}',
        '{"component": "", "confidence": 0.5, "horizon_days": 1}',
        '{"component": "x", "confidence": 1.5, "horizon_days": 1}',
        '{"component": "x", "confidence": 0.5, "horizon_days": -1}',
        '{"component": "x", "confidence": NaN, "horizon_days": 1}',
        "a,b",
        '{"predictions": []}',
    ],
)
def test_parse_prediction_rejects(body):
    with pytest.raises(PredictionUnparsable):
        parse_prediction(body)


@pytest.mark.parametrize(
    "confidence, expected",
    [(0.8, False), (0.8000001, True), (0.79, False), (1.0, True), (float("nan"), False), (None, False), ("0.9", True)],
)
def test_should_publish_strictly_greater(confidence, expected):
    assert should_publish(confidence) is expected


def test_should_publish_custom_threshold_and_item():
    assert should_publish(0.85, threshold=0.9) is False
    item = Prediction("battery_electrical", 0.93, 7).to_item("VH-000123", T0)
    assert item == {
        "vehicle_id": "VH-000123",
        "predicted_at": T0,
        "component": "battery_electrical",
        "confidence": 0.93,
        "horizon_days": 7,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.lists(json_values, max_size=6), json_values)
def test_build_features_never_raises(recent, history):
    features = build_features(recent, history)
    assert list(features) == list(FEATURE_NAMES)
    assert len(to_csv(features).split(",")) == len(FEATURE_NAMES)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.binary(max_size=100) | st.text(max_size=100))
def test_parse_prediction_raises_only_its_own_error(body):
    try:
        prediction = parse_prediction(body)
    except PredictionUnparsable:
        return
    assert 0 <= prediction.confidence <= 1


def test_first_scoring_span_is_fixed_per_vehicle_and_spreads_a_fleet_over_the_spread():
    from handlers.domain.predictive import first_scoring_span_min

    fleet = [f"VH-{n:06d}" for n in range(1, 5001)]
    spans = [first_scoring_span_min(v, 20, 8) for v in fleet]
    assert spans == [first_scoring_span_min(v, 20, 8) for v in fleet]  # no per-process salt
    assert all(20 <= s < 28 for s in spans)
    per_minute = [sum(20 + m <= s < 21 + m for s in spans) for m in range(8)]
    assert min(per_minute) > 5000 / 8 * 0.85 and max(per_minute) < 5000 / 8 * 1.15, per_minute
    assert first_scoring_span_min("VH-000001", 20, 0) == 20
