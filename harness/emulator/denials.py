"""AccessDenied as each AWS service answers it: error code, HTTP status and body in its protocol.

Contract: `denial_error(service, denied, response_headers)` -> the exception the emulator raises in
place of the request (moto turns it into the response), with AWS's message (`AccessDenied.message`:
the assumed-role ARN, the action and the resource). `service` is the credential scope's signing name.
Headers the protocol needs go into `response_headers` (moto's response keeps them).

| service | code | status |
|---|---|---|
| DynamoDB, Kinesis, Lambda, States, Secrets Manager, KMS, Firehose, Glue, Athena | AccessDeniedException | 400 |
| SQS (JSON: `__type` AccessDeniedException, header `x-amzn-query-error: AccessDenied;Sender`) | AccessDenied | 403 |
| SNS | AuthorizationError | 403 |
| S3 | AccessDenied | 403 |
| CloudWatch, STS and the other query/XML services | AccessDenied | 403 |
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import InvalidClientTokenIdError, JsonRESTError
from moto.core.exceptions import _RESTError as RESTError  # moto 5.2: the XML (query) error base
from moto.s3.exceptions import S3ClientError

from harness.emulator.authorization import AccessDenied

JSON_SERVICES = {
    "dynamodb",
    "kinesis",
    "lambda",
    "states",
    "secretsmanager",
    "kms",
    "firehose",
    "glue",
    "athena",
    "sagemaker",
    "runtime.sagemaker",
    "logs",
    "events",
}


class _JsonDenied(JsonRESTError):
    code = 400


class _SqsDenied(JsonRESTError):
    code = 403


class _QueryDenied(RESTError):
    code = 403


def denial_error(service: str, denied: AccessDenied, response_headers: dict[str, Any]) -> Exception:
    message = denied.message
    if service == "s3":
        return S3ClientError("AccessDenied", message)  # 403 from S3's service model
    if service == "sqs":
        # SQS speaks JSON but keeps its query-protocol error codes in this header (botocore reads it).
        response_headers["x-amzn-query-error"] = "AccessDenied;Sender"
        response_headers["Content-Type"] = "application/x-amz-json-1.0"
        return _SqsDenied("com.amazonaws.sqs#AccessDeniedException", message)
    if service in JSON_SERVICES:
        response_headers["x-amzn-ErrorType"] = "AccessDeniedException"
        return _JsonDenied("AccessDeniedException", message)
    if service == "sns":
        return _QueryDenied("AuthorizationError", message)
    return _QueryDenied("AccessDenied", message)


def invalid_token_error(service: str) -> Exception:
    """A session key the emulator did not issue (or a wrong session token), as AWS refuses it."""
    if service == "s3":
        return S3ClientError("InvalidToken", "The provided token is malformed or otherwise invalid.")
    return InvalidClientTokenIdError()
