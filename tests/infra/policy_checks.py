"""Checks over `terraform show -json` documents: IAM least privilege and KMS everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from preflight.iam import NO_RESOURCE_LEVEL_ACTIONS  # "*" is the only Resource AWS accepts for these

IDENTITY_POLICY_TYPES = {"aws_iam_role_policy": "policy", "aws_iam_policy": "policy"}
RESOURCE_POLICY_TYPES = {
    "aws_s3_bucket_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_kms_key": "policy",
}


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def resources(document: dict) -> Iterator[dict]:
    """Every resource of a show -json document (state: values; plan: planned_values), child modules too."""
    root = (document.get("values") or document.get("planned_values") or {}).get("root_module", {})
    stack = [root]
    while stack:
        module = stack.pop()
        yield from module.get("resources", [])
        stack.extend(module.get("child_modules", []))


def statements(policy: str | None) -> list[dict]:
    if not policy:
        return []
    return as_list(json.loads(policy).get("Statement"))


def identity_policy_violations(statement: dict) -> list[str]:
    if statement.get("Effect", "Allow") != "Allow":
        return []
    problems = []
    actions = as_list(statement.get("Action"))
    if "NotAction" in statement:
        problems.append("NotAction grants everything else")
    for action in actions:
        if action == "*" or action.endswith(":*"):
            problems.append(f"wildcard action {action}")
    if "*" in as_list(statement.get("Resource")):
        broad = [a for a in actions if a not in NO_RESOURCE_LEVEL_ACTIONS]
        if broad:
            problems.append(f"Resource * for actions that support resource-level permissions: {broad}")
    return problems


def resource_policy_violations(statement: dict, resource_type: str) -> list[str]:
    if statement.get("Effect", "Allow") != "Allow":
        return []
    problems = []
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))):
        problems.append("Allow to any principal")
    for action in as_list(statement.get("Action")):
        if action == "*":
            problems.append("Action *")
        elif action.endswith(":*") and resource_type != "aws_kms_key":
            problems.append(f"wildcard action {action}")
    return problems
