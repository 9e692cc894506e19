"""Binary logistic regression in pure Python (no numpy in the harness), fitted by Newton's method
(iteratively reweighted least squares) with a small L2 penalty; inputs are standardised first."""

from __future__ import annotations

import math


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small: features + 1)."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for row in range(col + 1, n):
            factor = a[row][col] / a[col][col]
            for k in range(col, n + 1):
                a[row][k] -= factor * a[col][k]
    solution = [0.0] * n
    for row in range(n - 1, -1, -1):
        solution[row] = (a[row][n] - sum(a[row][k] * solution[k] for k in range(row + 1, n))) / a[row][row]
    return solution


def fit(rows: list[list[float]], labels: list[int], l2: float = 1.0, iterations: int = 25) -> tuple[list[float], float]:
    """Weights and bias for standardised rows."""
    width = len(rows[0]) + 1  # last column is the bias
    beta = [0.0] * width
    augmented = [row + [1.0] for row in rows]
    for _ in range(iterations):
        gradient = [0.0] * width
        hessian = [[0.0] * width for _ in range(width)]
        for x, y in zip(augmented, labels):
            p = sigmoid(sum(b * v for b, v in zip(beta, x)))
            w = max(p * (1 - p), 1e-9)
            error = p - y
            for i in range(width):
                gradient[i] += error * x[i]
                xi_w = x[i] * w
                row = hessian[i]
                for j in range(i, width):
                    row[j] += xi_w * x[j]
        for i in range(width):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
            if i < width - 1:  # no penalty on the bias
                hessian[i][i] += l2
                gradient[i] += l2 * beta[i]
        step = _solve(hessian, gradient)
        beta = [b - s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta[:-1], beta[-1]


def auc(scores: list[float], labels: list[int]) -> float:
    """Area under the ROC curve (probability a positive outranks a negative)."""
    ranked = sorted(zip(scores, labels))
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = sum(rank for rank, (_, label) in enumerate(ranked, start=1) if label == 1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
