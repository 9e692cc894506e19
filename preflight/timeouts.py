"""Timeouts: each function outlives the longest downstream call its code can make, and each SQS
queue hides a message for at least 6x its consumer's timeout (AWS's rule for event source mappings:
otherwise a message still being processed is delivered again).

The downstream bounds are read from the code (`ast`, never imported): boto3's Config (connect/read
timeouts x max_attempts, standard-mode backoff), urllib3 Timeout/Retry of the handler's HTTP client,
redis.Redis socket timeouts (with redis-py's default retry when the code sets none) and psycopg's
connect_timeout. Library defaults the code relies on are the constants below, from the pinned
versions in requirements/lambda.txt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from preflight.code import Handlers
from preflight.findings import Finding
from preflight.plan import Context

# redis-py 8.1 (requirements/lambda.txt): Retry(ExponentialWithJitterBackoff(base=0.01, cap=1), 10) by default.
REDIS_DEFAULT_RETRIES = 10
REDIS_DEFAULT_BACKOFF_CAP_S = 1.0
# botocore standard mode: exponential backoff base 1 s, capped at 20 s, between attempts.
BOTO_BACKOFF_CAP_S = 20.0
# A function needs this long after its slowest call has failed to report the failure (DLQ, batch response).
MARGIN_S = 5.0
VISIBILITY_FACTOR = 6


@dataclass(frozen=True)
class Downstream:
    what: str
    worst_s: float


def downstream_calls(handlers: Handlers, module: str) -> list[Downstream]:
    """The worst case of each kind of downstream call handlers.<module> makes (its import closure)."""
    found: list[Downstream] = []
    names = ("Config", "BotoConfig", "Timeout", "Retry", "Redis", "connect")
    seen = handlers.constructor_keywords(module, names)
    makes_aws_calls = bool(handlers.aws_calls(module))
    for where, name, kw in seen:
        if name in ("Config", "BotoConfig") and makes_aws_calls and "connect_timeout" in kw:
            attempts = int((kw.get("retries") or {}).get("max_attempts", 3))
            backoff = sum(min(BOTO_BACKOFF_CAP_S, 2**i) for i in range(attempts - 1))
            found.append(
                Downstream(
                    f"AWS API call ({where}: {attempts} x ({kw['connect_timeout']} s + "
                    f"{kw.get('read_timeout', 60)} s))",
                    attempts * (kw["connect_timeout"] + kw.get("read_timeout", 60)) + backoff,
                )
            )
        elif name == "Redis" and "socket_timeout" in kw:
            per_try = (kw.get("socket_connect_timeout") or kw["socket_timeout"]) + kw["socket_timeout"]
            found.append(
                Downstream(
                    f"Redis command ({where}: {REDIS_DEFAULT_RETRIES + 1} x {per_try} s, redis-py default retry)",
                    (REDIS_DEFAULT_RETRIES + 1) * per_try + REDIS_DEFAULT_RETRIES * REDIS_DEFAULT_BACKOFF_CAP_S,
                )
            )
        elif name == "connect" and "connect_timeout" in kw:
            found.append(Downstream(f"PostgreSQL connect ({where}; statements are not bounded)", kw["connect_timeout"]))
    timeouts = [(w, kw) for w, n, kw in seen if n == "Timeout" and w == f"handlers.{module}"]
    retries = [(w, kw) for w, n, kw in seen if n == "Retry" and w == f"handlers.{module}"]
    if timeouts and handlers.http_calls(module):
        where, kw = timeouts[0]
        per_try = (kw.get("connect") or 0) + (kw.get("read") or 0)
        total = int(retries[0][1].get("total", 0)) if retries else 0
        factor = float(retries[0][1].get("backoff_factor", 0)) if retries else 0.0
        backoff = sum(factor * 2 ** (n - 1) for n in range(2, total + 1))
        found.append(Downstream(f"HTTP request ({where}: {total + 1} x {per_try} s)", (total + 1) * per_try + backoff))
    return found


def _key(address: str) -> str:
    """aws_lambda_function.this["dot_report"] -> dot_report"""
    return address.split("[", 1)[-1].strip('"]') if "[" in address else address


def check_functions(ctx: Context) -> list[Finding]:
    handlers = Handlers(ctx.repo_root)
    findings = []
    for function in ctx.resources("aws_lambda_function"):
        values = function["values"]
        module = values.get("handler", "").removeprefix("handlers.").removesuffix(".handler")
        calls = downstream_calls(handlers, module)
        if not calls:
            continue
        slowest = max(calls, key=lambda c: c.worst_s)
        needed = math.ceil(slowest.worst_s + MARGIN_S)
        if values.get("timeout", 3) < needed:
            findings.append(
                Finding(
                    "timeouts",
                    function["address"],
                    f"timeout {values.get('timeout')} s is shorter than its slowest downstream call can take: "
                    f"{slowest.what} ~ {slowest.worst_s:.0f} s (+{MARGIN_S:.0f} s to report the failure)",
                    f'set timeout_s["{_key(function["address"])}"] >= {needed} in the tfvars '
                    "(or bound the call tighter in the code)",
                )
            )
    return findings


def check_queues(ctx: Context) -> list[Finding]:
    queues = {r["values"]["name"]: r for r in ctx.resources("aws_sqs_queue")}
    functions = {r["values"]["function_name"]: r for r in ctx.resources("aws_lambda_function")}
    findings = []
    for mapping in ctx.resources("aws_lambda_event_source_mapping"):
        source = mapping["values"].get("event_source_arn") or ""
        target = mapping["values"].get("function_name") or ""
        if ":sqs:" not in source:
            continue
        queue = queues.get(source.rsplit(":", 1)[-1])
        function = functions.get(target.rsplit(":", 1)[-1])
        if queue is None or function is None:
            findings.append(
                Finding(
                    "timeouts",
                    mapping["address"],
                    "queue or function of this mapping not found in the plan",
                    "reference them by name-built ARNs so the plan shows them",
                )
            )
            continue
        visibility = queue["values"].get("visibility_timeout_seconds", 30)
        timeout = function["values"].get("timeout", 3)
        if visibility < VISIBILITY_FACTOR * timeout:
            findings.append(
                Finding(
                    "timeouts",
                    queue["address"],
                    f"visibility timeout {visibility} s is under {VISIBILITY_FACTOR} x the timeout of its consumer "
                    f"{function['values']['function_name']} ({timeout} s): messages in flight are delivered twice",
                    f"set visibility_timeout >= {VISIBILITY_FACTOR * timeout} in the tfvars",
                )
            )
    return findings


def check(ctx: Context) -> list[Finding]:
    return check_functions(ctx) + check_queues(ctx)
