"""The external API stage the handler tests call through the mock: a REST API in the emulator with
one POST route per HTTP call the handlers make, as `make preflight` reads them from the code
(preflight.code.Handlers.http_calls), deployed to a stage named like the test environment.

Handler tests check what a handler does with the API's answers; whether the routes Terraform deploys
match the handlers' paths is for `make preflight` (preflight/api.py) and the end-to-end scenarios,
which run against the stage tap_stack.tf deploys. Both URL settings get the stage URL with no base
path (Terraform mounts the PDF API under /fmcsa; the handlers do not see the difference).
"""

from __future__ import annotations

from pathlib import Path

from preflight.code import Handlers
from tests.support.rest_api import deploy_rest_api

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSWER = ("200", "application/json", "{}")  # unused: the mock's vendor behaviour answers these routes


def handler_routes() -> set[tuple[str, str]]:
    handlers = Handlers(REPO_ROOT)
    return {(call.method, call.path) for module in handlers.module_names() for call in handlers.http_calls(module)}


def deploy_handler_api(client, name: str, stage: str) -> str:
    """Deploy the handlers' routes; returns the API id."""
    return deploy_rest_api(client, name, stage, {route: ANSWER for route in sorted(handler_routes())})
