"""Property tests: nothing raises on arbitrary JSON, and accepted records really are in range."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import telemetry
from handlers.domain.validation import SIGNAL_RANGES, ValidationResult, decode_and_validate, validate
from tests.unit.domain.domain_records import NOW_MS, build_record

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
field_names = st.sampled_from(
    list(build_record("diagnostics"))
    + ["status", "cycle", "time_zone", "exceptions", "lat", "lon", "speed_kph", "heading_deg"]
)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(json_values)
def test_validate_never_raises_on_arbitrary_json(value):
    result = validate(value, now_ms=NOW_MS)
    assert isinstance(result, ValidationResult)
    assert result.ok == (not result.reasons) == (result.record is not None)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_decode_and_validate_never_raises_on_bytes(raw):
    result = decode_and_validate(raw, now_ms=NOW_MS)
    assert isinstance(result, ValidationResult)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.sampled_from(["diagnostics", "hos", "gps"]), st.dictionaries(field_names, json_values, max_size=4))
def test_mutating_valid_records_never_raises(kind, overrides):
    record = build_record(kind)
    record.update(overrides)
    result = validate(record, now_ms=NOW_MS)
    for reason in result.reasons:
        assert reason.code.isupper() and isinstance(reason.field, str)


@settings(deadline=None, max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(sorted(SIGNAL_RANGES)),
        st.floats(allow_nan=True, allow_infinity=True) | st.integers(),
        min_size=1,
    )
)
def test_accepted_signals_are_finite_and_in_range(signals):
    result = validate(build_record(signals=signals, dtcs=[]), now_ms=NOW_MS)
    all_in_range = all(
        math.isfinite(value) and SIGNAL_RANGES[name].low <= value <= SIGNAL_RANGES[name].high
        for name, value in signals.items()
    )
    assert result.ok == all_in_range
    if result.ok:
        assert result.record["signals"] == signals


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(st.integers(min_value=-10 * 86400 * 1000, max_value=10 * 86400 * 1000))
def test_timestamp_window_property(offset_ms):
    ts = telemetry.epoch_ms_to_iso(NOW_MS + offset_ms)
    result = validate(build_record("gps", ts=ts), now_ms=NOW_MS)
    assert result.ok == (-7 * 86400 * 1000 <= offset_ms <= 300 * 1000)
