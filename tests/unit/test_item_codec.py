"""handlers.common.aws.to_item/from_item encode the common types directly (a CPU cut per record);
for every input they must give what boto3's TypeSerializer/TypeDeserializer path gives, errors
included. Property-based: arbitrary JSON-like values, floats with exponents, NaN and Infinity,
integers past DynamoDB's 38 digits, and arbitrary number strings."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handlers.common import aws

CODEC = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # NaN, +-Infinity, -0.0, subnormals, exponents
    st.text(max_size=20),
    st.binary(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


def _outcome(call, *args) -> str:
    """The result or the error type, as text (a NaN read from a malformed number equals itself)."""
    try:
        result = call(*args)
    except Exception as exc:  # the same error type on both paths is the contract
        return f"error {type(exc).__name__}"
    return f"ok {result!r} {_types(result)!r}"


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def _boto_to_item(value: dict) -> dict:
    return {k: aws._ser.serialize(aws._ddb_safe(v)) for k, v in value.items() if v is not None}


def _boto_from_item(item: dict) -> dict:
    return {k: aws._plain(aws._deser.deserialize(v)) for k, v in item.items()}


@CODEC
@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_to_item_matches_boto3(item):
    assert _outcome(aws.to_item, item) == _outcome(_boto_to_item, item)


@CODEC
@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_from_item_of_an_encoded_item_matches_boto3(item):
    try:
        encoded = _boto_to_item(item)
    except Exception:
        return  # test_to_item_matches_boto3 covers the errors
    assert _outcome(aws.from_item, encoded) == _outcome(_boto_from_item, encoded)


number_text = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,45}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,3})?\Z"),
    st.text(max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@CODEC
@given(number_text)
@example("1" * 39)  # past 38 significant digits: boto3's context raises (Rounded/Inexact)
@example("-" + "9" * 30 + "." + "9" * 9)
@example("0.5")
@example("-0.0")
@example("--5")
@example("\u0661\u0662")  # Arabic-Indic digits: str.isdigit, not a DynamoDB number
def test_numbers_read_as_boto3_reads_them(text):
    item = {"n": {"N": text}}
    assert _outcome(aws.from_item, item) == _outcome(_boto_from_item, item)


def test_the_direct_paths_are_taken_for_the_common_types():
    """Not a fallback in disguise: the direct encoding of a typical reading builds no Decimal."""
    reading = {"vehicle_id": "VH-1", "ts": 1796657654193, "speed": 88.5, "ok": True, "tags": ["a", None]}
    encoded = aws.to_item(reading)
    assert encoded == {
        "vehicle_id": {"S": "VH-1"},
        "ts": {"N": "1796657654193"},
        "speed": {"N": "88.5"},
        "ok": {"BOOL": True},
        "tags": {"L": [{"S": "a"}, {"NULL": True}]},
    }
    assert aws.from_item(encoded) == {**reading, "speed": 88.5}
    assert not any(isinstance(v, Decimal) for v in aws.from_item(encoded).values())
