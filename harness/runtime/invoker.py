"""Invoke deployed functions locally: the function's configuration is read from moto's Lambda backend
at every invoke (so a `terraform apply` that changes code or environment takes effect on the next
invoke), then run in one of the function's execution environments (`workers`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends

from harness.config import read_stack_data
from harness.runtime import metrics
from harness.runtime.async_dead_letter import send_to_dead_letter_queue
from harness.runtime.concurrency import ConcurrencyLimits, Throttled
from harness.runtime.credentials import RoleCredentials, RoleNotAssumable
from harness.runtime.lambda_sdk_config import sdk_config_overrides
from harness.runtime.local_endpoints import local_overrides
from harness.runtime.payload_limits import response_too_large
from harness.runtime.workers import EnvironmentPool, FunctionSpec, InvocationResult, error_payload

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "123456789012"
# How many environments one function may run at once. Lambda scales far wider; two cores do not.
# A machine limit, not Lambda's: an invoke beyond it waits (reserved and account concurrency
# throttle, `concurrency`).
MAX_ENVIRONMENTS_PER_FUNCTION = int(os.environ.get("FLEETTAP_LAMBDA_MAX_ENVIRONMENTS", "4"))
# Lambda retries a failed asynchronous invoke twice; a throttled one is retried (not counted) until
# the event is older than the maximum event age, 6 hours by default.
ASYNC_RETRIES = 2
ASYNC_MAX_EVENT_AGE_S = 6 * 3600
THROTTLE_BACKOFF_MAX_S = 5.0


class LocalLambda:
    def __init__(self, state_dir: str | Path, endpoint: str | None, region: str) -> None:
        self.state_dir = Path(state_dir)
        self.endpoint = endpoint
        self.region = region
        self._pools: dict[str, EnvironmentPool] = {}
        self._pools_lock = threading.Lock()
        self._async = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lambda-async")
        self.log_dir = self.state_dir / "logs"
        # Called before an execution environment starts (e.g. local credentials into its secrets).
        self.cold_start_hooks: list[Callable[[FunctionSpec], None]] = []
        self.code_root = self.state_dir / "runtime" / "code"
        self.concurrency = ConcurrencyLimits(reservations)
        # Each function runs with its execution role's session credentials, as on Lambda.
        self.credentials = RoleCredentials(region)

    def set_endpoint(self, endpoint: str) -> None:
        self.endpoint = endpoint

    # -- lookup -----------------------------------------------------------------------------
    def find_function(self, name_or_arn: str) -> LambdaFunction:
        region = self.region
        account = DEFAULT_ACCOUNT
        if name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":")
            region, account, name_or_arn = parts[3], parts[4], parts[6]
        backend = lambda_backends[account][region]
        return backend.get_function(name_or_arn)

    def spec_for(self, function: LambdaFunction) -> FunctionSpec:
        deployed_env = dict(function.environment_vars or {})
        environment = dict(deployed_env)
        environment.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
                "AWS_LAMBDA_LOG_GROUP_NAME": function.logs_group_name,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
                "_HANDLER": function.handler or "",
            }
        )
        endpoint = self.endpoint or os.environ.get("AWS_ENDPOINT_URL", "")
        stack = read_stack_data(self.state_dir)
        credentials = self.credentials.for_function(
            function.function_name, function.role, str(stack.get("generation") or "")
        )
        environment.update(local_overrides(deployed_env, stack, endpoint, function.region, credentials))
        environment.update(sdk_config_overrides(self.state_dir))  # SDK parameter validation off, locally only
        code_bytes = function.code_bytes or b""
        reserved = function.reserved_concurrency
        return FunctionSpec(
            name=function.function_name,
            arn=function.function_arn,
            handler=function.handler,
            code_sha=hashlib.sha256(code_bytes).hexdigest(),
            code_bytes=code_bytes,
            environment=tuple(sorted(environment.items())),
            timeout_s=float(function.timeout or 3),
            memory_mb=int(function.memory_size or 128),
            reserved_concurrency=int(reserved) if reserved not in (None, "") else None,
        )

    # -- invoke -----------------------------------------------------------------------------
    def invoke(self, name_or_arn: str, event: Any) -> InvocationResult:
        return self.invoke_function(self.find_function(name_or_arn), event)

    def invoke_function(self, function: LambdaFunction, event: Any) -> InvocationResult:
        """Run one invoke; raises `concurrency.Throttled` beyond reserved or account concurrency."""
        try:
            spec = self.spec_for(function)
        except RoleNotAssumable as refused:
            # No execution environment can start without the role's credentials: the invoke fails
            # with the reason, in the function's log as well as in the answer.
            self._log_refusal(function.function_name, str(refused))
            return InvocationResult(error_payload("Runtime.RoleNotAssumable", str(refused)), "Unhandled", 0.0, True)
        scope = f"{function.account_id}:{function.region}"
        try:
            with self.concurrency.slot(scope, spec.name, spec.reserved_concurrency):
                result = self._pool(spec.name).invoke(spec, event)
        except Throttled:
            metrics.record_throttle(spec)  # Throttles only, not Invocations, as Lambda counts them
            raise
        too_large = None if result.failed else response_too_large(result.payload)
        if too_large is not None:
            result.payload, result.function_error = too_large, "Unhandled"
        metrics.record_invocation(spec, event, result)  # AWS/Lambda metrics, as Lambda publishes them
        if result.failed:
            log.info("%s failed: %s", spec.name, str(result.payload)[:300])
        return result

    def invoke_async(self, function: LambdaFunction, event: Any) -> None:
        """InvocationType=Event: queued, retried twice on error, then sent to the function's dead-letter
        queue (DeadLetterConfig), as Lambda does; a throttled attempt is retried with backoff without
        counting as one of those, until the event's maximum age."""

        def run() -> None:
            queued = time.monotonic()
            attempt, throttles, result = 0, 0, None
            while attempt <= ASYNC_RETRIES:
                try:
                    result = self.invoke_function(function, event)
                except Throttled:
                    throttles += 1
                    if time.monotonic() - queued > ASYNC_MAX_EVENT_AGE_S:
                        log.warning("async invoke of %s dropped: throttled past its max age", function.function_name)
                        return
                    time.sleep(min(THROTTLE_BACKOFF_MAX_S, 0.1 * 2 ** min(throttles, 6)))
                    continue
                if not result.failed:
                    return
                attempt += 1
            log.warning("async invoke of %s failed after %d retries", function.function_name, ASYNC_RETRIES)
            if self.endpoint:  # then to its DeadLetterConfig target, with its role (async_dead_letter)
                send_to_dead_letter_queue(function, event, result, self.endpoint, self.region)

        self._async.submit(run)

    def _log_refusal(self, function_name: str, message: str) -> None:
        log.warning("%s", message)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with open(self.log_dir / f"{function_name}.log", "a") as log_file:
            log_file.write(f"{stamp} runtime: cold start of {function_name} refused: {message}\n")

    def _run_cold_start_hooks(self, spec: FunctionSpec) -> None:
        for hook in self.cold_start_hooks:
            try:
                hook(spec)
            except Exception:
                log.exception("cold start hook for %s failed", spec.name)

    def _pool(self, function_name: str) -> EnvironmentPool:
        with self._pools_lock:
            pool = self._pools.get(function_name)
            if pool is None:
                pool = EnvironmentPool(
                    self.code_root, self.log_dir, MAX_ENVIRONMENTS_PER_FUNCTION, self._run_cold_start_hooks
                )
                self._pools[function_name] = pool
            return pool

    def shutdown(self) -> None:
        self._async.shutdown(wait=False, cancel_futures=True)
        with self._pools_lock:
            for pool in self._pools.values():
                pool.shutdown()
            self._pools.clear()


def reservations(scope: str) -> dict[str, int]:
    """{function name: reserved concurrency} of the functions with a reservation in `scope` ("account:region")."""
    account, region = scope.split(":", 1)
    backend = lambda_backends[account][region]
    return {
        function.function_name: int(function.reserved_concurrency)
        for function in list(backend.list_functions())
        if function.reserved_concurrency not in (None, "")
    }
