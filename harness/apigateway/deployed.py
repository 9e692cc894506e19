"""The REST API stages deployed in the emulator, read over its HTTP API (the mock external API runs
in a process of its own, so it cannot read moto's backend directly).

Contract: `DeployedStages(client_factory).match(method, path)` -> `matching.Match` or None, against
every stage of every REST API in the emulator's account and region: GetRestApis, GetStages, and per
stage its deployment's routes (GetDeployment with `embed=apisummary`: what the API held when it was
deployed, as AWS serves it), with the credentials `client_factory` gives (the stack's admin
credentials). `method(match)` -> the matched method as GetResources (`embed=methods`) describes it
now, integration included (moto keeps integrations per API, not per deployment). An emulator that
returns no `apiSummary` (LocalStack under `harness.compose`) is read as the API is now instead.

A request path names only the stage (`/<stage>/...`), not the API, which on AWS is the host name;
locally a path is served if any REST API has a stage of that name serving it.

Caching: the stages are reused for `ttl_s`; a request that matches nothing re-reads them first (at
most every `min_reread_s`), so a route deployed a moment ago answers at once and a removed one stops
answering within `ttl_s`. A deployment never changes, so its routes are read once per (API,
deployment id) and kept while a stage points at it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from harness.apigateway.matching import Match, Resource, Stage, match


class EmulatorUnavailable(RuntimeError):
    """The emulator could not be asked which stages are deployed."""


class DeployedStages:
    def __init__(self, client_factory: Callable[[], Any], ttl_s: float = 2.0, min_reread_s: float = 0.25) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self.ttl_s, self.min_reread_s = ttl_s, min_reread_s
        self._lock = threading.Lock()
        self._stages: list[Stage] = []
        self._read_at = float("-inf")
        self._deployments: dict[tuple[str, str], tuple[Resource, ...]] = {}

    def match(self, http_method: str, path: str) -> Match | None:
        found = match(self.stages(), http_method, path)
        if found is None and time.monotonic() - self._read_at >= self.min_reread_s:
            found = match(self.stages(reread=True), http_method, path)
        return found

    def stages(self, reread: bool = False) -> list[Stage]:
        with self._lock:
            if reread or time.monotonic() - self._read_at >= self.ttl_s:
                self._stages = self._read()
                self._read_at = time.monotonic()
            return self._stages

    def _read(self) -> list[Stage]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self._client is None:
                self._client = self._client_factory()
            stages: list[Stage] = []
            live: set[tuple[str, str]] = set()
            for api in self._paginate("get_rest_apis"):
                for stage in self._client.get_stages(restApiId=api["id"]).get("item", []):
                    key = (api["id"], stage.get("deploymentId", ""))
                    live.add(key)
                    if key not in self._deployments:
                        self._deployments[key] = self._routes(*key)
                    stages.append(Stage(api["id"], stage["stageName"], key[1], self._deployments[key]))
        except (BotoCoreError, ClientError) as error:
            raise EmulatorUnavailable(f"cannot read the API Gateway stages deployed in the emulator: {error}") from None
        for gone in set(self._deployments) - live:  # stages that moved on or APIs deleted
            del self._deployments[gone]
        return stages

    def _routes(self, api_id: str, deployment_id: str) -> tuple[Resource, ...]:
        deployment = self._client.get_deployment(restApiId=api_id, deploymentId=deployment_id, embed=["apisummary"])
        if "apiSummary" not in deployment:  # an emulator without the summary (LocalStack via compose): the API now
            return tuple(
                Resource(item["path"], dict(item.get("resourceMethods") or {}))
                for item in self._paginate("get_resources", restApiId=api_id, embed=["methods"])
            )
        return tuple(Resource(path, dict(methods)) for path, methods in deployment["apiSummary"].items())

    def method(self, found: Match) -> dict:
        """The matched method with its integration, as the API describes it now ({} when gone)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            items = self._paginate("get_resources", restApiId=found.stage.api_id, embed=["methods"])
        except (BotoCoreError, ClientError) as error:
            raise EmulatorUnavailable(f"cannot read API {found.stage.api_id} from the emulator: {error}") from None
        for item in items:
            if item["path"] == found.resource.path:
                return (item.get("resourceMethods") or {}).get(found.method) or {}
        return {}

    def _paginate(self, operation: str, **kwargs: Any) -> list[dict]:
        pages = self._client.get_paginator(operation).paginate(**kwargs)
        return [item for page in pages for item in page.get("items", [])]
