"""Service-level verdicts and percentiles of the load report, from hand-made worker messages."""

import math

import pytest

from loadtest.report import LoadAggregate, build_report, percentile


def _message(worker, at, sent, generated=None, throttled=0, dropped=0, done=False):
    return {
        "worker": worker,
        "at": at,
        "done": done,
        "sent": sent,
        "sent_bytes_total": 300 * sum(sent.values()),
        "generated": generated if generated is not None else sent,
        "throttled": throttled,
        "retries": 0,
        "dropped": dropped,
        "call_ms": [10.0, 20.0],
        "behind_s": 0.0,
        "send_s": 1.0,
    }


def _aggregate(messages, duration=10.0, factor=1.0):
    aggregate = LoadAggregate(start_at=1000.0, duration_s=duration, rate_factor=factor)
    for message in messages:
        aggregate.add(message)
    return aggregate


def _status(report, name):
    return next(s["status"] for s in report["slos"] if s["name"] == name)


def _report(aggregate, e2e=None, missed=0, dlq_start=None, dlq_end=None):
    return build_report(
        aggregate, e2e=e2e, e2e_missed=missed, dlq_start=dlq_start or {}, dlq_end=dlq_end or {}, settings={}
    )


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None


def test_on_schedule_run_passes():
    messages = [_message(0, 1000.0 + s, {"gps": 100}) for s in range(1, 11)]
    messages[-1]["done"] = True
    report = _report(_aggregate(messages), e2e={"gps": [0.5, 0.7, 0.9]}, dlq_start={"x-dlq": 2}, dlq_end={"x-dlq": 2})
    assert report["rates"]["target_per_s"] == 100.0
    assert report["rates"]["sent_per_s"] == 100.0
    assert report["passed"], report["slos"]
    assert report["e2e_s"]["gps"]["p95"] == 0.9


def test_falling_behind_fails_sent_rate():
    # 1,000 records due over 10 s, but the last report arrives at 20 s: half the target rate.
    messages = [_message(0, 1000.0 + 2 * s, {"gps": 100}) for s in range(1, 11)]
    report = _report(_aggregate(messages))
    assert _status(report, "sent rate / target") == "FAIL"
    assert report["sim_speed"] == pytest.approx(0.5)
    assert not report["passed"]


def test_throttles_dropped_records_and_dlq_growth_fail():
    messages = [_message(0, 1001.0, {"gps": 980}, generated={"gps": 1000}, throttled=20, dropped=20)]
    report = _report(_aggregate(messages, duration=1.0), dlq_start={"a-dlq": 0}, dlq_end={"a-dlq": 3})
    assert _status(report, "throttled entries") == "FAIL"  # 20 / 1,020 > 1 %
    assert _status(report, "dropped after retries") == "FAIL"
    assert _status(report, "DLQ growth") == "FAIL"
    assert report["dlq_growth"] == {"a-dlq": 3}


def test_missed_canaries_count_as_late():
    aggregate = _aggregate([_message(0, 1001.0, {"gps": 10})], duration=1.0)
    on_time = _report(aggregate, e2e={"gps": [0.2] * 19}, missed=0)
    assert _status(on_time, "end-to-end p95 s") == "PASS"
    # 2 of 20 never arrived: the 95th percentile lands on a missing one.
    late = _report(aggregate, e2e={"gps": [0.2] * 18}, missed=2)
    assert _status(late, "end-to-end p95 s") == "FAIL"
    assert late["slos"][3]["value"] == math.inf


def test_unmeasured_levels_are_not_applicable_not_passed():
    report = _report(_aggregate([_message(0, 1001.0, {"gps": 10})], duration=1.0))
    assert _status(report, "end-to-end p95 s") == "n/a"
    assert _status(report, "DLQ growth") == "n/a"
