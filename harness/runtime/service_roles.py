"""Service roles checked where the local runtime makes the call AWS's service would make.

These calls never cross the emulator's HTTP layer with a role's credentials (Step Functions invoking
Lambda, EventBridge starting an execution, Firehose reading Kinesis and writing S3, an event source
mapping reading its source, SNS delivering to SQS), so the runtime asks the shared evaluator
(`harness.emulator.authorization`) itself, with the role the deployed resource names, before it
acts. The checks are on by default and off with `FLEETTAP_IAM_ENFORCEMENT=off`, like the rest.

A refusal is AWS's `AccessDenied` (principal, action, resource). Where AWS shows it as a failed
target, mapping or delivery rather than an error to a caller, `record_denial` logs it in the
runtime's log and, when a function is concerned, in that function's log, and keeps the latest one
per component for `make status` (`last_denials()`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.emulator.authorization import AccessDenied, Principal, authorize, enforcement_enabled

log = logging.getLogger(__name__)

_log_dir: Path | None = None  # <state_dir>/logs, set by the runtime at start
_latest: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def set_log_dir(log_dir: Path) -> None:
    global _log_dir
    _log_dir = log_dir


def check(
    role_arn: str,
    action: str,
    resource: str,
    region: str,
    context: Mapping[str, Any] | None = None,
    session_name: str = "",
    policies: list[Any] | None = None,
) -> None:
    """Raise `AccessDenied` unless the role may do `action` on `resource` (KMS included).

    `policies` are the role's documents when the caller is not the emulator's process
    (`role_policies_via_api`); by default they are read from the emulator's IAM backend."""
    if not enforcement_enabled() or not role_arn:
        return
    authorize(Principal.of_role_arn(role_arn, session_name), action, resource, region, context, policies)


def role_policies_via_api(iam: Any, role_arn: str) -> list[Any]:
    """The role's inline and attached policy documents through the IAM API (any process)."""
    name = role_arn.split("/")[-1]
    documents: list[Any] = [
        iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
        for policy in page["PolicyNames"]
    ]
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for attached in page["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
            documents.append(document["PolicyVersion"]["Document"])
    return documents


def allowed(role_arn: str, actions: list[tuple[str, str]], region: str, **kwargs: Any) -> AccessDenied | None:
    """The first refusal among (action, resource) pairs, or None when the role may do them all."""
    for action, resource in actions:
        try:
            check(role_arn, action, resource, region, **kwargs)
        except AccessDenied as denied:
            return denied
    return None


def record_denial(component: str, denied: AccessDenied, function_name: str | None = None, effect: str = "") -> None:
    """Log a refusal AWS reports as a failed delivery/mapping/target (not to a caller)."""
    line = f"{component}: AccessDenied: {denied.message}" + (f" ({effect})" if effect else "")
    log.warning("%s", line)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with _lock:
        _latest[component] = {"at": now, "message": denied.message, "code": denied.code or "AccessDenied"}
        if function_name and _log_dir is not None:
            _log_dir.mkdir(parents=True, exist_ok=True)
            with (_log_dir / f"{function_name}.log").open("a") as handle:
                handle.write(f"{now} ERROR [fleettap-runtime] {line}\n")


def clear_denial(component: str) -> None:
    with _lock:
        _latest.pop(component, None)


def last_denials() -> dict[str, dict[str, str]]:
    """The latest refusal per component (an event source mapping's uuid, a rule target, ...)."""
    with _lock:
        return dict(_latest)
