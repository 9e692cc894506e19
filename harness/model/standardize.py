"""Feature standardisation shared by training and serving: missing/NaN -> the training mean."""

from __future__ import annotations

import math


def column_stats(rows: list[list[float]]) -> tuple[list[float], list[float]]:
    means, stds = [], []
    for column in zip(*rows):
        present = [v for v in column if v is not None and math.isfinite(v)]
        mean = sum(present) / len(present) if present else 0.0
        variance = sum((v - mean) ** 2 for v in present) / len(present) if present else 0.0
        means.append(mean)
        stds.append(math.sqrt(variance) or 1.0)
    return means, stds


def standardize(row: list[float | None], means: list[float], stds: list[float]) -> list[float]:
    return [0.0 if v is None or not math.isfinite(v) else (v - m) / s for v, m, s in zip(row, means, stds)]
