"""Prod Lambda cost per million records from measured CPU per record (benchmarks.lambda_cost)."""

from __future__ import annotations

import pytest

from benchmarks.lambda_cost import FULL_VCPU_MB, PRICE_PER_GB_S, cost_per_million_records, function_key


def test_function_names_map_to_their_tfvars_keys():
    keys = ["processor", "driver_notifier", "hos", "hos_report", "location"]
    assert function_key("fleettap-dev-driver-notifier", keys) == "driver_notifier"
    assert function_key("fleettap-prod-hos-report", keys) == "hos_report"
    assert function_key("fleettap-dev-hos", keys) == "hos"
    assert function_key("fleettap-dev-firehose-transform", keys) is None


def test_cost_scales_cpu_by_the_memory_share_of_a_vcpu_and_prices_gb_seconds():
    rows = {
        r.function: r
        for r in cost_per_million_records(
            "prod", {"cpu_ms_per_record": {"fleettap-dev-processor": 1.0, "fleettap-dev-predictive": 1.0}}
        )
    }
    processor, predictive = rows["processor"], rows["predictive"]
    assert processor.memory_mb == 1024 and predictive.memory_mb == 2048
    assert processor.billed_ms_per_record == pytest.approx(FULL_VCPU_MB / 1024, rel=1e-3)
    assert predictive.billed_ms_per_record == 1.0  # a full vCPU and more: no stretch
    assert predictive.compute_usd_per_million == pytest.approx(1e-3 * 2 * PRICE_PER_GB_S * 1e6)
    assert processor.request_usd_per_million > 0 and processor.usd_per_million > processor.compute_usd_per_million
