"""Train the local predictive-maintenance model and write `harness/model/artifact.json`:
`python -m harness.model.train [--samples 4000] [--seed 7]`.

One-vs-rest logistic regressions (one per component of `degradation_data.COMPONENTS`) over the
handler's FEATURE_NAMES, trained on 75 % of the synthetic samples and scored (ROC AUC, precision of
confidence > 0.8) on the other 25 %; the scores are stored in the artifact.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from handlers.domain.predictive import FEATURE_NAMES, build_features

from harness.model import degradation_data
from harness.model.logistic import auc, fit, sigmoid
from harness.model.standardize import column_stats, standardize

ARTIFACT = Path(__file__).with_name("artifact.json")


def feature_rows(samples: list[degradation_data.Sample]) -> list[list[float]]:
    return [[build_features(s.records, s.history)[name] for name in FEATURE_NAMES] for s in samples]


def train(sample_count: int, seed: int) -> dict:
    samples = degradation_data.generate(sample_count, seed)
    rows = feature_rows(samples)
    split = int(len(rows) * 0.75)
    means, stds = column_stats(rows[:split])
    z_train = [standardize(r, means, stds) for r in rows[:split]]
    z_test = [standardize(r, means, stds) for r in rows[split:]]
    components = {}
    for component in degradation_data.COMPONENTS:
        labels = [int(s.failing_component == component) for s in samples]
        weights, bias = fit(z_train, labels[:split])
        scores = [sigmoid(sum(w * v for w, v in zip(weights, z)) + bias) for z in z_test]
        test_labels = labels[split:]
        confident = [label for score, label in zip(scores, test_labels) if score > 0.8]
        components[component] = {
            "weights": [round(w, 6) for w in weights], "bias": round(bias, 6),
            "test_auc": round(auc(scores, test_labels), 4),
            "test_precision_above_0_8": round(sum(confident) / len(confident), 4) if confident else None,
            "test_positives": sum(test_labels),
        }
    return {
        "model": "fleettap-local-predictive", "kind": "one-vs-rest logistic regression",
        "horizon_days": degradation_data.HORIZON_DAYS, "feature_names": list(FEATURE_NAMES),
        "means": [round(m, 6) for m in means], "stds": [round(s, 6) for s in stds],
        "components": components,
        "training": {"generator": "harness.model.degradation_data", "samples": sample_count, "seed": seed,
                     "trained_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(ARTIFACT))
    args = parser.parse_args()
    artifact = train(args.samples, args.seed)
    Path(args.out).write_text(json.dumps(artifact, indent=1) + "\n")
    for name, component in artifact["components"].items():
        print(f"{name}: test AUC {component['test_auc']}, precision@>0.8 {component['test_precision_above_0_8']}")


if __name__ == "__main__":
    main()
