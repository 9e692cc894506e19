"""Issue 18, defect 6: ids are ASCII only and match their pattern exactly (no Unicode digits,
no trailing newline), and so are the report writer's key parts and the ISO timestamp parser."""

import pytest

from handlers.domain import telemetry
from handlers.domain.validation import validate
from tests.unit.domain.domain_records import NOW_MS, build_record

NOT_ASCII_OR_NOT_EXACT = [
    "VH-\u0661\u0662\u0663",  # Arabic-Indic digits
    "VH-\uff11\uff12",  # fullwidth digits
    "VH-000123\n",
    "VH-000123\r\n",
    " VH-000123",
]


@pytest.mark.parametrize("value", NOT_ASCII_OR_NOT_EXACT)
def test_vehicle_id_must_be_ascii_and_exact(value):
    result = validate(build_record(vehicle_id=value), now_ms=NOW_MS)
    assert ("ID_FORMAT", "vehicle_id") in [(r.code, r.field) for r in result.reasons]


@pytest.mark.parametrize(("field", "value"), [("fleet_id", "FL-001\n"), ("driver_id", "DR-\u0967\u0968")])
def test_fleet_and_driver_ids_must_be_ascii_and_exact(field, value):
    result = validate(build_record("hos", **{field: value}), now_ms=NOW_MS)
    assert ("ID_FORMAT", field) in [(r.code, r.field) for r in result.reasons]


@pytest.mark.parametrize(
    "ts", ["2026-11-25T17:59:30Z\n", "\u0662026-11-25T17:59:30Z", "2026-11-25T17:59:30+0\u0661:00"]
)
def test_iso_timestamp_refuses_non_ascii_digits_and_trailing_newline(ts):
    with pytest.raises(ValueError):
        telemetry.iso_to_epoch_ms(ts)


@pytest.mark.parametrize(
    "message",
    [
        {"fleet_id": "FL-001\n", "report_date": "2026-11-25", "violation_id": "hv-1"},
        {"fleet_id": "FL-001", "report_date": "2026-11-25\n", "violation_id": "hv-1"},
        {"fleet_id": "FL-001", "report_date": "\u0662026-11-25", "violation_id": "hv-1"},
        {"fleet_id": "FL-001", "report_date": "2026-11-25", "violation_id": "hv-1\n"},
    ],
)
def test_report_key_parts_are_exact(message):
    from handlers.common.errors import PoisonRecord
    from handlers.hos_report_writer import report_key

    with pytest.raises(PoisonRecord):
        report_key(message)
