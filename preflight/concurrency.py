"""Lambda concurrency: the reservations fit the account quota, and each Step Functions Map runs no
more invocations at once than its target function may (nested Maps multiply).

AWS refuses a reservation that leaves fewer than 100 executions unreserved in the account; a Map
whose in-flight invocations exceed the function's reservation is throttled (TooManyRequests) and,
once its retries are spent, fails the execution.
"""

from __future__ import annotations

import json
import math

from preflight.findings import Finding
from preflight.plan import Context

UNRESERVED_FLOOR = 100
DEFAULT_ACCOUNT_LIMIT = 1000


def _functions(ctx: Context) -> dict[str, dict]:
    return {r["values"]["function_name"]: r for r in ctx.resources("aws_lambda_function")}


def check_account(ctx: Context) -> list[Finding]:
    limit = ctx.variable("lambda_account_concurrency_limit")
    if limit is None:
        return [
            Finding(
                "concurrency",
                "var.lambda_account_concurrency_limit",
                "the stack declares no account concurrency quota, so the reservations cannot be checked",
                "declare variable lambda_account_concurrency_limit (number, default 1000) and set it per tfvars",
            )
        ]
    reserved = {name: r["values"].get("reserved_concurrent_executions", -1) for name, r in _functions(ctx).items()}
    total = sum(v for v in reserved.values() if v is not None and v > 0)
    if total + UNRESERVED_FLOOR <= limit:
        return []
    top = ", ".join(f"{n} {v}" for n, v in sorted(reserved.items(), key=lambda kv: -(kv[1] or 0))[:5])
    return [
        Finding(
            "concurrency",
            "var.reserved_concurrency",
            f"the functions reserve {total} executions; with the {UNRESERVED_FLOOR} AWS keeps unreserved that "
            f"needs {total + UNRESERVED_FLOOR}, above the account quota {limit} (largest: {top})",
            "size reserved_concurrency per function from make capacity (-1 for low-volume functions), or "
            "raise the quota (Service Quotas L-B99A9384) and lambda_account_concurrency_limit",
        )
    ]


def _walk_states(states: dict, factor: float, path: list[str], out: list) -> None:
    for name, state in states.items():
        kind = state.get("Type")
        if kind == "Map":
            limit = state.get("MaxConcurrency", 0) or math.inf  # 0 or absent: unlimited
            inner = state.get("ItemProcessor") or state.get("Iterator") or {}
            _walk_states(
                inner.get("States", {}), factor * limit, path + [f"{name}({state.get('MaxConcurrency', 0)})"], out
            )
        elif kind == "Parallel":
            for branch in state.get("Branches", []):
                _walk_states(branch.get("States", {}), factor, path + [name], out)
        elif kind == "Task" and path:
            target = (state.get("Parameters") or {}).get("FunctionName") or state.get("Resource", "")
            out.append((" > ".join(path + [name]), factor, target))


def check_maps(ctx: Context) -> list[Finding]:
    functions = _functions(ctx)
    by_arn_suffix = {f":function:{name}": r for name, r in functions.items()}
    findings = []
    for machine in ctx.resources("aws_sfn_state_machine"):
        definition = machine["values"].get("definition")
        if not definition:
            findings.append(
                Finding(
                    "concurrency",
                    machine["address"],
                    "the definition is unknown at plan time, so its Maps cannot be checked",
                    "build the task FunctionName from the function name (local.function_arns)",
                )
            )
            continue
        tasks: list = []
        _walk_states(json.loads(definition).get("States", {}), 1, [], tasks)
        worst: dict[str, tuple] = {}
        for where, in_flight, target in tasks:
            function = next(
                (r for suffix, r in by_arn_suffix.items() if target.endswith(suffix) or target == suffix[10:]), None
            )
            if function is not None and in_flight > worst.get(function["address"], (0,))[0]:
                worst[function["address"]] = (in_flight, where, function)
        for address, (in_flight, where, function) in sorted(worst.items()):
            reserved = function["values"].get("reserved_concurrent_executions", -1)
            if reserved is not None and reserved >= 0 and in_flight > reserved:
                shown = "unlimited" if in_flight == math.inf else int(in_flight)
                findings.append(
                    Finding(
                        "concurrency",
                        machine["address"],
                        f"{where} runs {shown} invocations of {function['values']['function_name']} at once, above its "
                        f"reserved concurrency {reserved}: throttled beyond the Task retries, the run fails",
                        "keep the product of the Maps' MaxConcurrency "
                        "(dot_map_max_concurrency x dot_map_driver_concurrency) "
                        f"at or below reserved_concurrency of the function ({address})",
                    )
                )
    return findings


def check(ctx: Context) -> list[Finding]:
    return check_account(ctx) + check_maps(ctx)
