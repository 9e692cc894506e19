"""Benchmark: an 8-day log of a long-haul driver (~10 duty-status changes a day, a 34-hour restart
in the middle) evaluated in
<= 1 ms (issue 4). The figure is read from the benchmark table, not asserted:
    .venv/bin/python -m pytest tests/bench/test_hos_bench.py --benchmark-enable
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.domain.hos import evaluate_log

START = datetime(2024, 4, 1, 5, tzinfo=UTC)
# One day: pre-trip, drive, fuel, drive, lunch, drive, deliver, drive, split-sleeper style evening.
DAY = [
    ("ON", 0.5),
    ("D", 3.5),
    ("ON", 0.25),
    ("D", 2.5),
    ("OFF", 0.5),
    ("D", 2),
    ("ON", 1),
    ("D", 2),
    ("OFF", 2),
    ("SB", 9.75),
]


WEEK = DAY * 5 + [("OFF", 24.5)] + DAY * 2


def eight_day_log():
    moment, events = START, []
    for status, hours in WEEK:
        events.append({"status": status, "at": moment.isoformat()})
        moment += timedelta(hours=hours)
    return events, moment


def test_eight_day_log_evaluation(benchmark):
    events, end = eight_day_log()
    assert len(events) == 71
    result = benchmark(evaluate_log, events, cycle="70/8", time_zone="America/Chicago", as_of=end)
    assert result.violations == []  # a legal week: the benchmark measures the common case
    assert result.available.cycle_s < 70 * 3600
