"""loadtest.accounting: what a soak sent against what the stores hold (pure)."""

from collections import Counter

from loadtest.accounting import HeldRecords, SentRecords, account, render

START = 1_796_392_800_000  # 2026-12-04T14:00:00Z


def _sent() -> SentRecords:
    sent = SentRecords(start_ms=START, duration_s=600, vehicles=3)
    sent.per_second = {
        "gps": Counter({0: 3, 30: 3, 590: 3}),
        "diagnostics": Counter({0: 3, 60: 3, 599: 3}),
    }
    sent.hos_keys = {("DR-000001", START + 5_017), ("DR-000002", START + 70_004)}
    sent.last_fix_ms = {"VH-000001": START + 590_000, "VH-000002": START + 590_400, "VH-000003": START + 590_900}
    return sent


def _held(**changes) -> HeldRecords:
    held = HeldRecords(
        driver_log_keys={("DR-000001", START + 5_017), ("DR-000002", START + 70_004), ("DR-000009", START)},
        history_rows=9,
        lake_rows=9,
        lake_distinct=9,
        fix_ms={"VH-000001": START + 590_000, "VH-000002": START + 590_400, "VH-000003": START + 600_000},
        tail_from_ms=START + 300_000,
        tail_items={"vehicle_locations": 3, "vehicle_diagnostics": 3},
    )
    for name, value in changes.items():
        setattr(held, name, value)
    return held


def _row(result, store):
    (row,) = [r for r in result["rows"] if r["store"] == store]
    return row


def test_everything_held_once_is_accounted_for():
    result = account(_sent(), _held())
    assert result["passed"] and result["tail_counted"]
    assert _row(result, "driver_logs") == {
        "kind": "hos",
        "store": "driver_logs",
        "scope": "whole run",
        "sent": 2,
        "held": 2,  # an item of another driver in the window is not this run's
        "missing": 0,
        "extra": None,
    }
    assert _row(result, "vehicle_locations")["sent"] == 3 and _row(result, "vehicle_locations")["scope"] == "last 301 s"
    assert "vehicle_history" in "\n".join(render(result))


def test_a_record_missing_from_any_store_fails_the_run():
    sent = _sent()
    for changes, store in (
        ({"driver_log_keys": {("DR-000001", START + 5_017)}}, "driver_logs"),
        ({"history_rows": 8}, "vehicle_history"),
        ({"lake_rows": 8, "lake_distinct": 8}, "data lake"),
        ({"fix_ms": {"VH-000001": START + 590_000, "VH-000002": START + 589_000}}, "location state (Redis)"),
        ({"tail_items": {"vehicle_locations": 2, "vehicle_diagnostics": 3}}, "vehicle_locations"),
    ):
        result = account(sent, _held(**changes))
        assert not result["passed"], store
        assert _row(result, store)["missing"] >= 1, store


def test_a_doubled_lake_row_is_extra_and_fails_the_run():
    result = account(_sent(), _held(lake_rows=10))
    assert not result["passed"] and _row(result, "data lake")["extra"] == 1
    assert _row(result, "data lake")["missing"] == 0


def test_the_tail_is_whole_seconds_of_the_window_and_skipped_when_nothing_is_held():
    sent = _sent()
    assert sent.tail_start_ms(10) == START + 590_000 and sent.since("gps", START + 590_000) == 3
    assert sent.since("gps", START + 589_001) == 3 and sent.since("gps", START) == 9
    assert sent.end_ms == START + 601_000
    result = account(sent, _held(tail_from_ms=None, tail_items={}))
    assert result["passed"] and not result["tail_counted"]
    assert not {"vehicle_locations", "vehicle_diagnostics"} & {r["store"] for r in result["rows"]}
    assert "not counted" in render(result)[-1]
