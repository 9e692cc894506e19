"""Soak samples with known figures (the shape loadtest.soak.sample_stack writes, plus the load
run's live figures), for the load/soak page tests."""

from __future__ import annotations

TARGET = 190.0


def samples(count: int = 40, growth_mib_per_s: float = 0.0) -> list[dict]:
    result = []
    for k in range(count):
        t = k * 10.0
        result.append(
            {
                "t": t,
                "load": {
                    "rate": TARGET - 5 + (k % 3) * 5,
                    "e2e_p50_s": 0.8,
                    "e2e_p95_s": 1.6 + 0.01 * k,
                    "e2e_p99_s": 2.4,
                    "throttled": 0,
                    "dropped": 0,
                },
                "lag_s": {"fleettap-dev-gps": 0.5, "fleettap-dev-hos": 0.1},
                "mapping_lag_s": {
                    "fleettap-dev-gps -> fleettap-dev-location": 0.5 + 0.1 * (k % 4),
                    "fleettap-dev-hos -> fleettap-dev-hos": 0.1,
                },
                "rss_mib": {"aws": 400 + growth_mib_per_s * t, "redis": 12.0},
                "memory": {
                    "aws": {"main_mib": 300 + growth_mib_per_s * t + (k % 2), "shm_mib": 0.0, "environments": {}},
                    "redis": {"main_mib": 12.0, "shm_mib": 0.0, "environments": {}},
                },
                "dlqs": {"fleettap-dev-location-dlq": 0, "fleettap-dev-hos-dlq": 1 if k > 30 else 0},
            }
        )
    return result
