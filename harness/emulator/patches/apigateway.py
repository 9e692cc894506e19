"""API Gateway: a deployment keeps the routes it was made from (GetDeployment `embed=apisummary`)."""

from __future__ import annotations

import json
from typing import Any

from moto.apigateway.models import RestAPI
from moto.apigateway.responses import APIGatewayResponse

from harness.emulator.patches.registry import patch


@patch(target=RestAPI.create_deployment)
def snapshot_routes(fn: Any, self: RestAPI, name: str, description: str, stage_variables: Any = None) -> Any:
    """API Gateway CreateDeployment: the deployment records the API's resources and methods.

    Gap: moto's deployment is a bare id; its stage serves whatever the API holds now, while on AWS a
    stage serves the snapshot its deployment took, so a method created without a new deployment
    answers 403 there. The mock external API (harness.mock_api) must serve what AWS would.
    Fix: keep {resource path: {method: summary}} on the deployment, as of its creation.
    """
    deployment = fn(self, name, description, stage_variables)
    deployment.fleettap_api_summary = {
        resource.get_path(): {
            method_type: {"authorizationType": method.authorization_type, "apiKeyRequired": method.api_key_required}
            for method_type, method in resource.resource_methods.items()
        }
        for resource in self.resources.values()
    }
    return deployment


@patch(target=APIGatewayResponse.get_deployment)
def get_deployment_api_summary(fn: Any, self: APIGatewayResponse) -> str:
    """API Gateway GetDeployment: `embed=apisummary` returns `apiSummary`.

    Gap: moto ignores `embed` and never returns `apiSummary`, the deployed routes (path -> method ->
    authorizationType, apiKeyRequired) that AWS returns with it.
    Fix: add the routes recorded at CreateDeployment (`snapshot_routes`) when `apisummary` is embedded.
    """
    body = json.loads(fn(self))
    embedded = {value for values in self.querystring.get("embed", []) for value in values.split(",")}
    if "apisummary" in embedded:
        _, _, api_id, _, deployment_id = self.path.split("?")[0].split("/")[:5]
        deployment = self.backend.get_deployment(api_id, deployment_id)
        body["apiSummary"] = getattr(deployment, "fleettap_api_summary", {})
    return json.dumps(body)
