"""IAM enforcement in the emulator: a request signed with a role session's credentials is authorized
against that role's identity-based policies before moto executes it.

Contract of `check(response, resource)` (called by the patch in `harness.emulator.patches.iam` in
place of moto's authenticator, for every request moto dispatches):
- enforcement off (`FLEETTAP_IAM_ENFORCEMENT=off`, for measurements only): returns;
- a request not signed with a role session's key (access key id not starting ASIA: the admin
  `test`/`test` credentials Terraform, the runtime's own pollers, seeding, load tools and tests use)
  passes untouched, unrestricted as before;
- an ASIA key the emulator never issued, or with another session token, is refused as AWS refuses a
  bad token (InvalidClientTokenId / S3 InvalidToken);
- otherwise every (action, resource) the request needs (`request_resources.resolve`) is authorized for
  the role session with `authorization.authorize` (which also runs its RELATED_CHECKS, e.g. KMS) over
  the role's policies (`role_policies.documents`, cached until IAM changes); a refusal raises the
  service's own AccessDenied error (`denials.denial_error`) with AWS's message naming the
  assumed-role ARN, the action and the resource, and is logged by the emulator.
Signatures are not verified (moto's check costs a re-signing per request; the runtime issues the keys).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from harness.emulator import role_policies
from harness.emulator.authorization import AccessDenied, Principal, authorize
from harness.emulator.denials import denial_error, invalid_token_error
from harness.emulator.request_resources import ApiRequest, resolve
from harness.emulator.resource_lookups import MotoLookups

log = logging.getLogger("harness.emulator.iam")

ENFORCEMENT_ENV = "FLEETTAP_IAM_ENFORCEMENT"
_LOOKUPS = MotoLookups()
# access key id -> (session token, principal); filled from moto's STS backend on first use.
_sessions: dict[str, tuple[str, Principal]] = {}
_sessions_lock = threading.Lock()


def enabled() -> bool:
    """On unless FLEETTAP_IAM_ENFORCEMENT is off/0/false/no."""
    return os.environ.get(ENFORCEMENT_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def _credential_scope(response: Any) -> list[str]:
    """[access key, date, region, service, 'aws4_request'] from the Authorization header or a presigned URL."""
    authorization = response.headers.get("Authorization") or ""
    if "Credential=" in authorization:
        return authorization.split("Credential=", 1)[1].split(",", 1)[0].strip().split("/")
    presigned = (getattr(response, "querystring", None) or {}).get("X-Amz-Credential")
    if presigned:
        return (presigned[0] if isinstance(presigned, list) else presigned).split("/")
    return []


def session_principal(account: str, partition: str, access_key: str, token: str | None) -> Principal | None:
    """The role session that owns this key (None if the emulator never issued it or the token differs)."""
    known = _sessions.get(access_key)
    if known is None:
        from moto.sts.models import sts_backends

        assumed = sts_backends[account][partition].get_assumed_role_from_access_key(access_key)
        if assumed is None:
            return None
        known = (assumed.session_token, Principal.of_role_arn(assumed.role_arn, assumed.session_name))
        with _sessions_lock:
            _sessions[access_key] = known
    return known[1] if token == known[0] else None


def _params(response: Any, service: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(getattr(response, "querystring", None) or {})
    if service == "s3":
        return params
    parsed_once = getattr(response, "fleettap_json_body", None)  # a data-plane body already json.loads-ed
    if isinstance(parsed_once, dict):
        params.update(parsed_once)
        return params
    body = getattr(response, "raw_body", None) or getattr(response, "body", None)
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            params.update(parsed)
    elif isinstance(body, dict):
        params.update(body)
    return params


def check(response: Any, resource: str = "*") -> None:
    """Authorize the request moto is about to execute (see the module docstring)."""
    if not enabled():
        return
    scope = _credential_scope(response)
    if not scope or not scope[0].startswith("ASIA"):
        return  # admin or anonymous: unrestricted, as the emulator always was
    access_key, region, service = scope[0], scope[2] if len(scope) > 2 else "", scope[3] if len(scope) > 3 else ""
    account = response.current_account
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    token = response.headers.get("X-Amz-Security-Token")
    principal = session_principal(account, partition, access_key, token)
    if principal is None:
        raise invalid_token_error(service)
    if service == "s3":
        operation = (getattr(response, "data", None) or {}).get("Action") or response._get_action()
    else:
        operation = response._get_action()
    if service == "sts" and operation == "GetCallerIdentity":
        return  # AWS allows it whatever the policies say
    request = ApiRequest(
        service=service,
        operation=str(operation or ""),
        account=account,
        region=region,
        params=_params(response, service),
        path=getattr(response, "path", "") or "/",
        headers={k.lower(): v for k, v in response.headers.items()},
        s3_resource=resource if service == "s3" else None,
        partition=partition,
    )
    policies = role_policies.documents(principal.account, principal.role_name, principal.partition)
    context = {"aws:PrincipalArn": principal.role_arn, "aws:RequestedRegion": region}
    try:
        for action, arn in resolve(request, _LOOKUPS):
            authorize(principal, action, arn, region, context, policies=policies)
    except AccessDenied as denied:
        log.warning("IAM denied: %s", denied.message)
        raise denial_error(service, denied, response.response_headers) from None
