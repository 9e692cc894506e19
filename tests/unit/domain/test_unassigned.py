"""The moving run behind unassigned driving (ELD spec 4.6.1.5: over 5 mph for more than a minute)."""

from handlers.domain.unassigned import MAX_GAP_MS, MovingRun, step


def test_a_run_qualifies_only_after_more_than_a_minute_over_5_mph():
    run = step(None, 0, 8.1)  # 5 mph = 8.047 km/h
    assert run == MovingRun(0, 0) and not run.qualifies
    run = step(run, 60_000, 90)
    assert run == MovingRun(0, 60_000) and not run.qualifies  # exactly a minute is not more
    assert step(run, 60_001, 90).qualifies


def test_slow_fix_gap_and_stale_fix():
    run = step(step(None, 0, 50), 30_000, 50)
    assert step(run, 60_000, 8.0) is None  # at or under 5 mph: stopped
    assert step(run, 60_000, None) is None
    assert step(run, 30_000 + MAX_GAP_MS + 1, 50) == MovingRun(30_000 + MAX_GAP_MS + 1, 30_000 + MAX_GAP_MS + 1)
    assert step(run, 10_000, 0) == run  # a redelivered or late fix changes nothing
