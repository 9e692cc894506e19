"""Reserved concurrency vs the account quota; a Step Functions Map's parallelism vs its function."""

from __future__ import annotations

from preflight import concurrency
from tests.preflight_checks.fragments import context, function, plan, state_machine

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fleettap-prod-dot_report"


def _account(reserved: list[int], limit: int = 1000):
    functions = [function(f"f{i}", reserved=r) for i, r in enumerate(reserved)]
    return concurrency.check_account(context(plan(*functions, variables={"lambda_account_concurrency_limit": limit})))


def test_reservations_that_leave_fewer_than_100_unreserved_are_a_finding():
    findings = _account([60] * 13 + [-1], limit=800)  # 780 + 100 > 800
    assert len(findings) == 1 and "880" in findings[0].problem and findings[0].address == "var.reserved_concurrency"
    assert _account([60] * 13 + [-1], limit=1000) == []  # 880 <= 1000
    assert _account([800, 101], limit=1000)  # 99 left unreserved
    assert _account([800, 100], limit=1000) == []  # exactly 100 left


def test_no_quota_variable_is_a_finding():
    assert concurrency.check_account(context(plan(function("a", reserved=5))))


def _machine(outer: int, inner: int) -> dict:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": ARN},
        "End": True,
    }
    return {
        "StartAt": "Gather",
        "States": {
            "Gather": {**task, "End": False, "Next": "Drivers"},
            "Drivers": {
                "Type": "Map",
                "MaxConcurrency": outer,
                "ItemProcessor": {
                    "StartAt": "Batch",
                    "States": {
                        "Batch": {
                            "Type": "Map",
                            "MaxConcurrency": inner,
                            "ItemProcessor": {"StartAt": "Render", "States": {"Render": task}},
                            "End": True,
                        }
                    },
                },
                "End": True,
            },
        },
    }


def _maps(outer: int, inner: int, reserved: int):
    document = plan(function("dot_report", reserved=reserved), state_machine(_machine(outer, inner)))
    return concurrency.check_maps(context(document))


def test_nested_maps_multiply_and_must_stay_within_the_reservation():
    bad = _maps(10, 10, 60)
    assert len(bad) == 1 and "100 invocations" in bad[0].problem and "reserved concurrency 60" in bad[0].problem
    assert _maps(10, 10, 110) == []
    assert _maps(10, 10, -1) == []  # unreserved: no per-function cap to exceed


def test_an_unlimited_map_exceeds_any_reservation():
    assert "unlimited" in _maps(0, 10, 500)[0].problem


def test_a_definition_unknown_at_plan_time_is_a_finding():
    document = plan(
        function("dot_report", reserved=5),
        {
            "address": "aws_sfn_state_machine.x",
            "mode": "managed",
            "type": "aws_sfn_state_machine",
            "name": "x",
            "values": {},
            "_unknown": {"definition": True},
        },
    )
    assert concurrency.check_maps(context(document))
