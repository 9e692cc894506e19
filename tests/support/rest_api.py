"""Deploy a REST API with MOCK integrations to the emulator through boto3, the calls Terraform's
aws_api_gateway_* resources make (CreateRestApi, CreateResource per path part, PutMethod,
PutIntegration, PutMethodResponse, PutIntegrationResponse, CreateDeployment with a stage).

Contract: `deploy_rest_api(client, name, stage, routes)` -> the API id; `routes` maps
(method, resource path) to (status, content type, response body), the MOCK integration's answer.
`add_route(client, api_id, method, path, answer)` adds one without deploying it.
"""

from __future__ import annotations

import json


def _resource_id(client, api_id: str, path: str) -> str:
    """The id of the resource at `path`, creating the missing path parts."""
    by_path = {r["path"]: r["id"] for r in client.get_resources(restApiId=api_id, limit=500)["items"]}
    current = "/"
    for part in [p for p in path.split("/") if p]:
        child = current.rstrip("/") + "/" + part
        if child not in by_path:
            by_path[child] = client.create_resource(restApiId=api_id, parentId=by_path[current], pathPart=part)["id"]
        current = child
    return by_path[current]


def add_route(client, api_id: str, method: str, path: str, answer: tuple[str, str, str]) -> None:
    status, content_type, body = answer
    resource = _resource_id(client, api_id, path)
    client.put_method(restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE")
    client.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod=method,
        type="MOCK",
        requestTemplates={"application/json": json.dumps({"statusCode": int(status)})},
    )
    client.put_method_response(restApiId=api_id, resourceId=resource, httpMethod=method, statusCode=status)
    client.put_integration_response(
        restApiId=api_id,
        resourceId=resource,
        httpMethod=method,
        statusCode=status,
        responseTemplates={content_type: body},
    )


def deploy_rest_api(client, name: str, stage: str, routes: dict[tuple[str, str], tuple[str, str, str]]) -> str:
    api_id = client.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]
    for (method, path), answer in routes.items():
        add_route(client, api_id, method, path, answer)
    client.create_deployment(restApiId=api_id, stageName=stage)
    return api_id
