"""Issue 18 #12: property-based fuzzing of every parser of outside input.

Each parser gets arbitrary input and may only succeed or raise its documented error:
- Kinesis records (handlers.common.records.telemetry_from_kinesis): PoisonRecord;
- DynamoDB stream images (events.dynamodb_new_image + anomaly_detector's record check): PoisonRecord;
- SQS bodies and SNS envelopes (events.sqs_message / sns_message): PoisonRecord;
- the HOS command (python -m handlers.domain.hos): exit 2 with a message, never a traceback;
- scenario YAML (scenario_runner.scenario.load): ValueError (or FileNotFoundError for a missing file).
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.common.errors import PoisonRecord
from handlers.common.events import dynamodb_new_image, sns_message, sqs_message
from handlers.common.records import telemetry_from_kinesis
from tests.unit.domain.domain_records import build_record

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=6)),
    max_leaves=25,
)


def _mutated_record(kind):
    """A valid record of `kind` with some fields replaced by arbitrary JSON values."""
    fields = st.sampled_from(sorted(set(build_record(kind)) | {"dtcs", "signals", "status", "annotation", "origin"}))
    return st.dictionaries(fields, json_values, max_size=4).map(lambda changes: {**build_record(kind), **changes})


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda r: json.dumps(r).encode(), _mutated_record("diagnostics")),
        st.builds(lambda r: json.dumps(r).encode(), _mutated_record("hos")),
        st.builds(lambda r: json.dumps(r).encode(), _mutated_record("gps")),
    ),
    kind=st.sampled_from(["diagnostics", "hos", "gps"]),
    encoded=st.booleans(),
)
def test_kinesis_records_parse_or_are_poison(data, kind, encoded):
    raw = {"kinesis": {"data": base64.b64encode(data).decode() if encoded else data.decode("latin-1")}}
    try:
        record = telemetry_from_kinesis(raw, kind)
    except PoisonRecord:
        return
    assert record["kind"] == kind and isinstance(record["ts_ms"], int)


@FUZZ
@given(raw=st.one_of(json_values, st.dictionaries(st.sampled_from(["kinesis", "data"]), json_values)))
def test_malformed_kinesis_envelopes_are_poison(raw):
    with pytest.raises(PoisonRecord):
        telemetry_from_kinesis(raw if isinstance(raw, dict) else {"kinesis": raw}, "gps")


attribute_values = st.recursive(
    st.one_of(
        st.builds(lambda s: {"S": s}, st.text(max_size=20)),
        st.builds(lambda n: {"N": n}, st.one_of(st.text(max_size=8), st.integers().map(str))),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"NULL": True}),
        json_values.map(lambda v: {"X": v}),
        json_values,
    ),
    lambda inner: st.one_of(
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=4)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    ),
    max_leaves=15,
)


@FUZZ
@given(image=st.one_of(json_values, st.dictionaries(st.text(max_size=12), attribute_values, max_size=6)))
def test_dynamodb_stream_images_parse_or_are_poison(image):
    raw = {"eventName": "INSERT", "dynamodb": {"NewImage": image}}
    try:
        dynamodb_new_image(raw)
    except PoisonRecord:
        pass


@FUZZ
@given(
    body=st.one_of(
        st.text(max_size=200),
        json_values.map(json.dumps),
        st.builds(
            lambda message, attrs: json.dumps({"Type": "Notification", "Message": message, "MessageAttributes": attrs}),
            st.one_of(st.text(max_size=100), json_values.map(json.dumps), json_values),
            json_values,
        ),
    ),
    attrs=json_values,
)
def test_sqs_bodies_and_sns_envelopes_parse_or_are_poison(body, attrs):
    try:
        message, attributes = sqs_message({"body": body, "messageAttributes": attrs})
    except PoisonRecord:
        return
    assert isinstance(message, dict) and isinstance(attributes, dict)


@FUZZ
@given(sns=st.one_of(json_values, st.dictionaries(st.sampled_from(["Message", "MessageAttributes"]), json_values)))
def test_sns_lambda_records_parse_or_are_poison(sns):
    try:
        message, attributes = sns_message({"Sns": sns})
    except PoisonRecord:
        return
    assert isinstance(message, dict) and isinstance(attributes, dict)


hos_events = st.lists(
    st.dictionaries(
        st.sampled_from(["status", "at", "lat", "lon", "origin", "annotation"]),
        st.one_of(
            json_values,
            st.sampled_from(["OFF", "SB", "D", "ON", "PC", "YM", "edit", "auto"]),
            st.datetimes().map(lambda d: d.isoformat() + "Z"),
        ),
        max_size=6,
    ),
    max_size=6,
)


@FUZZ
@given(
    document=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"events": hos_events},
            optional={
                "cycle": json_values,
                "ruleset": st.one_of(json_values, st.sampled_from(["us-property", "canada-south"])),
                "time_zone": st.one_of(json_values, st.just("America/Chicago")),
                "exceptions": json_values,
                "as_of": st.one_of(json_values, st.datetimes().map(lambda d: d.isoformat() + "Z")),
            },
        ),
    )
)
def test_the_hos_command_answers_or_exits_2_never_crashes(document):
    from handlers.domain.hos.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    code = main(io.StringIO(json.dumps(document)), out, err)
    assert code in (0, 2)
    assert (code == 0 and json.loads(out.getvalue())) or err.getvalue().startswith("error: ")


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=300), json_values.map(lambda v: json.dumps({"fleet": v})), json_values.map(json.dumps)
    )
)
def test_scenario_yaml_loads_or_raises_value_error(text, tmp_path_factory):
    from scenario_runner import scenario

    path = tmp_path_factory.mktemp("scn") / "fuzzed.yaml"
    path.write_text(text)
    try:
        scenario.load_path(path)
    except ValueError:
        pass
