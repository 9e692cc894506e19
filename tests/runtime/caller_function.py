"""A Lambda function that makes the AWS calls its event lists, with its own role's credentials.

Event: {"calls": [{"service": "sqs", "method": "send_message", "args": {...}}, ...]}. The answer lists,
per call, {"ok": true} or the error boto3 saw ({"code", "status", "message"}); with "raise": true a
failed call raises instead (a function error carrying AWS's message), as a handler's would.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

SOURCE = r"""
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    answers = []
    for call in event["calls"]:
        client = boto3.client(call["service"])
        try:
            getattr(client, call["method"])(**call["args"])
            answers.append({"ok": True})
        except ClientError as error:
            if event.get("raise"):
                raise
            answers.append({"code": error.response["Error"]["Code"],
                            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
                            "message": error.response["Error"].get("Message", "")})
    return answers
"""

LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("caller_fn.py", SOURCE)
    return buffer.getvalue()


def create_role(iam, statements: list[dict], trust: str = LAMBDA_TRUST) -> tuple[str, str]:
    """A new role with one inline policy of these statements: (role name, role ARN)."""
    name = f"caller-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(
            RoleName=name,
            PolicyName="grants",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    return name, arn


def deploy(stack, role_arn: str) -> str:
    name = f"caller-{uuid.uuid4().hex[:8]}"
    stack.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="caller_fn.handler",
        Code={"ZipFile": function_zip()},
        Timeout=30,
        MemorySize=256,
    )
    return name


def invoke(stack, name: str, calls: list[dict], raise_on_error: bool = False) -> tuple[bool, object]:
    """(function error?, payload)."""
    response = stack.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps({"calls": calls, "raise": raise_on_error}).encode()
    )
    return "FunctionError" in response, json.loads(response["Payload"].read())
