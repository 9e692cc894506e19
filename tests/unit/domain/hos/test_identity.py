"""handlers.domain.hos.identity: a violation keeps its id while late records move its start."""

from datetime import UTC, datetime, timedelta

from handlers.domain.hos import Violation
from handlers.domain.hos.identity import MOVED, NEW, UNCHANGED, KnownViolation, reconcile

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)


def _v(start_h, end_h, rule="DRIVING_11"):
    return Violation(rule, T0 + start_h * H, T0 + end_h * H, "normal", int((end_h - start_h) * 3600))


def _known(start_h, end_h, rule="DRIVING_11", vid="hv-a"):
    v = _v(start_h, end_h, rule)
    return KnownViolation(vid, rule, v.start, v.end, v.over_s, "2026-12-01", "r1")


def test_new_when_nothing_of_the_rule_overlaps():
    assert reconcile([], _v(0, 1)) == (NEW, None)
    assert reconcile([_known(0, 1, rule="WINDOW_14")], _v(0, 1))[0] == NEW
    assert reconcile([_known(3, 4)], _v(0, 1))[0] == NEW


def test_unchanged_when_the_start_holds_and_the_end_grows():
    known = _known(0, 1)
    verdict, match = reconcile([known], _v(0, 2))
    assert (verdict, match) == (UNCHANGED, known)
    assert match.grown(_v(0, 2)).end == T0 + 2 * H and match.grown(_v(0, 2)).revision == 0


def test_moved_keeps_the_id_and_records_the_history():
    known = _known(1, 2)
    verdict, match = reconcile([known], _v(0, 2))
    assert verdict == MOVED
    revised = match.revised(_v(0, 2), "r2")
    assert (revised.violation_id, revised.revision, revised.start) == ("hv-a", 1, T0)
    assert revised.history == (known.snapshot(),)
    assert KnownViolation.from_dict(revised.to_dict()) == revised


def test_the_earliest_announced_of_several_overlapping_wins_in_any_order():
    a, b = _known(0, 1, vid="hv-a"), _known(1.5, 3, vid="hv-b")
    assert reconcile([b, a], _v(0.5, 2))[1] == reconcile([a, b], _v(0.5, 2))[1] == a
