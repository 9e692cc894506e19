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
in `RELATED_CHECKS`: each gets the action, resource, account and region (and the request context too
when the callable has `takes_context = True`) and returns further `Requirement`s (action, resource,
optional error code and extra condition keys), or plain (action, resource) pairs, that the same
principal must also be allowed, evaluated the same way.

Resource-based policies: a resource whose own policy must also allow the principal (a KMS key policy)
is found through `RESOURCE_POLICY_LOOKUPS`; `authorize` then applies AWS's rule for it (an explicit
deny in either policy wins; the key policy must allow the principal itself, or the account, in which
case IAM policies decide). `evaluate_resource_policy` is the same evaluation for a resource policy's
`Principal`/`NotPrincipal`, usable with a service principal ("sns.amazonaws.com") as the caller:
the local runtime asks it for the deliveries AWS services make (SNS to an SQS queue).

`enforcement_enabled()` is the one switch: `FLEETTAP_IAM_ENFORCEMENT=off` turns every check off.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

ENFORCEMENT_VARIABLE = "FLEETTAP_IAM_ENFORCEMENT"


def enforcement_enabled() -> bool:
    """Whether IAM/KMS/resource-policy checks run: on unless FLEETTAP_IAM_ENFORCEMENT is off/0/false/no."""
    return os.environ.get(ENFORCEMENT_VARIABLE, "on").strip().lower() not in ("off", "0", "false", "no")


class Requirement(NamedTuple):
    """A further permission an action needs: `code` is the error code the service answers with when it
    is missing (None: the caller's AccessDenied), `context` adds condition keys (kms:ViaService ...)."""

    action: str
    resource: str
    code: str | None = None
    context: Mapping[str, Any] | None = None


# (action, resource, account, region[, context]) -> further requirements (or (action, resource) pairs).
RelatedCheck = Callable[..., list[Requirement] | list[tuple[str, str]]]
RELATED_CHECKS: list[RelatedCheck] = []

