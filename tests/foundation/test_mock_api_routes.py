"""The mock external API answers only the routes of the API Gateway stages deployed in the emulator
(harness.mock_api + harness.apigateway), through the running local stack: the mock process reads the
emulator's REST APIs over HTTP, as it does under `make up`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests.support.rest_api import add_route, deploy_rest_api
from tests.support.waiting import wait_for

NOTIFY = {"notification_id": "n-1", "vehicle_id": "VH-1", "severity": "critical"}
ROUTES = {
    ("POST", "/v1/notifications"): ("202", "application/json", '{"status": "queued"}'),
    ("POST", "/fmcsa/v1/rod-pdf"): ("200", "application/pdf", "%PDF-1.4 canned"),
    ("GET", "/vehicles/{vehicleId}"): ("200", "application/json", '{"vehicle": "canned"}'),
    ("ANY", "/files/{proxy+}"): ("201", "text/plain", "stored"),
}


def _call(url: str, method: str = "POST", body: dict | None = None, key: str | None = None):
    """(status, headers, body bytes), for any status."""
    data = json.dumps(body).encode() if body is not None else (b"{}" if method in ("POST", "PUT") else None)
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def stage(aws_client, local_stack):
    """A REST API deployed to a stage of its own: (apigateway client, api id, mock URL of the stage)."""
    client = aws_client("apigateway")
    name = f"qa{uuid.uuid4().hex[:6]}"
    api_id = deploy_rest_api(client, f"routes-{name}", name, ROUTES)
    return client, api_id, f"{local_stack.mock_api_url}/{name}"


def _is_missing_token(answer) -> bool:
    status, headers, body = answer
    return (
        status == 403
        and json.loads(body) == {"message": "Missing Authentication Token"}
        and headers.get("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    )


def test_a_path_or_method_the_stage_does_not_serve_gets_missing_authentication_token(stage, mock_api_url):
    _, _, url = stage
    assert _is_missing_token(_call(f"{url}/v1/rod-pdf", body={"driver_id": "D1"}))  # the route is under /fmcsa
    assert _is_missing_token(_call(f"{url}/v1/notifications", method="GET"))  # no GET on the resource
    assert _is_missing_token(_call(f"{url}/v1", body=NOTIFY))  # an intermediate resource has no method
    assert _is_missing_token(_call(f"{url}/files", method="PUT"))  # {proxy+} needs a segment
    assert _is_missing_token(_call(f"{mock_api_url}/nostage/v1/notifications", body=NOTIFY, key="k0"))
    assert _is_missing_token(_call(f"{mock_api_url}/v1/notifications", body=NOTIFY, key="k0"))  # no stage part


def test_defined_routes_answer_with_the_vendor_behaviour_or_the_mock_integration(stage, mock_api_url):
    _, _, url = stage
    key = f"k-{uuid.uuid4().hex}"
    assert _call(f"{url}/v1/notifications", body=NOTIFY, key=key)[0] == 201
    assert _call(f"{url}/v1/notifications", body=NOTIFY, key=key)[0] == 200  # duplicate, stored once
    received = json.loads(_call(f"{mock_api_url}/admin/notifications", method="GET")[2])["notifications"]
    assert [n["idempotency_key"] for n in received].count(key) == 1
    status, headers, pdf = _call(f"{url}/fmcsa/v1/rod-pdf", body={"driver_id": "D1", "report_date": "2026-12-05"})
    assert status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF-")
    assert len(pdf) > 500  # rendered from the document, not the integration's canned bytes
    assert _call(f"{url}/vehicles/VH-9", method="GET")[::2] == (200, b'{"vehicle": "canned"}')
    assert _call(f"{url}/files/a/b.txt", method="DELETE")[::2] == (201, b"stored")


def test_a_method_added_without_a_new_deployment_is_not_served_until_deployed(stage):
    client, api_id, url = stage
    add_route(client, api_id, "PUT", "/v1/notifications", ("200", "application/json", '{"put": true}'))
    assert _is_missing_token(_call(f"{url}/v1/notifications", method="PUT"))
    client.create_deployment(restApiId=api_id, stageName=url.rsplit("/", 1)[1])
    assert wait_for(lambda: _call(f"{url}/v1/notifications", method="PUT")[0] == 200, 10, what="redeployed route")
    assert _call(f"{url}/v1/notifications", method="PUT")[2] == b'{"put": true}'
