"""The local predictive model: the artifact matches the handler's features and separates the classes."""
from __future__ import annotations

import datetime as dt
import random

from handlers.domain.predictive import FEATURE_NAMES, build_features, parse_prediction, to_csv

from harness.model import degradation_data
from harness.model.serving import answer_invoke_endpoint, load_model


def _ask(process, severity, seed):
    records, history = degradation_data.window(random.Random(seed), process, severity,
                                               dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    body, content_type = answer_invoke_endpoint("any", to_csv(build_features(records, history)))
    assert content_type == "application/json"
    return parse_prediction(body)


def test_artifact_uses_the_handler_feature_order_and_scored_well_on_held_out_data():
    model = load_model()
    assert model["feature_names"] == list(FEATURE_NAMES)
    assert all(component["test_auc"] > 0.9 for component in model["components"].values())


def test_healthy_vehicles_stay_below_the_publish_threshold():
    assert all(_ask(None, 0.0, seed).confidence < 0.8 for seed in range(20))


def test_late_stage_degradation_is_predicted_for_the_right_component():
    for process, component in degradation_data.PROCESSES.items():
        predictions = [_ask(process, 0.95, seed) for seed in range(10)]
        assert sum(p.component == component and p.confidence > 0.8 for p in predictions) >= 8, process


def test_missing_features_are_tolerated():
    prediction = parse_prediction(answer_invoke_endpoint("any", "," * (len(FEATURE_NAMES) - 1))[0])
    assert 0.0 <= prediction.confidence < 0.8
