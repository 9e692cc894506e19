"""Predictive maintenance: the model's features, its SageMaker payload, and when a vehicle is scored.

- ``features``: ``build_features(window, registry row)`` -> FEATURE_NAMES values (HISTORY_SIGNALS
  are the signals a window keeps).
- ``payload``: ``to_csv`` (request), ``parse_prediction`` (response, raises PredictionUnparsable),
  ``should_publish`` (confidence strictly above the threshold).
- ``schedule``: window and interval constants, ``scoring_span_min``, ``maybe_scored``, ``blocks``
  and ``ScoredMemory`` (at most one prediction per vehicle per interval of event time).
"""

from .features import FEATURE_NAMES, HISTORY_SIGNALS, build_features
from .payload import (
    ACCEPT,
    COMPONENTS,
    CONTENT_TYPE,
    DEFAULT_CONFIDENCE_THRESHOLD,
    Prediction,
    PredictionUnparsable,
    parse_prediction,
    should_publish,
    to_csv,
)
from .schedule import (
    LOOKBACK_MS,
    MAX_FIRST_SCORE_SPREAD_MIN,
    MIN_WINDOW_SPAN_MIN,
    PREDICTION_INTERVAL_MS,
    WINDOW_MS,
    ScoredMemory,
    blocks,
    first_scoring_span_min,
    maybe_scored,
    scoring_span_min,
    window_spans,
)

__all__ = [
    "ACCEPT",
    "COMPONENTS",
    "CONTENT_TYPE",
    "DEFAULT_CONFIDENCE_THRESHOLD",
    "FEATURE_NAMES",
    "HISTORY_SIGNALS",
    "LOOKBACK_MS",
    "MAX_FIRST_SCORE_SPREAD_MIN",
    "MIN_WINDOW_SPAN_MIN",
    "PREDICTION_INTERVAL_MS",
    "Prediction",
    "PredictionUnparsable",
    "ScoredMemory",
    "WINDOW_MS",
    "blocks",
    "build_features",
    "first_scoring_span_min",
    "maybe_scored",
    "parse_prediction",
    "scoring_span_min",
    "should_publish",
    "to_csv",
    "window_spans",
]
