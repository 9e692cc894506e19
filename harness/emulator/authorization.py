"""IAM authorization as AWS evaluates identity-based policies, shared by the emulator and the runtime.

The emulator's HTTP hook (requests signed with a function's role credentials) and the runtime's
service integrations (Step Functions calling Lambda, EventBridge starting an execution, Firehose
writing S3, event source mappings reading their source) ask the same question here:
`authorize(account, role, action, resource)` raises `AccessDenied` unless the role may do it.

The evaluation is AWS's for identity-based policies in one account:
- an explicit `Deny` in any policy wins;
- otherwise some `Allow` statement must match the action, the resource and its conditions;
- otherwise the request is denied implicitly ("no identity-based policy allows").
Actions match case-insensitively with `*` and `?` wildcards; resources match case-sensitively with
the same wildcards; `NotAction` and `NotResource` are honoured. Conditions are evaluated for the
operators and keys the caller supplies in `context`; a condition key the caller cannot know (it is
not in `context`) counts as satisfied in an `Allow` and as not satisfied in a `Deny`, so the local
answer errs toward allowing only where the emulator has no way to tell (docs/contracts.md).

Checks beyond the identity policy (the KMS key a resource is encrypted with, for example) register
in `RELATED_CHECKS`: each gets the action and resource and returns further (action, resource) pairs
that the same principal must also be allowed, evaluated the same way.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# (action, resource, account, region) -> further (action, resource) pairs the principal needs.
RelatedCheck = Callable[[str, str, str, str], list[tuple[str, str]]]
RELATED_CHECKS: list[RelatedCheck] = []


@dataclass(frozen=True)
class Principal:
    """The caller: an assumed role session (what a function's credentials are)."""

    account: str
    role_name: str
    session_name: str = ""
    partition: str = "aws"

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"

    @property
    def arn(self) -> str:
        session = self.session_name or self.role_name
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.role_name}/{session}"

    @classmethod
    def of_role_arn(cls, role_arn: str, session_name: str = "") -> Principal:
        parts = role_arn.split(":")
        return cls(account=parts[4], role_name=parts[5].split("/")[-1], session_name=session_name, partition=parts[1])


