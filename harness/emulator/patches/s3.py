"""S3: bucket policy checks that read IAM's shapes and conditions."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import LOGGING_SERVICE_PRINCIPAL, FakeBucket

from harness.emulator.patches.registry import patch

# The emulator endpoint stands in for AWS's HTTPS endpoint, so object requests carry this context.
LOCAL_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@patch(target=FakeBucket._log_permissions_enabled_policy, pass_target=False)
def logging_target_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    """S3 PutBucketLogging: the target-bucket policy check accepts valid policies.

    Gap: moto verifies that the target bucket's policy lets `logging.s3.amazonaws.com` write, but
    assumes `Principal` is a dict, `Action` a list and `Resource` one exact string, so a policy
    that also holds a `"Principal": "*"` TLS-only Deny statement (AWS best practice) makes it raise
    AttributeError (HTTP 500) and a wildcard resource such as `<bucket>/s3/*` is refused.
    Fix: the same check, with IAM's shapes (string or list) and wildcard resource matching.
    """
    if not target_bucket.policy:
        return False
    document = json.loads(target_bucket.policy.decode())
    key_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}"
    for statement in _as_list(document.get("Statement")):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if LOGGING_SERVICE_PRINCIPAL not in services or statement.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase("s3:PutObject", action) for action in _as_list(statement.get("Action"))):
            continue
        for resource in _as_list(statement.get("Resource")):
            if fnmatch.fnmatchcase(key_arn + "x", resource) or fnmatch.fnmatchcase(key_arn, resource):
                return True
    return False


def condition_holds(operator: str, expected: dict[str, Any], context: dict[str, str]) -> bool:
    """Bool/String(Not)Equals against the request context; other operators keep moto's
    behaviour (treated as holding). A key missing from the context fails the condition."""
    base = operator.removesuffix("IfExists")
    if base not in ("Bool", "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"):
        return True
    for key, values in expected.items():
        wanted = [str(v) for v in (values if isinstance(values, list) else [values])]
        actual = context.get(key)
        if actual is None:
            if operator.endswith("IfExists"):
                continue
            return False
        if base in ("Bool", "StringEqualsIgnoreCase"):
            matched = actual.lower() in [w.lower() for w in wanted]
        else:
            matched = actual in wanted
        if matched == (base == "StringNotEquals"):
            return False
    return True


@patch(target=FakeBucket.get_permission, pass_target=False)
def secure_transport_in_bucket_policies(self: FakeBucket, action: str, resource: str) -> Any:
    """S3 object requests under a bucket policy: `Bool` conditions are evaluated.

    Gap: moto ignores conditions, so the usual TLS-only statement (Deny s3:* when
    aws:SecureTransport is false) denies every object request, including Firehose's and the
    handlers' writes.
    Fix: evaluate Bool and String(Not)Equals conditions against LOCAL_REQUEST_CONTEXT (the emulator
    endpoint stands in for AWS's HTTPS endpoint, so aws:SecureTransport is true); a statement whose
    conditions do not hold does not apply. Other operators keep moto's behaviour.
    """
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    permitted = False
    for statement in statements:
        conditions = statement.get("Condition") or {}
        if not all(condition_holds(op, expected, LOCAL_REQUEST_CONTEXT) for op, expected in conditions.items()):
            continue
        unconditional = {k: v for k, v in statement.items() if k != "Condition"}
        result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return result
        permitted = permitted or result == PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL
