"""The sweep's per-size verdict: sustained only with schedule kept, flat lag and every canary in."""

from loadtest.probe import function_lag_s
from loadtest.sampling import cpu_percent
from loadtest.sweep import drained, render, summarize


def _report(lags, sent_status="PASS", missed=0):
    samples = [
        {
            "at": 100.0 + 10 * i,
            "lag_s": {"gps": lag},
            "function_lag_s": {"gps -> location": lag, "diag -> predictive": lag / 2},
        }
        for i, lag in enumerate(lags)
    ]
    return {
        "probe_samples": samples,
        "slos": [{"name": "sent rate / target", "status": sent_status}],
        "e2e_s": {"gps": {"p50": 1.0, "p95": 2.5}},
        "e2e_missed": missed,
        "rates": {"target_per_s": 30.0, "sent_per_s": 30.0},
        "cpu_pct": {"aws": {"p50": 71.0}},
        "dlq_growth": {},
        "settings": {"loadavg_end": (1, 1, 1)},
    }


def test_flat_lag_is_sustained_and_growing_lag_is_not():
    flat = summarize(600, _report([0.5, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 1.0]), lag_tolerance=2.0)
    assert flat["sustained"]
    growing = summarize(1200, _report([0, 5, 10, 15, 20, 25, 30, 35]), lag_tolerance=2.0)
    assert not growing["sustained"]
    assert growing["worst_consumer_at_end"] == {"mapping": "gps -> location", "lag_s": 35}
    assert "1,200" in render([flat, growing])


def test_falling_behind_or_lost_canaries_is_not_sustained():
    assert not summarize(600, _report([0.0] * 8, sent_status="FAIL"), 2.0)["sustained"]
    assert not summarize(600, _report([0.0] * 8, missed=1), 2.0)["sustained"]


def test_function_lag_names_stream_and_consumer():
    status = {
        "mappings": [
            {
                "source": "arn:aws:kinesis:us-east-1:1:stream/s-gps",
                "function": "arn:aws:lambda:us-east-1:1:function:f-location",
                "millis_behind_latest": 2500,
            }
        ]
    }
    assert function_lag_s(status) == {"s-gps -> f-location": 2.5}


def test_cpu_percent_between_snapshots():
    assert cpu_percent({"aws": 10.0}, {"aws": 15.0, "new": 1.0}, 10.0) == {"aws": 50.0, "new": 10.0}
    assert cpu_percent({}, {"aws": 1.0}, 0.0) == {}


def test_drained_needs_a_fresh_status_with_no_lag_and_empty_work_queues():
    def status(behind_ms):
        return {
            "mappings": [
                {
                    "source": "arn:aws:kinesis:us-east-1:1:stream/s-gps",
                    "function": "f",
                    "millis_behind_latest": behind_ms,
                }
            ]
        }

    assert drained(status(0), {"s-alerts": 0})
    assert not drained(status(2500), {"s-alerts": 0})
    assert not drained(status(0), {"s-alerts": 3})
    assert not drained(None, {"s-alerts": 0})  # stale or missing status: not evidence of a drained stack
    assert not drained(status(0), None)  # queue depths unreadable


def test_the_ceiling_line_names_the_largest_sustained_size_and_the_first_that_failed():
    from loadtest.sweep import DEFAULT_SIZES, build_parser, ceiling_line

    flat = summarize(600, _report([0.5, 1.0] * 4), lag_tolerance=2.0)
    growing = summarize(1200, _report([0, 5, 10, 15, 20, 25, 30, 35]), lag_tolerance=2.0)
    line = ceiling_line([flat, growing])
    assert line.startswith("ceiling: 600 vehicles sustained, 30.0 records/s (e2e p95 2.5 s)")
    assert "1,200 vehicles (30.0 records/s sent) was not" in line
    assert ceiling_line([growing]).startswith("ceiling: below 1,200 vehicles")
    sizes = [int(s) for s in build_parser().parse_args([]).sizes.split(",")]
    assert sizes == list(DEFAULT_SIZES) == sorted(DEFAULT_SIZES) and sizes[-1] == 234_000
