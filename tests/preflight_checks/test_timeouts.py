"""Function timeout vs its slowest downstream call (read from the real handler code); SQS visibility
timeout vs 6x the consumer's timeout."""

from __future__ import annotations

from preflight import timeouts
from preflight.code import Handlers
from tests.preflight_checks.fragments import REPO_ROOT, context, function, plan, resource


def test_downstream_bounds_are_read_from_the_handler_code():
    handlers = Handlers(REPO_ROOT)
    dot = {c.what.split(" (")[0]: c.worst_s for c in timeouts.downstream_calls(handlers, "dot_reporting")}
    # urllib3 Timeout(connect=3, read=30) x (Retry total=2 + 1) + backoff 0.5 x 2
    assert dot["HTTP request"] == 3 * 33 + 1.0
    assert dot["AWS API call"] == 3 * (3 + 10) + 1 + 2
    assert dot["Redis command"] == 11 * (2 + 3) + 10 * 1.0
    assert timeouts.downstream_calls(handlers, "firehose_transformer") == []


def test_a_timeout_below_the_slowest_call_is_a_finding():
    short = timeouts.check_functions(context(plan(function("dot_report", timeout=60, module="dot_reporting"))))
    assert len(short) == 1 and "HTTP request" in short[0].problem and 'timeout_s["dot_report"] >= 105' in short[0].fix
    assert timeouts.check_functions(context(plan(function("dot_report", timeout=120, module="dot_reporting")))) == []


def _queue_plan(visibility: int, timeout: int) -> dict:
    return plan(
        function("fleet", timeout=timeout, module="fleet_dashboard"),
        resource(
            'aws_sqs_queue.work["fleet"]',
            {"name": "fleettap-prod-fleet_manager_queue", "visibility_timeout_seconds": visibility},
        ),
        resource(
            'aws_lambda_event_source_mapping.sqs["fleet"]',
            {
                "event_source_arn": "arn:aws:sqs:us-east-1:123456789012:fleettap-prod-fleet_manager_queue",
                "function_name": "arn:aws:lambda:us-east-1:123456789012:function:fleettap-prod-fleet",
            },
        ),
    )


def test_visibility_timeout_must_be_six_times_the_consumer_timeout():
    bad = timeouts.check_queues(context(_queue_plan(360, 90)))
    assert len(bad) == 1 and bad[0].address == 'aws_sqs_queue.work["fleet"]' and ">= 540" in bad[0].fix
    assert timeouts.check_queues(context(_queue_plan(540, 90))) == []


def test_a_mapping_whose_queue_the_plan_does_not_name_is_a_finding():
    document = _queue_plan(540, 90)
    document["planned_values"]["root_module"]["resources"][2]["values"]["event_source_arn"] = (
        "arn:aws:sqs:us-east-1:123456789012:unknown-queue"
    )
    assert timeouts.check_queues(context(document))
