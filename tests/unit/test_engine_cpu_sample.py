"""ElastiCache EngineCPUUtilization from two INFO cpu samples of the local Redis (harness.runtime.metric_samplers)."""

from __future__ import annotations

from harness.runtime.metric_samplers import engine_cpu_percent


def test_engine_cpu_is_cpu_seconds_over_wall_seconds():
    assert engine_cpu_percent((100.0, 5.0), (160.0, 35.0)) == 50.0


def test_no_value_without_a_previous_sample_or_after_a_restart():
    assert engine_cpu_percent(None, (160.0, 35.0)) is None
    assert engine_cpu_percent((100.0, 50.0), (160.0, 1.0)) is None  # counter went back: Redis restarted
    assert engine_cpu_percent((100.0, 5.0), (100.0, 6.0)) is None


def test_capped_at_one_core():
    assert engine_cpu_percent((0.0, 0.0), (10.0, 12.0)) == 100.0
