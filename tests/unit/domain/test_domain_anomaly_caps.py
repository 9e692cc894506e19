"""Issue 18 #4 and #8: per-record alert cap with one summary alert; dedupe that covers replays."""

from handlers.domain import anomaly, telemetry
from handlers.domain.anomaly import Anomaly, dedupe
from handlers.domain.validation import decode_and_validate
from tests.unit.domain.domain_records import NOW_MS, build_record

MINUTE = 60_000


def _many_dtcs(n):
    """n distinct generic powertrain codes P0000.. in one record (fits the 64 KiB record limit)."""
    return [{"code": f"P{i // 4096 % 4}{i % 4096:03X}"} for i in range(n)]


def test_one_record_with_thousands_of_dtcs_raises_a_capped_number_of_alerts_and_one_summary():
    record = build_record(dtcs=_many_dtcs(3800))
    raw = telemetry.encode(record)
    assert len(raw) <= 64 * 1024
    result = decode_and_validate(raw, now_ms=NOW_MS)
    assert result.ok, result.reasons[:3]
    thresholds = anomaly.resolve_thresholds(anomaly.DEFAULT_THRESHOLD_ITEMS, "VH-000123", "tractor")
    found = anomaly.evaluate(result.record, thresholds)
    assert len(found) <= 16  # was 3,800: one SNS alert, work order and notification each
    assert len(found) == anomaly.MAX_ALERTS_PER_RECORD
    summary = [a for a in found if a.rule == anomaly.SUMMARY_RULE]
    assert len(summary) == 1
    kept = len(found) - 1
    assert summary[0].value == 3800 - kept  # how many alerts it stands for
    assert "omitted" in summary[0].message


def test_a_record_under_the_cap_is_unchanged():
    record = build_record(dtcs=_many_dtcs(3))
    result = decode_and_validate(telemetry.encode(record), now_ms=NOW_MS)
    thresholds = anomaly.resolve_thresholds(anomaly.DEFAULT_THRESHOLD_ITEMS, "VH-000123", "tractor")
    found = anomaly.evaluate(result.record, thresholds)
    assert all(a.rule != anomaly.SUMMARY_RULE for a in found) and len(found) >= 3


def _hot(ts_ms, severity="high"):
    return Anomaly(
        "threshold:coolant_temp_c",
        "coolant_temp_c",
        112.0,
        110.0,
        severity,
        "hot",
        anomaly.bucket_start_ms(ts_ms, 900),
        "VH-000123",
        ts_ms,
    )


def test_dedupe_state_outlives_the_replay_horizon():
    assert anomaly.STATE_TTL_S >= 8 * 86400  # Kinesis retention (7 d max) + the 7-day age limit's margin


def test_a_replayed_reading_of_an_earlier_episode_changes_nothing():
    t0 = NOW_MS
    _, state = dedupe(None, _hot(t0, "warning"), t0)  # episode 1
    _, state = dedupe(state, _hot(t0 + 60 * MINUTE, "warning"), t0 + 60 * MINUTE)  # episode 2 (quiet > 15 min)
    replay = _hot(t0 + MINUTE, "critical")  # a reading of episode 1, delivered again later
    decision, after = dedupe(state, replay, replay.ts_ms)
    assert decision == anomaly.SUPPRESS
    assert after == state
