"""The SageMaker request and response of the predictive-maintenance model, and the publish rule.

Payload contract (docs/telemetry.md): one CSV line, no header, features in FEATURE_NAMES order,
content type text/csv, missing values as empty fields. Response: JSON
`{"component": str, "confidence": float in [0,1], "horizon_days": number}` (also accepted:
`{"predictions": [{...}]}` and a CSV line `component,confidence,horizon_days`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from .features import FEATURE_NAMES, _finite

CONTENT_TYPE = "text/csv"
ACCEPT = "application/json"
DEFAULT_CONFIDENCE_THRESHOLD = 0.8


COMPONENTS = (
    "none",
    "cooling_system",
    "battery_electrical",
    "fuel_system",
    "engine",
    "turbocharger",
    "aftertreatment",
    "brakes",
    "transmission",
)


class PredictionUnparsable(ValueError):
    """The endpoint's body is not a prediction (reason in the message)."""


@dataclass(frozen=True)
class Prediction:
    component: str
    confidence: float
    horizon_days: float

    def to_item(self, vehicle_id: str, predicted_at_ms: int) -> dict:
        """predicted_failures item (contracts.md); floats (the handler converts to Decimal)."""
        return {
            "vehicle_id": vehicle_id,
            "predicted_at": int(predicted_at_ms),
            "component": self.component,
            "confidence": self.confidence,
            "horizon_days": self.horizon_days,
        }


def to_csv(features: Mapping[str, float]) -> str:
    """The request body: FEATURE_NAMES order, NaN/missing -> empty field, no header, no newline."""
    cells = []
    for name in FEATURE_NAMES:
        value = features.get(name)
        number = _finite(value)
        cells.append("" if number is None else repr(float(number)))
    return ",".join(cells)


def parse_prediction(body: bytes | str | Mapping) -> Prediction:
    """Parse the endpoint response; raises PredictionUnparsable."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PredictionUnparsable("body is not UTF-8") from exc
    if isinstance(body, str):
        text = body.strip()
        try:
            parsed: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = _csv_prediction(text)
    else:
        parsed = body
    if isinstance(parsed, Mapping) and isinstance(parsed.get("predictions"), list) and parsed["predictions"]:
        parsed = parsed["predictions"][0]
    if not isinstance(parsed, Mapping):
        raise PredictionUnparsable(f"expected a JSON object, got {type(parsed).__name__}")
    component = parsed.get("component", parsed.get("label"))
    confidence = _finite(parsed.get("confidence", parsed.get("score")))
    horizon = _finite(parsed.get("horizon_days"))
    if not isinstance(component, str) or not component.strip():
        raise PredictionUnparsable("component missing")
    if confidence is None or not 0.0 <= confidence <= 1.0:
        raise PredictionUnparsable("confidence must be a number in [0, 1]")
    if horizon is None or horizon < 0:
        raise PredictionUnparsable("horizon_days must be a number >= 0")
    return Prediction(component.strip(), float(confidence), float(horizon))


def should_publish(confidence: float, threshold: float = DEFAULT_CONFIDENCE_THRESHOLD) -> bool:
    """Publish to maintenance-required only when confidence is STRICTLY greater than threshold.
    Non-numeric or NaN confidence never publishes."""
    number = _finite(confidence)
    return number is not None and number > threshold


def _csv_prediction(text: str) -> dict:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3:
        raise PredictionUnparsable("neither JSON nor a 'component,confidence,horizon_days' line")
    return {"component": parts[0], "confidence": parts[1], "horizon_days": parts[2]}