class AccessDenied(Exception):
    """AWS's AccessDenied for an identity-based policy, with AWS's message (principal, action, resource)."""

    def __init__(self, principal: Principal, action: str, resource: str, explicit: bool) -> None:
        self.principal = principal
        self.action = action
        self.resource = resource
        self.explicit = explicit
        super().__init__(self.message)

    @property
    def message(self) -> str:
        why = (
            "with an explicit deny in an identity-based policy"
            if self.explicit
            else f"because no identity-based policy allows the {self.action} action"
        )
        return (
            f"User: {self.principal.arn} is not authorized to perform: {self.action} on resource: {self.resource} {why}"
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False
    matched: tuple[str, ...] = field(default=(), compare=False)  # Sids (or indexes) of the deciding statements


def evaluate(
    policies: Iterable[Mapping[str, Any] | str], action: str, resource: str, context: Mapping[str, Any] | None = None
) -> Decision:
    """AWS's decision for one action on one resource under these identity-based policy documents."""
    context = context or {}
    allows: list[str] = []
    for document in policies:
        parsed = json.loads(document) if isinstance(document, str) else document
        statements = parsed.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        for index, statement in enumerate(statements):
            if not _applies(statement, action, resource, context):
                continue
            label = str(statement.get("Sid") or index)
            if statement.get("Effect") == "Deny":
                return Decision(False, True, (label,))
            if statement.get("Effect") == "Allow":
                allows.append(label)
    return Decision(bool(allows), False, tuple(allows))


def authorize(
    principal: Principal,
    action: str,
    resource: str,
    region: str,
    context: Mapping[str, Any] | None = None,
    policies: list[Mapping[str, Any] | str] | None = None,
) -> None:
    """Raise `AccessDenied` unless the principal may do `action` on `resource` (and what it implies)."""
    if policies is None:
        policies = role_policy_documents(principal.account, principal.role_name, principal.partition)
    decision = evaluate(policies, action, resource, context)
    if not decision.allowed:
        raise AccessDenied(principal, action, resource, decision.explicit_deny)
    for check in RELATED_CHECKS:
        for related_action, related_resource in check(action, resource, principal.account, region):
            related = evaluate(policies, related_action, related_resource, context)
            if not related.allowed:
                raise AccessDenied(principal, related_action, related_resource, related.explicit_deny)


def role_policy_documents(account: str, role_name: str, partition: str = "aws") -> list[str]:
    """The role's inline and attached managed policy documents, as the emulator holds them now."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account][partition]
    documents = [backend.get_role_policy(role_name, name)[1] for name in backend.list_role_policies(role_name)]
    attached, _ = backend.list_attached_role_policies(role_name)
    for policy in attached:
        default = next(version for version in policy.versions if version.is_default)
        documents.append(default.document)
    return documents


# -- matching ---------------------------------------------------------------------------------


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]) -> bool:
    if "NotAction" in statement:
        if _any_match(statement["NotAction"], action, case_sensitive=False):
            return False
    elif not _any_match(statement.get("Action", []), action, case_sensitive=False):
        return False
    if "NotResource" in statement:
        if _any_match(statement["NotResource"], resource, case_sensitive=True):
            return False
    elif "Resource" in statement and not _any_match(statement["Resource"], resource, case_sensitive=True):
        return False
    return _conditions_hold(statement.get("Condition") or {}, context, statement.get("Effect") == "Allow")


def _any_match(patterns: str | list[str], value: str, case_sensitive: bool) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    return any(_pattern(pattern, case_sensitive).match(value) for pattern in patterns)


@lru_cache(maxsize=4096)
def _pattern(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    # IAM wildcards are only `*` and `?`; fnmatch's `[...]` classes must not apply, so escape them.
    escaped = pattern.replace("[", "[[]")
    return re.compile(fnmatch.translate(escaped), 0 if case_sensitive else re.IGNORECASE)


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, Any], is_allow: bool) -> bool:
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            actual = _context_value(context, key)
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                if operator == "Null":
                    holds = str(expected).lower() == "true"
                else:
                    holds = is_allow  # unknowable locally: err toward the statement not deciding a denial
                if not holds:
                    return False
                continue
            holds = _operator_holds(operator.removesuffix("IfExists"), actual, expected)
            if not (is_allow if holds is None else holds):
                return False
    return True


def _context_value(context: Mapping[str, Any], key: str) -> Any:
    for name, value in context.items():
        if name.lower() == key.lower():
            return value
    return None


def _operator_holds(operator: str, actual: Any, expected: Any) -> bool | None:
    """Whether the condition holds; None for an operator this evaluator does not model."""
    actual_values = [str(value) for value in (actual if isinstance(actual, list) else [actual])]
    expected_values = [str(value) for value in (expected if isinstance(expected, list) else [expected])]
    base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    compare: Callable[[str, str], bool]
    if base in ("StringEquals", "ArnEquals"):

        def compare(a: str, e: str) -> bool:
            return a == e
    elif base == "StringEqualsIgnoreCase":

        def compare(a: str, e: str) -> bool:
            return a.lower() == e.lower()
    elif base in ("StringLike", "ArnLike"):

        def compare(a: str, e: str) -> bool:
            return bool(_pattern(e, True).match(a))
    elif base in ("StringNotEquals", "ArnNotEquals"):
        return all(a not in expected_values for a in actual_values)
    elif base in ("StringNotLike", "ArnNotLike"):
        return not any(_pattern(e, True).match(a) for a in actual_values for e in expected_values)
    elif base == "Bool":

        def compare(a: str, e: str) -> bool:
            return a.lower() == e.lower()
    else:
        return None
    if operator.startswith("ForAllValues:"):
        return all(any(compare(a, e) for e in expected_values) for a in actual_values)
    return any(compare(a, e) for a in actual_values for e in expected_values)
