"""API Gateway logging needs the account CloudWatch role; handlers' external paths are routes."""

from __future__ import annotations

from preflight import api
from tests.preflight_checks.fragments import context, function, plan, resource

STAGE = resource("aws_api_gateway_stage.external", {"stage_name": "prod", "access_log_settings": [{"format": "{}"}]})
SETTINGS = resource("aws_api_gateway_method_settings.external", {"settings": [{"logging_level": "INFO"}]})


def test_stage_logging_without_the_account_role_is_a_finding_for_each_logging_resource():
    findings = api.check_account_role(context(plan(STAGE, SETTINGS)))
    assert sorted(f.address for f in findings) == [
        "aws_api_gateway_method_settings.external",
        "aws_api_gateway_stage.external",
    ]
    account = resource("aws_api_gateway_account.this", {}, unknown={"cloudwatch_role_arn": True})
    assert api.check_account_role(context(plan(STAGE, SETTINGS, account))) == []


def test_no_logging_needs_no_account_role():
    quiet = resource("aws_api_gateway_stage.external", {"stage_name": "prod", "access_log_settings": []})
    assert api.check_account_role(context(plan(quiet))) == []


def _routes(routes: list[str]):
    document = plan(
        function("driver_notifier", module="driver_notifier"),
        function("dot_report", module="dot_reporting"),
        outputs={"external_api": {"bases": {"TELEMATICS_API_URL": "", "PDF_API_URL": "/fmcsa"}, "routes": routes}},
    )
    return api.check_routes(context(document))


def test_paths_the_handlers_call_must_be_routes_of_the_stage():
    # The stack before the fix: POST /notifications and POST /fmcsa only.
    missing = _routes(["POST /notifications", "POST /fmcsa"])
    assert sorted(f.problem.split(" calls ")[1].split(" (")[0] for f in missing) == [
        "POST /fmcsa/v1/rod-pdf",
        "POST /v1/notifications",
    ]
    assert _routes(["POST /v1/notifications", "POST /fmcsa/v1/rod-pdf"]) == []


def test_a_url_setting_without_a_known_base_path_is_a_finding():
    document = plan(function("driver_notifier", module="driver_notifier"))
    assert api.check_routes(context(document))


def test_no_route_check_where_no_mock_is_deployed():
    """prod calls the vendors' APIs (external_api_urls): no stage, so no route to compare with."""
    document = plan(
        function("driver_notifier", module="driver_notifier"),
        outputs={"external_api": {"mock": False, "bases": {}, "routes": []}},
    )
    assert api.check_routes(context(document)) == []
    deployed = plan(
        function("driver_notifier", module="driver_notifier"),
        outputs={"external_api": {"mock": True, "bases": {"TELEMATICS_API_URL": ""}, "routes": []}},
    )
    assert api.check_routes(context(deployed))


def test_the_mock_in_a_prod_plan_is_a_finding():
    """Only allow_placeholder_endpoints (the local emulator) lets a prod plan carry the mock."""
    rest_api = resource("aws_api_gateway_rest_api.external[0]", {"name": "fleettap-prod-external-telematics"})
    mock = {"external_api": {"mock": True, "bases": {"TELEMATICS_API_URL": ""}, "routes": []}}
    findings = api.check_no_mock_in_prod(context(plan(rest_api, outputs=mock)))
    assert [f.address for f in findings] == ["aws_api_gateway_rest_api.external[0]"]
    assert api.check_no_mock_in_prod(context(plan(rest_api, outputs=mock), env="staging")) == []
    vendors = {"external_api": {"mock": False, "bases": {}, "routes": []}}
    assert api.check_no_mock_in_prod(context(plan(outputs=vendors))) == []
