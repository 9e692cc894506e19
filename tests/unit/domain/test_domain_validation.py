import pytest

from handlers.domain import validation as v
from handlers.domain.validation import validate
from tests.unit.domain.domain_records import NOW_MS, build_record


def codes(result):
    return [(reason.code, reason.field) for reason in result.reasons]


@pytest.mark.parametrize("kind", ["diagnostics", "hos", "gps"])
def test_valid_records_pass_and_are_normalized(kind):
    result = validate(build_record(kind), now_ms=NOW_MS)
    assert result.ok, result.reasons
    assert result.reason_code is None
    assert result.record["ts_ms"] == NOW_MS - 30_000
    assert result.record["ts"] == "2026-11-25T17:59:30.000Z"


def test_normalization_canonicalizes_ts_and_dtcs():
    record = build_record(ts="2026-11-25T11:59:30-06:00", dtcs=[{"code": "p0217"}, {"spn": 1, "fmi": 2}])
    result = validate(record, now_ms=NOW_MS)
    assert result.ok
    assert result.record["ts"] == "2026-11-25T17:59:30.000Z"
    assert result.record["dtcs"] == [{"code": "P0217"}, {"spn": 1, "fmi": 2, "oc": 127}]
    assert record["dtcs"][0] == {"code": "p0217"}, "input must not be mutated"


def test_rejected_result_has_no_record():
    record = build_record()
    record["kind"] = "weather"
    result = validate(record, now_ms=NOW_MS)
    assert not result.ok and result.record is None
    assert ("KIND_INVALID", "kind") in codes(result)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"schema": "fleettap.telemetry/2"}, ("SCHEMA_UNSUPPORTED", "schema")),
        ({"record_id": ""}, ("FIELD_TYPE", "record_id")),
        ({"record_id": None}, ("FIELD_MISSING", "record_id")),
        ({"vehicle_id": "VH000123"}, ("ID_FORMAT", "vehicle_id")),
        ({"fleet_id": 1}, ("ID_FORMAT", "fleet_id")),
        ({"driver_id": "DR-12a"}, ("ID_FORMAT", "driver_id")),
        ({"vehicle_type": "bus"}, ("VEHICLE_TYPE_INVALID", "vehicle_type")),
        ({"vin": "1M8GDM9A1KP042788"}, ("VIN_CHECK_DIGIT", "vin")),
        ({"vin": "1M8GDM9AXKP04278"}, ("VIN_LENGTH", "vin")),
        ({"vin": None}, ("VIN_MISSING", "vin")),
        ({"ts": "2026-11-25 17:59:30"}, ("TS_INVALID", "ts")),
        ({"ts": None}, ("FIELD_MISSING", "ts")),
    ],
)
def test_common_field_reasons(overrides, expected):
    assert expected in codes(validate(build_record(**overrides), now_ms=NOW_MS))


def test_timestamp_skew_and_age_limits():
    just_ahead = build_record(ts="2026-11-25T18:05:00.000Z")  # +300 s: allowed
    too_far = build_record(ts="2026-11-25T18:05:00.001Z")
    oldest = build_record(ts="2026-11-18T18:00:00.000Z")  # exactly 7 days
    too_old = build_record(ts="2026-11-18T17:59:59.999Z")
    assert validate(just_ahead, now_ms=NOW_MS).ok
    assert codes(validate(too_far, now_ms=NOW_MS)) == [("TS_IN_FUTURE", "ts")]
    assert validate(oldest, now_ms=NOW_MS).ok
    assert codes(validate(too_old, now_ms=NOW_MS)) == [("TS_TOO_OLD", "ts")]
    assert validate(too_far, now_ms=NOW_MS, max_skew_s=600).ok
    assert validate(too_old, now_ms=NOW_MS, max_age_s=8 * 86400).ok


def test_driver_required_only_for_hos():
    assert validate(build_record("gps", driver_id=None), now_ms=NOW_MS).ok
    assert validate(build_record("diagnostics", driver_id=None), now_ms=NOW_MS).ok
    assert ("FIELD_MISSING", "driver_id") in codes(validate(build_record("hos", driver_id=None), now_ms=NOW_MS))


@pytest.mark.parametrize(
    "signal, low, high",
    [
        ("engine_rpm", 0, 8031.875),
        ("coolant_temp_c", -40, 215),
        ("fuel_level_pct", 0, 100),
        ("vehicle_speed_kph", 0, 255),
        ("engine_load_pct", 0, 125),
        ("throttle_pct", 0, 100),
        ("battery_v", 0, 36),
        ("odometer_km", 0, 526_385_151.875),
        ("engine_hours", 0, 210_554_060.75),
        ("fuel_used_l", 0, 2_105_540_607.5),
        ("fuel_rate_lph", 0, 3212.75),
    ],
)
def test_signal_range_boundaries(signal, low, high):
    for value in (low, high):
        assert validate(build_record(signals={signal: value}), now_ms=NOW_MS).ok, (signal, value)
    step = max(abs(high), 1) * 1e-9 + 0.001
    for value in (low - step, high + step):
        result = validate(build_record(signals={signal: value}), now_ms=NOW_MS)
        assert codes(result) == [("SIGNAL_OUT_OF_RANGE", f"signals.{signal}")], (signal, value)