# (action, resource, account, region) -> the resource's own policy document that must allow the
# principal too (a KMS key policy), or None when the resource has none that AWS requires.
ResourcePolicyLookup = Callable[[str, str, str, str], Mapping[str, Any] | str | None]
RESOURCE_POLICY_LOOKUPS: list[ResourcePolicyLookup] = []


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
    """AWS's AccessDenied with AWS's message (principal, action, resource, which kind of policy).

    `code` is the error code the service answers with when it is not plain AccessDenied (SQS answers a
    missing KMS permission with KMS.AccessDeniedException, Kinesis with KMSAccessDeniedException...);
    the emulator's HTTP layer uses it when set. `policy_kind` is "identity-based" or "resource-based".
    """

    def __init__(
        self,
        principal: Principal | str,
        action: str,
        resource: str,
        explicit: bool,
        code: str | None = None,
        policy_kind: str = "identity-based",
    ) -> None:
        self.principal = principal
        self.action = action
        self.resource = resource
        self.explicit = explicit
        self.code = code
        self.policy_kind = policy_kind
        super().__init__(self.message)

    @property
    def principal_arn(self) -> str:
        return self.principal.arn if isinstance(self.principal, Principal) else self.principal

    @property
    def message(self) -> str:
        why = (
            f"with an explicit deny in {'an' if self.policy_kind[0] in 'aeiou' else 'a'} {self.policy_kind} policy"
            if self.explicit
            else f"because no {self.policy_kind} policy allows the {self.action} action"
        )
        return (
            f"User: {self.principal_arn} is not authorized to perform: {self.action} on resource: {self.resource} {why}"
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
    for label, statement in _statements(policies):
        if not _applies(statement, action, resource, context):
            continue
        if statement.get("Effect") == "Deny":
            return Decision(False, True, (label,))
        if statement.get("Effect") == "Allow":
            allows.append(label)
    return Decision(bool(allows), False, tuple(allows))


def _statements(policies: Iterable[Mapping[str, Any] | str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, statement) of every statement of the documents (JSON text or parsed), in order; the
    label is the statement's Sid, or its index in its document."""
    for document in policies:
        parsed = json.loads(document) if isinstance(document, str) else document
        statements = parsed.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        for index, statement in enumerate(statements):
            yield str(statement.get("Sid") or index), statement


def authorize(
    principal: Principal,
    action: str,
    resource: str,
    region: str,
    context: Mapping[str, Any] | None = None,
    policies: list[Mapping[str, Any] | str] | None = None,
) -> None:
    """Raise `AccessDenied` unless the principal may do `action` on `resource` (and what it implies:
    `RELATED_CHECKS`, each judged with the resource policies `RESOURCE_POLICY_LOOKUPS` find)."""
    if policies is None:
        policies = role_policy_documents(principal.account, principal.role_name, principal.partition)
    context = dict(context or {})
    _authorize_one(principal, policies, Requirement(action, resource), region, context)
    for check in RELATED_CHECKS:
        arguments = (action, resource, principal.account, region)
        found_all = check(*arguments, context) if getattr(check, "takes_context", False) else check(*arguments)
        for found in found_all:
            requirement = found if isinstance(found, Requirement) else Requirement(*found)
            _authorize_one(principal, policies, requirement, region, {**context, **(requirement.context or {})})


def _authorize_one(
    principal: Principal,
    policies: list[Mapping[str, Any] | str],
    requirement: Requirement,
    region: str,
    context: Mapping[str, Any],
) -> None:
    action, resource, code = requirement.action, requirement.resource, requirement.code
    identity = evaluate(policies, action, resource, context)
    resource_policy = next(
        (found for lookup in RESOURCE_POLICY_LOOKUPS if (found := lookup(action, resource, principal.account, region))),
        None,
    )
    if resource_policy is None:
        if not identity.allowed:
            raise AccessDenied(principal, action, resource, identity.explicit_deny, code)
        return
    # A resource policy AWS requires (a KMS key policy): an explicit deny anywhere wins; it must
    # allow the principal itself, or the account (the root delegation), and then IAM must allow too.
    grant = evaluate_resource_policy([resource_policy], principal, action, resource, context)
    if grant.explicit_deny:
        raise AccessDenied(principal, action, resource, True, code, "resource-based")
    if identity.explicit_deny:
        raise AccessDenied(principal, action, resource, True, code)
    if not grant.allowed:
        raise AccessDenied(principal, action, resource, False, code, "resource-based")
    if not grant.direct and not identity.allowed:
        raise AccessDenied(principal, action, resource, False, code)


@dataclass(frozen=True)
class ResourceDecision:
    allowed: bool
    explicit_deny: bool = False
    direct: bool = False  # an Allow names the principal itself, not only its account
    matched: tuple[str, ...] = field(default=(), compare=False)


def evaluate_resource_policy(
    policies: Iterable[Mapping[str, Any] | str],
    caller: Principal | str,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> ResourceDecision:
    """AWS's decision of resource-based policies (queue, topic, bucket, key policies) for one caller.

    `caller` is a role session (`Principal`) or a service principal ("sns.amazonaws.com"). A statement
    applies when its `Principal` names the caller (`"*"`, `{"AWS": "*"}`, the role ARN, the session
    ARN, or, for a role, its account: `arn:aws:iam::<account>:root` or the bare account id) or its
    `NotPrincipal` does not, and the action, resource and conditions match as in `evaluate`.
    `direct` is set when an Allow names the caller itself rather than its account (for a KMS key
    policy: the account form delegates to IAM policies, which must then allow too).
    """
    context = context or {}
    allows: list[str] = []
    direct = False
    for label, statement in _statements(policies):
        if "NotPrincipal" in statement:
            match = _principal_match(statement["NotPrincipal"], caller)
            if match is not None:
                continue
            match = "direct"
        else:
            match = _principal_match(statement.get("Principal"), caller)
            if match is None:
                continue
        if not _applies(statement, action, resource, context):
            continue
        if statement.get("Effect") == "Deny":
            return ResourceDecision(False, True, False, (label,))
        if statement.get("Effect") == "Allow":
            allows.append(label)
            direct = direct or match == "direct"
    return ResourceDecision(bool(allows), False, direct, tuple(allows))


def _principal_match(principal_element: Any, caller: Principal | str) -> str | None:
    """ "direct" when the element names the caller, "account" when only its account, else None."""
    if principal_element is None:
        return None
    if principal_element == "*":
        return "direct"
    if not isinstance(principal_element, Mapping):
        return None
    found: str | None = None
    for kind, values in principal_element.items():
        for value in [values] if isinstance(values, str) else list(values):
            if isinstance(caller, str):  # a service principal
                if kind == "Service" and value == caller:
                    return "direct"
                continue
            if kind != "AWS":
                continue
            if value in ("*", caller.role_arn, caller.arn):
                return "direct"
            if value in (f"arn:{caller.partition}:iam::{caller.account}:root", caller.account):
                found = "account"
    return found


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
