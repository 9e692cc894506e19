import base64
import datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import telemetry
from handlers.domain.telemetry import RecordRejected, decode, encode, epoch_ms_to_iso, iso_to_epoch_ms


def test_decode_accepts_bytes_str_and_dict(make_record):
    record = make_record()
    raw = encode(record)
    assert decode(raw) == record
    assert decode(raw.decode()) == record
    assert decode(record) is record


def test_decode_accepts_base64_wrapped_json_as_in_kinesis_events(make_record):
    record = make_record("gps")
    assert decode(base64.b64encode(encode(record))) == record


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"{not json", telemetry.MALFORMED_JSON),
        (b"", telemetry.MALFORMED_JSON),
        (b"[1, 2]", telemetry.NOT_AN_OBJECT),
        (b"42", telemetry.NOT_AN_OBJECT),
        (b"\xff\xfe", telemetry.MALFORMED_JSON),
        ("\ud800", telemetry.MALFORMED_JSON),
        (12, telemetry.NOT_AN_OBJECT),
        (b"{" + b" " * telemetry.MAX_RECORD_BYTES + b"}", telemetry.TOO_LARGE),
    ],
)
def test_decode_rejects_with_reason_code(raw, code):
    with pytest.raises(RecordRejected) as caught:
        decode(raw)
    assert caught.value.reason_code == code


def test_encode_is_compact_json():
    assert encode({"a": 1, "b": [1.5]}) == b'{"a":1,"b":[1.5]}'
    assert orjson.loads(encode({"x": "é"})) == {"x": "é"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1970-01-01T00:00:00.000Z", 0),
        ("2026-11-25T18:00:00.123Z", 1795629600123),
        ("2026-11-25T12:00:00.123-06:00", 1795629600123),
        ("2026-11-25T18:00:00Z", 1795629600000),
        ("2026-11-25T18:00:00.1Z", 1795629600100),
        ("2026-11-25T18:00:00.123456Z", 1795629600123),
    ],
)
def test_iso_to_epoch_ms(text, expected):
    assert iso_to_epoch_ms(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "2026-11-25T18:00:00",
        "2026-11-25",
        "yesterday",
        "2026-13-25T18:00:00Z",
        "2026-02-30T00:00:00Z",
        None,
        17,
        # canonical length: the fast path must refuse these too
        "2026-02-30T00:00:00.000Z",
        "2026-11-25T24:00:00.000Z",
        "2026-11-25T18:60:00.000Z",
        "2026-11-25T18:00:00.0a0Z",
        "2026-11-25T18:00:00.\u0663\u0663\u0663Z".encode().decode("unicode_escape"),
        "2026-11-25X18:00:00.000Z",
        "20261125T18:00:00.000Z+",
    ],
)
def test_iso_to_epoch_ms_refuses_naive_or_invalid(bad):
    with pytest.raises(ValueError):
        iso_to_epoch_ms(bad)


@pytest.mark.parametrize("millis", [0, 1, 999, 1795629600123, 4102444799999])
def test_epoch_round_trip(millis):
    text = epoch_ms_to_iso(millis)
    assert text.endswith("Z") and len(text) == 24
    assert iso_to_epoch_ms(text) == millis


@settings(deadline=None)
@given(st.datetimes(min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(9999, 12, 31)))
def test_fast_and_general_parsers_agree(moment):
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000, tzinfo=datetime.UTC)
    expected = int(moment.timestamp()) * 1000 + moment.microsecond // 1000
    canonical = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    assert iso_to_epoch_ms(canonical) == expected
    assert iso_to_epoch_ms(canonical[:-1] + "+00:00") == expected
    assert epoch_ms_to_iso(expected) == canonical
