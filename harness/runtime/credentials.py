"""Execution-role credentials for the local functions, as Lambda gives them to an execution environment.

Contract: `RoleCredentials(region).for_function(function_name, role_arn, generation)` -> a
`SessionCredentials` (access key id, secret, session token) of an STS AssumeRole of the function's
execution role with the function's name as the session name, made in the emulator's own STS backend
(the runtime runs inside the emulator process). The emulator then authorizes every call made with
them against that role's policies (`harness.emulator.iam_enforcement`).
- Cached per (role ARN, function, stack generation): a warm environment keeps its credentials; a
  changed role (a redeploy) or a `harness.reset` (new generation) gets new ones, and the changed
  environment replaces the running execution environments.
- Before assuming, the role must exist and its trust policy must let lambda.amazonaws.com call
  sts:AssumeRole, as AWS requires; otherwise `RoleNotAssumable` says why (the invoke fails with it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from harness.emulator import role_policies

LAMBDA_SERVICE = "lambda.amazonaws.com"
SESSION_DURATION_S = 12 * 3600  # Lambda refreshes its credentials well before they expire


class RoleNotAssumable(RuntimeError):
    """Lambda cannot assume the function's execution role (missing role, or its trust policy)."""


@dataclass(frozen=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str


class RoleCredentials:
    def __init__(self, region: str) -> None:
        self.region = region
        self._cache: dict[tuple[str, str, str], SessionCredentials] = {}
        self._lock = threading.Lock()

    def for_function(self, function_name: str, role_arn: str, generation: str = "") -> SessionCredentials:
        key = (role_arn, function_name, generation)
        found = self._cache.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                refusal = role_policies.trust_refusal(role_arn, LAMBDA_SERVICE)
                if refusal:
                    raise RoleNotAssumable(f"Lambda cannot assume the execution role of {function_name}: {refusal}")
                found = self._assume(function_name, role_arn)
                # Only the newest generation of a role is kept: older sessions are not used again.
                for stale in [k for k in self._cache if k[:2] == key[:2]]:
                    del self._cache[stale]
                self._cache[key] = found
            return found

    def _assume(self, function_name: str, role_arn: str) -> SessionCredentials:
        from moto.sts.models import sts_backends

        parts = role_arn.split(":")
        assumed = sts_backends[parts[4]][parts[1]].assume_role(
            region_name=self.region,
            role_session_name=function_name,
            role_arn=role_arn,
            policy="",
            duration=SESSION_DURATION_S,
            external_id="",
        )
        return SessionCredentials(assumed.access_key_id, assumed.secret_access_key, assumed.session_token)
