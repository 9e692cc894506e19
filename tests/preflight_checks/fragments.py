"""Small hand-written `terraform show -json` plan documents for the preflight's unit tests."""

from __future__ import annotations

import json
from pathlib import Path

from preflight.plan import Context

REPO_ROOT = Path(__file__).resolve().parents[2]


def resource(address: str, values: dict, unknown: dict | None = None) -> dict:
    kind = address.split(".")[0]
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.split(".")[1].split("[")[0],
        "values": values,
        "_unknown": unknown or {},
    }


def plan(*resources: dict, outputs: dict | None = None, variables: dict | None = None) -> dict:
    return {
        "planned_values": {
            "root_module": {"resources": [{k: v for k, v in r.items() if k != "_unknown"} for r in resources]}
        },
        "resource_changes": [
            {
                "address": r["address"],
                "change": {"actions": ["create"], "after": r["values"], "after_unknown": r["_unknown"]},
            }
            for r in resources
        ],
        "output_changes": {k: {"actions": ["create"], "after": v} for k, v in (outputs or {}).items()},
        "variables": {k: {"value": v} for k, v in (variables or {}).items()},
    }


def context(document: dict, env: str = "prod", repo_root: Path = REPO_ROOT) -> Context:
    return Context(env, document, repo_root)


def function(key: str, *, timeout: int = 60, reserved: int = -1, module: str = "diagnostics_processor") -> dict:
    return resource(
        f'aws_lambda_function.this["{key}"]',
        {
            "function_name": f"fleettap-prod-{key}",
            "handler": f"handlers.{module}.handler",
            "timeout": timeout,
            "reserved_concurrent_executions": reserved,
        },
    )


def state_machine(definition: dict, **extra) -> dict:
    return resource("aws_sfn_state_machine.dot_reporting", {"definition": json.dumps(definition), **extra})
