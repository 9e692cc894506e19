import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import dtc


@pytest.mark.parametrize(
    "item, key",
    [
        ({"code": "P0217"}, "P0217"),
        ({"code": "p0a0f"}, "P0A0F"),
        ({"code": " U0100 "}, "U0100"),
        ({"code": "C1234"}, "C1234"),
        ({"code": "B3FFF"}, "B3FFF"),
    ],
)
def test_obd_codes(item, key):
    parsed = dtc.parse_dtc(item)
    assert parsed.form == "obd" and parsed.key == key
    assert parsed.to_item() == {"code": key}


@pytest.mark.parametrize(
    "item, code",
    [
        ({"code": "X0217"}, dtc.DTC_CODE_INVALID),  # no such system letter
        ({"code": "P4217"}, dtc.DTC_CODE_INVALID),  # first digit is 2 bits: 0-3
        ({"code": "P021"}, dtc.DTC_CODE_INVALID),
        ({"code": "P02G7"}, dtc.DTC_CODE_INVALID),
        ({"code": 217}, dtc.DTC_CODE_INVALID),
        ({}, dtc.DTC_CODE_INVALID),
        ("P0217", dtc.DTC_NOT_OBJECT),
        ({"code": "P0217", "spn": 1}, dtc.DTC_FORM_AMBIGUOUS),
        ({"spn": -1, "fmi": 0}, dtc.DTC_SPN_INVALID),
        ({"spn": 524288, "fmi": 0}, dtc.DTC_SPN_INVALID),  # 2^19
        ({"spn": True, "fmi": 0}, dtc.DTC_SPN_INVALID),
        ({"spn": 110, "fmi": 32}, dtc.DTC_FMI_INVALID),
        ({"spn": 110}, dtc.DTC_FMI_INVALID),
        ({"spn": 110, "fmi": 0, "oc": 128}, dtc.DTC_OC_INVALID),
        ({"spn": 110, "fmi": 0, "oc": 1.5}, dtc.DTC_OC_INVALID),
    ],
)
def test_invalid_codes(item, code):
    assert dtc.parse_dtc(item) == code


def test_j1939_boundaries_and_unavailable_count():
    top = dtc.parse_dtc({"spn": 524287, "fmi": 31, "oc": 126})
    assert (top.spn, top.fmi, top.occurrences) == (524287, 31, 126)
    unknown = dtc.parse_dtc({"spn": 110, "fmi": 0, "oc": 127})
    assert unknown.occurrences is None and unknown.to_item()["oc"] == 127
    assert dtc.parse_dtc({"spn": 110, "fmi": 0}).occurrences is None
    assert unknown.key == "spn110:fmi0"


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=10,
    )
)
def test_parse_dtc_never_raises(value):
    result = dtc.parse_dtc(value)
    assert isinstance(result, (str, dtc.Dtc))
