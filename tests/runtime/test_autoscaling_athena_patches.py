"""Application Auto Scaling tags and Athena UpdateWorkGroup through boto3 against the emulator
(harness/emulator/patches/applicationautoscaling.py, athena.py): what Terraform's DynamoDB autoscaling
and a changed workgroup need to apply and re-plan cleanly."""

from __future__ import annotations

import json
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.runtime import fixture_function
from tests.runtime.helpers import create_stream, unique


def athena(runtime_stack, action: str, body: dict) -> dict:
    """An Athena call in the JSON protocol the AWS SDKs (Terraform's Go SDK included) send:
    this botocore models Athena as REST-JSON, which moto does not route."""
    request = AWSRequest(
        method="POST",
        url=runtime_stack.endpoint + "/",
        data=json.dumps(body).encode(),
        headers={"X-Amz-Target": f"AmazonAthena.{action}", "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials("test", "test"), "athena", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    with urllib.request.urlopen(prepared) as response:
        return json.loads(response.read() or b"{}")


def _provisioned_table(runtime_stack) -> str:
    name = unique("scaled")
    runtime_stack.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    return name


def test_scalable_target_tags_are_kept_listed_changed_and_removed(runtime_stack):
    scaling = runtime_stack.client("application-autoscaling")
    table = _provisioned_table(runtime_stack)
    arn = scaling.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
        MinCapacity=5,
        MaxCapacity=50,
        Tags={"Project": "fleettap", "Environment": "dev"},
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "fleettap", "Environment": "dev"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Owner": "ops"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "fleettap", "Owner": "ops"}


def test_update_work_group_changes_the_configuration_in_place(runtime_stack):
    name = unique("wg")
    athena(
        runtime_stack,
        "CreateWorkGroup",
        {
            "Name": name,
            "Configuration": {
                "ResultConfiguration": {"OutputLocation": "s3://results/a/"},
                "EnforceWorkGroupConfiguration": True,
            },
        },
    )
    athena(
        runtime_stack,
        "UpdateWorkGroup",
        {
            "WorkGroup": name,
            "Description": "analytics",
            "ConfigurationUpdates": {
                "BytesScannedCutoffPerQuery": 200 * 1024**3,
                "ResultConfigurationUpdates": {"OutputLocation": "s3://results/b/"},
            },
        },
    )
    group = athena(runtime_stack, "GetWorkGroup", {"WorkGroup": name})["WorkGroup"]
    assert group["Configuration"]["BytesScannedCutoffPerQuery"] == 200 * 1024**3
    assert group["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://results/b/"
    assert group["Configuration"]["EnforceWorkGroupConfiguration"] is True
    assert group["Description"] == "analytics"
    athena(
        runtime_stack,
        "UpdateWorkGroup",
        {"WorkGroup": name, "ConfigurationUpdates": {"RemoveBytesScannedCutoffPerQuery": True}},
    )
    group = athena(runtime_stack, "GetWorkGroup", {"WorkGroup": name})["WorkGroup"]
    assert "BytesScannedCutoffPerQuery" not in group["Configuration"]


def test_a_functions_mappings_are_listed_by_its_name_or_its_arn(runtime_stack, tmp_path):
    """harness/emulator/patches/lambda_.py: a mapping created with the function's ARN, as Terraform does."""
    lam = runtime_stack.client("lambda")
    name = unique("fn")
    arn = fixture_function.deploy(runtime_stack, name, str(tmp_path / "observed.jsonl"))
    stream_arn = create_stream(runtime_stack.client("kinesis"))
    created = lam.create_event_source_mapping(FunctionName=arn, EventSourceArn=stream_arn, StartingPosition="LATEST")
    lam.update_event_source_mapping(UUID=created["UUID"], Enabled=False)
    for function in (arn, name):
        listed = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        assert [m["UUID"] for m in listed] == [created["UUID"]], function
    assert lam.list_event_source_mappings(FunctionName="no-such-function")["EventSourceMappings"] == []
