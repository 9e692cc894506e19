"""API Gateway: stage logging needs the account's CloudWatch role; prod deploys no mock of the
external APIs; every external API path the handlers call is a route the deployed stage serves (read
from the code and the plan, before any apply; a local run shows the same defect later, as the mock
answers only the stage's routes with API Gateway's 403 otherwise: docs/contracts.md, "External APIs
locally").
"""

from __future__ import annotations

from preflight.code import Handlers
from preflight.findings import Finding
from preflight.plan import Context


def _logging_on(ctx: Context) -> list[str]:
    on = [r["address"] for r in ctx.resources("aws_api_gateway_stage") if r["values"].get("access_log_settings")]
    for settings in ctx.resources("aws_api_gateway_method_settings"):
        level = ((settings["values"].get("settings") or [{}])[0]).get("logging_level", "OFF")
        if level not in (None, "OFF"):
            on.append(settings["address"])
    return on


def check_account_role(ctx: Context) -> list[Finding]:
    logging = _logging_on(ctx)
    if not logging:
        return []
    for account in ctx.resources("aws_api_gateway_account"):
        if account["values"].get("cloudwatch_role_arn") or ctx.unknown(account["address"]).get("cloudwatch_role_arn"):
            return []
    return [
        Finding(
            "api",
            address,
            "API Gateway logging is on, but no aws_api_gateway_account sets the account's CloudWatch role: "
            "apply fails (CloudWatch Logs role ARN must be set in account settings)",
            "add an IAM role trusted by apigateway.amazonaws.com that may write the API's log groups and "
            "aws_api_gateway_account { cloudwatch_role_arn = ... }; make the stage depend on it",
        )
        for address in logging
    ]


def check_routes(ctx: Context) -> list[Finding]:
    """Where the stack deploys no mock (external_api.mock false: prod calls the vendors' own APIs at
    external_api_urls), there is no stage to compare with: the vendors' paths are the contract in
    docs/data-model.md."""
    api = ctx.output("external_api")
    if api and api.get("mock") is False:
        return []
    functions = [r for r in ctx.resources("aws_lambda_function")]
    handlers = Handlers(ctx.repo_root)
    findings = []
    for function in functions:
        module = function["values"].get("handler", "").removeprefix("handlers.").removesuffix(".handler")
        for call in handlers.http_calls(module):
            base_key = call.setting.upper()
            if not api or base_key not in api.get("bases", {}):
                findings.append(
                    Finding(
                        "api",
                        function["address"],
                        f"{call.module}:{call.line} calls {call.method} {base_key}{call.path}, and the "
                        "plan does not say which API stage path that URL is",
                        "list the URL's base path in the external_api output (external_api_bases)",
                    )
                )
                continue
            route = f"{call.method} {api['bases'][base_key]}{call.path}"
            if route not in api.get("routes", []):
                findings.append(
                    Finding(
                        "api",
                        function["address"],
                        f"{call.module}:{call.line} calls {route} ({base_key} + {call.path}), which "
                        f"the stage does not serve (routes: {', '.join(api.get('routes', []))})",
                        "add the route to api_mocks in infra/tap_stack.tf, or fix the handler's path",
                    )
                )
    return findings


def check_no_mock_in_prod(ctx: Context) -> list[Finding]:
    """prod calls the vendors' APIs: a prod plan that deploys the unauthenticated mock (possible only
    with allow_placeholder_endpoints, which the harness sets for the local emulator) must not reach AWS."""
    api = ctx.output("external_api")
    if ctx.env != "prod" or not api or not api.get("mock"):
        return []
    addresses = [r["address"] for r in ctx.resources("aws_api_gateway_rest_api")] or ["output.external_api"]
    return [
        Finding(
            "api",
            address,
            "prod deploys the unauthenticated mock of the external APIs, and its functions send in-cab "
            "messages and FMCSA reports to it instead of the vendors",
            "set external_api_urls (TF_VAR_external_api_urls) to the vendors' https URLs; never set "
            "allow_placeholder_endpoints for AWS",
        )
        for address in addresses
    ]


def check(ctx: Context) -> list[Finding]:
    return check_account_role(ctx) + check_routes(ctx) + check_no_mock_in_prod(ctx)
