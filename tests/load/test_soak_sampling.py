"""Soak measurements: slope test, RSS of a process tree, pid discovery from the state dir."""
import json
import os
import subprocess
import sys
import time

import pytest

from sim.soak import evaluate, vehicles_for_rate
from sim.soak_sampling import least_squares_slope, memory_sample, stack_processes, start_token, trend


def test_slope_of_a_line_and_of_noise():
    assert least_squares_slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert least_squares_slope([(0, 5.0), (1, 4.0), (2, 5.0), (3, 4.0)]) == pytest.approx(-0.2)
    assert least_squares_slope([(0, 1.0)]) == 0.0


def test_trend_flat_within_tolerance_and_growing_beyond():
    steady = [(t, 200 + (t % 3)) for t in range(0, 600, 10)]  # MiB with sawtooth noise
    assert trend("rss", steady, absolute=16, relative=0.05).flat
    leaking = [(t, 200 + t * 0.1) for t in range(0, 600, 10)]  # +0.1 MiB/s
    leak = trend("rss", leaking, absolute=16, relative=0.05)
    assert not leak.flat
    # warm-up (first 20 % of the window) is left out of the fit
    assert leak.growth == pytest.approx(0.1 * (590 - 118), rel=0.05)


def test_trend_ignores_warmup_ramp():
    ramp_then_flat = [(t, min(t, 100) * 1.0) for t in range(0, 1000, 10)]
    assert trend("rss", ramp_then_flat, absolute=1.0, warmup_fraction=0.2).flat


def test_memory_sample_counts_children(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(60 * 2**20); time.sleep(30)"])
    try:
        for _ in range(50):  # wait until the child has allocated
            alone = memory_sample({"me": child.pid}).get("me", 0)
            if alone > 60:
                break
            time.sleep(0.1)
        tree = memory_sample({"test": os.getpid()})["test"]
        assert alone > 60
        assert tree > alone  # this process plus its 60 MiB child
    finally:
        child.kill()
        child.wait()


def test_stack_processes_skip_reused_pids(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    me = os.getpid()
    (pids / "emulator.pid").write_text(json.dumps({"service": "emulator", "pid": me, "start_token": start_token(me)}))
    (pids / "redis.pid").write_text(json.dumps({"service": "redis", "pid": me, "start_token": "1"}))
    (tmp_path / "stack.json").write_text(json.dumps({"pids": {"postgres": me, "gone": 0}}))
    assert stack_processes(tmp_path) == {"emulator": me, "postgres": me}


def test_evaluate_flags_growth_and_dlqs():
    samples = [{"t": t, "rss_mib": {"emulator": 300 + t}, "dlqs": {"a-dlq": t // 100}, "lag_s": {"s": 0.5}}
               for t in range(0, 600, 10)]
    verdict = evaluate(samples, {"passed": True, "e2e_timeline": [[t, 0.3] for t in range(60)]})
    assert verdict["checks"] == {"memory flat": False, "lag flat": True, "e2e latency flat": True,
                                 "DLQs do not grow": False, "load service levels": True}
    assert not verdict["passed"]


def test_vehicles_for_rate_uses_contract_rates():
    # 234,000 vehicles send 7,800 + 3,900 + 32.5 records/s
    assert vehicles_for_rate(11_732.5) == 234_000


def test_memory_judged_after_the_emulator_retention(tmp_path):
    from sim.soak import emulator_retention_s

    # The emulator fills up for one retention period (600 s), then holds: data, not a leak.
    samples = [{"t": t, "rss_mib": {"aws": 400 + min(t, 600) * 0.5}} for t in range(0, 1800, 15)]
    assert not evaluate(samples, None)["checks"]["memory flat"]  # the first 20 % (357 s) is too short here
    verdict = evaluate(samples, None, retention_s=600)
    assert verdict["checks"]["memory flat"]
    assert verdict["memory_warmup_fraction"] == pytest.approx(660 / 1785, abs=0.01)
    # Still growing after the retention: a leak.
    leaking = [{"t": t, "rss_mib": {"aws": 400 + t * 0.1}} for t in range(0, 1800, 15)]
    assert not evaluate(leaking, None, retention_s=300)["checks"]["memory flat"]

    assert emulator_retention_s(tmp_path) is None
    (tmp_path / "emulator.json").write_text(json.dumps({"local_retention_s": 300.0}))
    assert emulator_retention_s(tmp_path) == 300.0
    (tmp_path / "emulator.json").write_text(json.dumps({"local_retention_s": None}))
    assert emulator_retention_s(tmp_path) is None
