"""API Gateway REST API request matching (harness.apigateway.matching): pure logic, no server."""

from __future__ import annotations

from harness.apigateway.matching import Resource, Stage, match

POST = {"POST": {}}
API = Stage(
    "api1",
    "dev",
    "dep1",
    (
        Resource("/"),
        Resource("/v1"),
        Resource("/v1/notifications", POST),
        Resource("/fmcsa/v1/rod-pdf", POST),
        Resource("/vehicles/{vehicleId}", {"GET": {}, "DELETE": {}}),
        Resource("/vehicles/{vehicleId}/dtcs", POST),
        Resource("/vehicles/fleet", {"GET": {}}),
        Resource("/files/{proxy+}", {"ANY": {}}),
    ),
)


def _served(method: str, path: str):
    found = match([API], method, path)
    return (found.resource.path, found.method, found.path_parameters) if found else None


def test_a_defined_method_on_a_defined_resource_of_the_stage_is_served():
    assert _served("POST", "/dev/v1/notifications") == ("/v1/notifications", "POST", {})
    assert _served("POST", "/dev/fmcsa/v1/rod-pdf?draft=1") == ("/fmcsa/v1/rod-pdf", "POST", {})


def test_undefined_paths_methods_and_stages_are_not_served():
    assert _served("POST", "/dev/v1/rod-pdf") is None  # the PDF route lives under /fmcsa
    assert _served("GET", "/dev/v1/notifications") is None  # resource exists, method does not
    assert _served("POST", "/dev/v1") is None  # an intermediate resource without methods
    assert _served("POST", "/prod/v1/notifications") is None  # no such stage
    assert _served("POST", "/v1/notifications") is None  # no stage in the path at all
    assert _served("GET", "/dev") is None and _served("GET", "/dev/") is None  # root without methods


def test_path_parameters_match_one_segment_and_literals_win():
    assert _served("GET", "/dev/vehicles/VH-7") == ("/vehicles/{vehicleId}", "GET", {"vehicleId": "VH-7"})
    assert _served("GET", "/dev/vehicles/fleet") == ("/vehicles/fleet", "GET", {})
    assert _served("POST", "/dev/vehicles/VH%2F7/dtcs") == ("/vehicles/{vehicleId}/dtcs", "POST", {"vehicleId": "VH/7"})
    assert _served("GET", "/dev/vehicles/VH-7/extra") is None
    assert _served("GET", "/dev/vehicles/") is None  # a parameter is never empty


def test_the_best_resource_without_the_method_is_not_passed_over_for_a_less_specific_one():
    # /vehicles/fleet (GET only) wins over /vehicles/{vehicleId} (GET, DELETE): DELETE is 403.
    assert _served("DELETE", "/dev/vehicles/fleet") is None
    assert _served("DELETE", "/dev/vehicles/VH-7") == ("/vehicles/{vehicleId}", "DELETE", {"vehicleId": "VH-7"})


def test_a_greedy_parameter_takes_one_or_more_segments_and_any_takes_every_method():
    assert _served("DELETE", "/dev/files/a/b/c.pdf") == ("/files/{proxy+}", "ANY", {"proxy": "a/b/c.pdf"})
    assert _served("GET", "/dev/files/x") == ("/files/{proxy+}", "ANY", {"proxy": "x"})
    assert _served("GET", "/dev/files") is None and _served("GET", "/dev/files/") is None


def test_a_stage_name_shared_by_two_apis_serves_what_either_serves():
    other = Stage("api0", "dev", "dep9", (Resource("/status", {"GET": {}}),))
    assert match([API, other], "GET", "/dev/status").stage.api_id == "api0"
    assert match([API, other], "POST", "/dev/v1/notifications").stage.api_id == "api1"
