"""The emulator's injected faults (harness/emulator/patches/faults.py), through boto3 against an
in-process emulator: off by default, switched at runtime, scoped to callers and actions, seeded."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.emulator import patches
from harness.emulator.patches import faults
from tests.support.moto_server import moto_server_in_process


@pytest.fixture(scope="module")
def endpoint(monkeypatch_module) -> Iterator[str]:
    patches.apply_all()
    with moto_server_in_process() as url:
        try:
            yield url
        finally:
            faults.clear()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    patch = pytest.MonkeyPatch()
    # Another test's stack may have left AWS_ENDPOINT_URL behind (helper-common "known trap").
    patch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.setenv("FLEETTAP_IAM_ENFORCEMENT", "off")
    yield patch
    patch.undo()


def client(endpoint: str, service: str, key: str = "test"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def control(endpoint: str, method: str, document: dict | None = None) -> dict:
    data = json.dumps(document).encode() if document is not None else None
    request = urllib.request.Request(endpoint + "/_fleettap/faults", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_off_by_default_then_functions_throttled_and_admin_untouched(endpoint):
    assert control(endpoint, "GET")["services"] == {}
    admin = client(endpoint, "dynamodb")
    admin.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    function = client(endpoint, "dynamodb", key="ASIAFUNCTIONSESSION1")
    function.put_item(TableName="t", Item={"k": {"S": "before"}})

    state = control(endpoint, "POST", {"seed": 1, "services": {"dynamodb": {"rate": 1.0}}})
    assert state["services"]["dynamodb"]["callers"] == "functions"
    with pytest.raises(ClientError) as refused:
        function.put_item(TableName="t", Item={"k": {"S": "during"}})
    assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    admin.put_item(TableName="t", Item={"k": {"S": "admin"}})  # the runner's own calls pass
    function.describe_table(TableName="t")  # not a listed action
    assert control(endpoint, "GET")["injected"] == {"dynamodb": 1}

    control(endpoint, "DELETE")
    function.put_item(TableName="t", Item={"k": {"S": "after"}})
    keys = {item["k"]["S"] for item in admin.scan(TableName="t")["Items"]}
    assert keys == {"before", "admin", "after"}


def test_kinesis_for_every_caller_and_sns_publish_failures(endpoint):
    kinesis = client(endpoint, "kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    sns = client(endpoint, "sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    control(
        endpoint,
        "POST",
        {"services": {"kinesis": {"rate": 1.0, "callers": "all"}, "sns": {"rate": 1.0}}},
    )
    with pytest.raises(ClientError) as throttled:
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "p"}])
    assert throttled.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    with pytest.raises(ClientError) as failed:
        client(endpoint, "sns", key="ASIAFUNCTIONSESSION2").publish(TopicArn=topic, Message="m")
    assert failed.value.response["Error"]["Code"] == "InternalError"
    sns.publish(TopicArn=topic, Message="admin")  # sns defaults to function callers
    control(endpoint, "DELETE")
    kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "p"}])


def test_a_rate_refuses_a_seeded_share():
    faults.configure({"seed": 5, "services": {"sns": {"rate": 0.3}}})
    first = [faults.should_refuse("sns", "Publish", "ASIA1") for _ in range(1000)]
    faults.configure({"seed": 5, "services": {"sns": {"rate": 0.3}}})
    assert [faults.should_refuse("sns", "Publish", "ASIA1") for _ in range(1000)] == first
    assert 250 < sum(first) < 350
    faults.clear()


def test_bad_settings_are_refused_with_the_reason(endpoint):
    for document in ({"services": {"s3": {"rate": 1}}}, {"services": {"sns": {"rate": 2}}}):
        with pytest.raises(urllib.error.HTTPError) as bad:
            control(endpoint, "POST", document)
        assert bad.value.code == 400
        assert "error" in json.loads(bad.value.read())
