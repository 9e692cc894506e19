"""IAM: identity-based policies enforced for role sessions, and the authorizer's caches kept current."""

from __future__ import annotations

from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.models import IAMBackend

from harness.emulator import iam_enforcement, role_policies
from harness.emulator.patches.registry import patch


@patch(target=ActionAuthenticatorMixin._authenticate_and_authorize_action)
def enforce_identity_policies(fn: Any, self: Any, iam_request_cls: type, resource: str = "*") -> None:
    """Every request: a role session's call is authorized against its role's policies, as on AWS.

    Gap: moto authorizes nothing by default (INITIAL_NO_AUTH_ACTION_COUNT is infinite), so a function
    missing a grant works locally and fails on AWS. Turned on, moto's own IAMPolicy evaluation is
    case-sensitive on actions, ignores Resource for every service but S3 (it passes "*") and answers
    every service with IAM's error shape.
    Fix: `harness.emulator.iam_enforcement.check`: requests signed with the admin key (`test`) pass
    untouched; requests signed with role-session credentials (what each local function runs with)
    are authorized per (action, resource ARN) by `harness.emulator.authorization` and refused with
    the service's own AccessDenied code, status and AWS's message. FLEETTAP_IAM_ENFORCEMENT=off
    turns it off. moto's authenticator (`fn`) is not called.
    """
    iam_enforcement.check(self, resource)


_IAM_CHANGES = (
    IAMBackend.create_role,
    IAMBackend.delete_role,
    IAMBackend.update_assume_role_policy,
    IAMBackend.put_role_policy,
    IAMBackend.delete_role_policy,
    IAMBackend.attach_role_policy,
    IAMBackend.detach_role_policy,
    IAMBackend.create_policy_version,
    IAMBackend.delete_policy_version,
    IAMBackend.set_default_policy_version,
)


def _invalidating(method: Any) -> Any:
    def after_change(fn: Any, self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        """IAM writes: the authorizer's cached role policies are dropped after each one.

        Gap: none in moto; the enforcement caches each role's policy documents (read per request
        otherwise). Fix: a change to a role or policy invalidates the cache, so the next request
        sees it, as IAM's own changes apply (AWS within seconds).
        """
        try:
            return fn(self, *args, **kwargs)
        finally:
            role_policies.invalidate()

    after_change.__name__ = after_change.__qualname__ = f"invalidate_after_{method.__name__}"
    return patch(IAMBackend, method.__name__)(after_change)


for _method in _IAM_CHANGES:
    _invalidating(_method)
