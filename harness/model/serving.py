"""Answers SageMaker runtime InvokeEndpoint in the emulator from the local model (artifact.json).

Request (handlers/domain/predictive.py contract): one CSV line of FEATURE_NAMES values, empty
field = missing (also accepted: a JSON object of named features, or `{"instances": [...]}`).
Response (application/json): `{"component", "confidence", "horizon_days", "probabilities"}` where
`component` is the most likely failing component and `confidence` its probability of failing
within `horizon_days`; when no component reaches 0.5 the component is "none" and `confidence`
is still the highest failure probability (so it stays below the 0.8 publish threshold).
Every endpoint name is answered by the same model; the endpoint itself is not emulated.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.model.logistic import sigmoid
from harness.model.standardize import standardize

ARTIFACT = Path(__file__).with_name("artifact.json")


@lru_cache(maxsize=1)
def load_model(path: str = str(ARTIFACT)) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_features(body: str, feature_names: list[str]) -> list[float | None]:
    text = body.strip()
    if text.startswith("{"):
        document = json.loads(text)
        if "instances" in document:
            document = document["instances"][0]
        if isinstance(document, dict):
            document = document.get("features", document)
            return [_number(str(document.get(name, ""))) for name in feature_names]
        text = ",".join("" if v is None else str(v) for v in document)
    cells = text.splitlines()[0].split(",")
    values = [_number(cell) for cell in cells]
    return (values + [None] * len(feature_names))[: len(feature_names)]


def predict(features: list[float | None], model: dict[str, Any]) -> dict[str, Any]:
    z = standardize(features, model["means"], model["stds"])
    probabilities = {
        name: sigmoid(sum(w * v for w, v in zip(component["weights"], z)) + component["bias"])
        for name, component in model["components"].items()
    }
    component, confidence = max(probabilities.items(), key=lambda item: item[1])
    return {
        "component": component if confidence >= 0.5 else "none",
        "confidence": round(confidence, 6),
        "horizon_days": model["horizon_days"],
        "probabilities": {name: round(p, 6) for name, p in probabilities.items()},
    }


def answer_invoke_endpoint(endpoint_name: str, body: str) -> tuple[str, str]:
    model = load_model()
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.dumps(predict(parse_features(body, model["feature_names"]), model)), "application/json"
