"""Train the local predictive-maintenance model and write `harness/model/artifact.json`:
`python -m harness.model.train [--seed 7]` (deterministic for a seed, about a minute).

One-vs-rest logistic regressions (one per component of `degradation_data.COMPONENTS`) over the
handler's FEATURE_NAMES, trained on windows of a simulated mixed fleet (sim/, with injected
degradations; see degradation_data) and scored (ROC AUC, precision of confidence > 0.8) on the
windows of a second, held-out simulated fleet (another seed); the scores are stored in the artifact.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from handlers.domain.predictive import FEATURE_NAMES, build_features
from harness.model import degradation_data
from harness.model.logistic import auc, fit, sigmoid
from harness.model.standardize import column_stats, standardize

ARTIFACT = Path(__file__).with_name("artifact.json")


def feature_rows(samples: list[degradation_data.Sample]) -> list[list[float]]:
    return [[build_features(s.records, s.history)[name] for name in FEATURE_NAMES] for s in samples]


def train(seed: int, healthy: int = 160, degraded: int = 150, stride_min: int = 30) -> dict:
    train_samples = degradation_data.generate(seed, healthy, degraded, stride_min=stride_min)
    test_samples = degradation_data.generate(seed + 1000, healthy // 2, degraded // 2, stride_min=stride_min)
    rows, test_rows = feature_rows(train_samples), feature_rows(test_samples)
    means, stds = column_stats(rows)
    z_train = [standardize(r, means, stds) for r in rows]
    z_test = [standardize(r, means, stds) for r in test_rows]
    components = {}
    for component in degradation_data.COMPONENTS:
        labels = [int(s.failing_component == component) for s in train_samples]
        weights, bias = fit(z_train, labels)
        scores = [sigmoid(sum(w * v for w, v in zip(weights, z)) + bias) for z in z_test]
        test_labels = [int(s.failing_component == component) for s in test_samples]
        confident = [label for score, label in zip(scores, test_labels) if score > 0.8]
        components[component] = {
            "weights": [round(w, 6) for w in weights],
            "bias": round(bias, 6),
            "test_auc": round(auc(scores, test_labels), 4),
            "test_precision_above_0_8": round(sum(confident) / len(confident), 4) if confident else None,
            "test_positives": sum(test_labels),
        }
    return {
        "model": "fleettap-local-predictive",
        "kind": "one-vs-rest logistic regression",
        "horizon_days": degradation_data.HORIZON_DAYS,
        "feature_names": list(FEATURE_NAMES),
        "means": [round(m, 6) for m in means],
        "stds": [round(s, 6) for s in stds],
        "components": components,
        "training": {
            "generator": "harness.model.degradation_data (sim.fleet windows)",
            "seed": seed,
            "healthy_vehicles": healthy,
            "degraded_vehicles": degraded,
            "stride_min": stride_min,
            "train_windows": len(train_samples),
            "test_windows": len(test_samples),
            "positive_severity": degradation_data.POSITIVE_SEVERITY,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--healthy", type=int, default=160, help="healthy simulated vehicles")
    parser.add_argument("--degraded", type=int, default=150, help="simulated vehicles with a degradation")
    parser.add_argument("--stride-min", type=int, default=30, help="minutes between scored windows")
    parser.add_argument("--out", default=str(ARTIFACT))
    args = parser.parse_args()
    artifact = train(args.seed, args.healthy, args.degraded, args.stride_min)
    Path(args.out).write_text(json.dumps(artifact, indent=1) + "\n")
    for name, component in artifact["components"].items():
        print(f"{name}: test AUC {component['test_auc']}, precision@>0.8 {component['test_precision_above_0_8']}")


if __name__ == "__main__":
    main()