@pytest.mark.parametrize("value", ["1500", True, None, float("nan"), float("inf"), [1], {"v": 1}])
def test_signal_type_checks(value):
    result = validate(build_record(signals={"engine_rpm": value, "battery_v": 13.8}), now_ms=NOW_MS)
    if value is None:
        assert result.ok and "engine_rpm" not in result.record["signals"]
    else:
        assert codes(result) == [("SIGNAL_TYPE", "signals.engine_rpm")]


def test_unknown_signal_and_container_types():
    assert ("SIGNAL_UNKNOWN", "signals.oil_temp_f") in codes(
        validate(build_record(signals={"oil_temp_f": 200}), now_ms=NOW_MS)
    )
    assert ("FIELD_TYPE", "signals") in codes(validate(build_record(signals=[1]), now_ms=NOW_MS))
    assert ("DTC_LIST_TYPE", "dtcs") in codes(validate(build_record(dtcs="P0217"), now_ms=NOW_MS))
    assert ("DIAGNOSTICS_EMPTY", "signals") in codes(validate(build_record(signals={}, dtcs=[]), now_ms=NOW_MS))
    bare = build_record()
    del bare["signals"], bare["dtcs"]
    assert codes(validate(bare, now_ms=NOW_MS)) == [("DIAGNOSTICS_EMPTY", "signals")]
    only_dtcs = build_record()
    del only_dtcs["signals"]
    assert validate(only_dtcs, now_ms=NOW_MS).ok


def test_dtc_reasons_carry_index():
    result = validate(build_record(dtcs=[{"code": "P0217"}, {"code": "Z9999"}, {"spn": 1, "fmi": 40}]), now_ms=NOW_MS)
    assert codes(result) == [("DTC_CODE_INVALID", "dtcs[1]"), ("DTC_FMI_INVALID", "dtcs[2]")]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"status": "DRIVING"}, ("HOS_STATUS_INVALID", "status")),
        ({"cycle": "80/8"}, ("HOS_CYCLE_INVALID", "cycle")),
        ({"time_zone": "Mars/Olympus"}, ("HOS_TIME_ZONE_INVALID", "time_zone")),
        ({"time_zone": "CST"}, ("HOS_TIME_ZONE_INVALID", "time_zone")),
        ({"time_zone": ["America/Chicago"]}, ("HOS_TIME_ZONE_INVALID", "time_zone")),
        ({"exceptions": ["personal_conveyance"]}, ("HOS_EXCEPTION_INVALID", "exceptions[0]")),
        ({"exceptions": "adverse_driving"}, ("FIELD_TYPE", "exceptions")),
        ({"status": None}, ("FIELD_MISSING", "status")),
        ({"lat": 90.5}, ("LAT_OUT_OF_RANGE", "lat")),
        ({"odometer_km": -1}, ("ODOMETER_OUT_OF_RANGE", "odometer_km")),
    ],
)
def test_hos_reasons(overrides, expected):
    assert expected in codes(validate(build_record("hos", **overrides), now_ms=NOW_MS))


@pytest.mark.parametrize("status", ["OFF", "SB", "D", "ON"])
def test_every_hos_status_is_accepted(status):
    assert validate(build_record("hos", status=status, cycle="60/7", exceptions=[]), now_ms=NOW_MS).ok


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"lat": -90.0001}, ("LAT_OUT_OF_RANGE", "lat")),
        ({"lon": 180.5}, ("LON_OUT_OF_RANGE", "lon")),
        ({"lat": "41.8"}, ("FIELD_TYPE", "lat")),
        ({"speed_kph": -3}, ("SPEED_OUT_OF_RANGE", "speed_kph")),
        ({"heading_deg": 360}, ("HEADING_OUT_OF_RANGE", "heading_deg")),
        ({"heading_deg": "N"}, ("FIELD_TYPE", "heading_deg")),
    ],
)
def test_gps_reasons(overrides, expected):
    assert expected in codes(validate(build_record("gps", **overrides), now_ms=NOW_MS))


def test_gps_extreme_but_valid_positions():
    for lat, lon in ((90, 180), (-90, -180), (0, 0)):
        assert validate(build_record("gps", lat=lat, lon=lon), now_ms=NOW_MS).ok


def test_decode_and_validate_maps_decode_errors_to_reasons():
    result = v.decode_and_validate(b"{oops", now_ms=NOW_MS)
    assert not result.ok and result.reason_code == "MALFORMED_JSON"
    from handlers.domain.telemetry import encode

    assert v.decode_and_validate(encode(build_record("gps")), now_ms=NOW_MS).ok


def test_every_reason_code_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "telemetry.md").read_text()
    missing = [code for code in v.ALL_REASON_CODES if f"`{code}`" not in doc]
    assert not missing


@pytest.mark.parametrize(
    "kind, field",
    [("diagnostics", "signals"), ("hos", "odometer_km"), ("gps", "speed_kph"), ("gps", "lat"), ("gps", "heading_deg")],
)
def test_integers_too_large_to_print_are_reported_not_raised(kind, field):
    huge = 10**5000  # repr() of this raises ValueError since Python 3.11
    value = {"engine_rpm": huge} if field == "signals" else huge
    result = validate(build_record(kind, **{field: value}), now_ms=NOW_MS)
    assert not result.ok and "too large" in result.reasons[0].detail
