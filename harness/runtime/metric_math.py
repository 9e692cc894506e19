"""CloudWatch metric math for alarms, evaluated one period at a time (pure).

An alarm with `Metrics` (Terraform `metric_query`) returns the value of the query marked ReturnData,
computed from the other queries of the same period. Supported: numbers, query ids, + - * /, unary
minus, parentheses, and the functions MAX, MIN, SUM, AVG (of a list `[a, b]` or of arguments), ABS,
FILL(x, value). As in CloudWatch, arithmetic with a missing value is missing (a timestamp present
in one series and absent in another gives no datapoint), division by zero is missing, and
MAX/MIN/SUM/AVG of an array ignore its missing members (missing when all are).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

Value = float | None


class UnsupportedExpression(ValueError):
    """The expression uses syntax or a function this evaluator does not implement."""


def _aggregate(fn: Callable[[list[float]], float]) -> Callable[[list[Value]], Value]:
    def apply(values: list[Value]) -> Value:
        present = [v for v in values if v is not None]
        return fn(present) if present else None

    return apply


FUNCTIONS: dict[str, Callable[[list[Value]], Value]] = {
    "MAX": _aggregate(max),
    "MIN": _aggregate(min),
    "SUM": _aggregate(sum),
    "AVG": _aggregate(lambda v: sum(v) / len(v)),
}


def evaluate(expression: str, lookup: Callable[[str], Value]) -> Value:
    """The value of `expression` for one period; `lookup(id)` gives another query's value."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise UnsupportedExpression(f"cannot parse metric math {expression!r}: {exc.msg}") from None
    return _eval(tree.body, lookup)


def _flatten(nodes: list[ast.expr], lookup: Callable[[str], Value]) -> list[Value]:
    values: list[Value] = []
    for node in nodes:
        if isinstance(node, ast.List):
            values.extend(_flatten(node.elts, lookup))
        else:
            values.append(_eval(node, lookup))
    return values


def _eval(node: ast.expr, lookup: Callable[[str], Value]) -> Value:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _eval(node.operand, lookup)
        return None if value is None else -value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, lookup), _eval(node.right, lookup)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return None if right == 0 else left / right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id.upper()
        if name in FUNCTIONS:
            return FUNCTIONS[name](_flatten(node.args, lookup))
        if name == "ABS" and len(node.args) == 1:
            value = _eval(node.args[0], lookup)
            return None if value is None else abs(value)
        if name == "FILL" and len(node.args) == 2:
            value = _eval(node.args[0], lookup)
            return _eval(node.args[1], lookup) if value is None else value
    raise UnsupportedExpression(f"metric math not supported locally: {ast.unparse(node)}")


def evaluate_queries(expressions: Mapping[str, str], metric_values: Mapping[str, Value], result_id: str) -> Value:
    """The value of query `result_id` given every metric query's value (`metric_values`) and every
    expression query (`expressions`, id -> expression) of the same period."""
    resolving: set[str] = set()

    def lookup(query_id: str) -> Value:
        if query_id in metric_values:
            return metric_values[query_id]
        if query_id not in expressions:
            raise UnsupportedExpression(f"metric math refers to an unknown id {query_id!r}")
        if query_id in resolving:
            raise UnsupportedExpression(f"metric math id {query_id!r} refers to itself")
        resolving.add(query_id)
        try:
            return evaluate(expressions[query_id], lookup)
        finally:
            resolving.discard(query_id)

    return lookup(result_id)
