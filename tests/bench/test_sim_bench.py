"""Generator throughput (pytest-benchmark; timings are reported, never asserted).

`pytest tests/bench/test_sim_bench.py --benchmark-enable` prints records/s for a 2,340-vehicle
slice (1 % of the fleet); `python -m benchmarks.sim_bench` measures the whole 234k fleet and peak memory.
"""

from benchmarks.sim_bench import measure
from sim.config import SimConfig
from sim.fleet import Fleet
from sim.sinks import NullSink

SLICE = 2_340
SIMULATED_S = 120


def _run_slice() -> int:
    fleet = Fleet.build(SimConfig(vehicles=SLICE, duration_s=SIMULATED_S, start="2026-11-23T15:00:00Z"), seed=1)
    sink = NullSink()
    for batch in fleet.batches():
        sink.send(batch)
    return sink.stats.records


def test_generator_slice_throughput(benchmark):
    records = benchmark(_run_slice)
    # every vehicle: 4 GPS fixes and 2 diagnostics in 120 s, plus its duty-status records
    assert records >= SLICE * (SIMULATED_S // 30 + SIMULATED_S // 60)
    assert records < SLICE * (SIMULATED_S // 30 + SIMULATED_S // 60 + 15)


def test_bench_script_reports_rate_and_memory():
    result = measure(vehicles=600, duration_s=60)
    assert result["records"] + result["first_tick_records"] == sum(result["by_kind"].values())
    assert result["simulated_s"] == 59  # the first tick is timed apart
    assert result["nominal_records_per_sim_s"] == 600 // 30 + 600 // 60
    assert result["records_per_s"] > 0 and result["peak_rss_mb"] > 0
    assert result["run_cpu_s"] > 0 and result["real_time_factor_cpu"] > 0
