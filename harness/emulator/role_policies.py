"""The emulator's IAM roles as the authorizer reads them: policy documents cached per role, trust checks.

Contract:
- `documents(account, role_name, partition)` -> the role's inline and attached managed policy
  documents (`authorization.role_policy_documents`), cached per role until IAM changes;
- `invalidate()` drops every cached answer; the IAM patches (`harness.emulator.patches.iam`) call
  it after every change to a role or a policy (PutRolePolicy, AttachRolePolicy, CreatePolicyVersion,
  UpdateAssumeRolePolicy, DeleteRole, ...), so a changed grant applies to the very next request;
  `generation()` counts the changes (callers key their own caches on it);
- `trust_refusal(role_arn, service)` -> None when the role exists and its trust policy lets the
  service principal (lambda.amazonaws.com) call sts:AssumeRole, else why not, in words. AWS refuses
  to assume a role whose trust policy does not name the service, so the local runtime does too.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from harness.emulator.authorization import evaluate, role_policy_documents

_cache: dict[tuple[str, str, str], list[Any]] = {}
_lock = threading.Lock()
_generation = 0


def documents(account: str, role_name: str, partition: str = "aws") -> list[Any]:
    key = (account, partition, role_name)
    found = _cache.get(key)
    if found is not None:
        return found
    start = _generation
    try:
        found = role_policy_documents(account, role_name, partition)
    except Exception:  # the role was deleted: it grants nothing
        found = []
    # Parsed once here, not per request (the evaluator accepts parsed documents).
    found = [json.loads(document) if isinstance(document, str) else document for document in found]
    with _lock:
        if _generation == start:  # IAM did not change while we read: safe to remember
            _cache[key] = found
    return found


def invalidate() -> None:
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


def generation() -> int:
    return _generation


def trust_refusal(role_arn: str, service: str = "lambda.amazonaws.com") -> str | None:
    """None if `service` may assume the role, else the reason (role missing, trust policy)."""
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("role/"):
        return f"{role_arn} is not an IAM role ARN"
    try:
        role = iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
    except Exception:
        return f"the role {role_arn} does not exist"
    document = role.assume_role_policy_document
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    naming = [s for s in statements if _names_service(s.get("Principal"), service)]
    if not evaluate([{"Statement": naming}], "sts:AssumeRole", role_arn).allowed:
        return (
            f"the trust policy of {role_arn} does not allow {service} to call sts:AssumeRole "
            f"(add a statement with Principal {{Service: {service}}}, Action sts:AssumeRole)"
        )
    return None


def _names_service(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    named = principal.get("Service", [])
    named = [named] if isinstance(named, str) else named
    everyone = principal.get("AWS", [])
    everyone = [everyone] if isinstance(everyone, str) else everyone
    return service in named or "*" in everyone
