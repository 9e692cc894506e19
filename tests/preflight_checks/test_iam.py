"""Every AWS call a handler makes is granted to its function's role; the CMK-encrypted state
machine's role can use the key."""

from __future__ import annotations

import json

from preflight import iam
from preflight.code import Handlers
from tests.preflight_checks.fragments import REPO_ROOT, context, plan, resource, state_machine

DLQ_AND_KEY = [
    {"sid": "OwnDeadLetterQueue", "actions": ["sqs:SendMessage"], "targets": ["DLQ_URL"]},
    {"sid": "DeadLetterClaimChecks", "actions": ["s3:PutObject"], "targets": ["DEAD_LETTER_OBJECTS"]},
    {"sid": "UseDataKey", "actions": ["kms:Decrypt", "kms:GenerateDataKey"], "targets": ["KMS_KEY"]},
]
RULES = {"sid": "ReadRules", "actions": ["dynamodb:Query"], "targets": ["COMPLIANCE_RULES_TABLE"]}
LOGS = {
    "sid": "WriteDriverLogs",
    "actions": ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
    "targets": ["DRIVER_LOGS_TABLE"],
}
PUBLISH = {"sid": "PublishViolations", "actions": ["sns:Publish"], "targets": ["VIOLATIONS_TOPIC_ARN"]}
REDIS = {"sid": "RedisAuthToken", "actions": ["secretsmanager:GetSecretValue"], "targets": ["REDIS_AUTH_SECRET_ARN"]}


def _hos(statements: list[dict]):
    grants = {
        "functions": {"hos": DLQ_AND_KEY + statements},
        "function_modules": {"hos": "hos_processor"},
        "dot_state_machine": [],
    }
    return iam.check_functions(context(plan(outputs={"iam_grants": grants})), Handlers(REPO_ROOT))


def test_the_redis_secret_read_by_the_shared_adapter_must_be_granted():
    findings = _hos([RULES, LOGS, PUBLISH])  # the hos role as the audit found it (B1)
    assert [f.fix for f in findings] == [
        "add a statement with secretsmanager:GetSecretValue on target REDIS_AUTH_SECRET_ARN to "
        "function_statements.hos in infra/tap_stack.tf"
    ]
    assert "handlers.common.redis_client -> handlers.common.secrets" in findings[0].problem
    assert _hos([RULES, LOGS, PUBLISH, REDIS]) == []


def test_a_grant_on_another_resource_does_not_count():
    wrong_table = dict(LOGS, targets=["COMPLIANCE_STATUS_TABLE"])
    findings = _hos([RULES, wrong_table, PUBLISH, REDIS])
    assert {f.fix.split(" on target ")[1].split(" ")[0] for f in findings} == {"DRIVER_LOGS_TABLE"}


def test_writes_to_encrypted_resources_need_the_data_key():
    no_generate = [*DLQ_AND_KEY[:2], dict(DLQ_AND_KEY[2], actions=["kms:Decrypt"])]
    grants = {
        "functions": {"hos": no_generate + [RULES, LOGS, PUBLISH, REDIS]},
        "function_modules": {"hos": "hos_processor"},
        "dot_state_machine": [],
    }
    findings = iam.check_functions(context(plan(outputs={"iam_grants": grants})), Handlers(REPO_ROOT))
    assert [f.fix.split(" with ")[1].split(" on ")[0] for f in findings] == ["kms:GenerateDataKey"]


def test_a_wildcard_resource_is_a_finding_where_the_action_supports_resource_level_permissions():
    star = {"sid": "Broad", "actions": ["dynamodb:Query"], "targets": ["*"]}
    assert any("grants ['dynamodb:Query'] on *" in f.problem for f in _hos([RULES, LOGS, PUBLISH, REDIS, star]))


def test_no_grants_output_is_a_finding():
    assert iam.check_functions(context(plan()), Handlers(REPO_ROOT))


def _sfn(statements: list[dict], key_policy_services: list[str]):
    key_policy = {"Statement": [{"Principal": {"Service": s}, "Action": ["kms:Decrypt"]} for s in key_policy_services]}
    machine = state_machine(
        {"StartAt": "A", "States": {}},
        encryption_configuration=[{"type": "CUSTOMER_MANAGED_KMS_KEY"}],
        logging_configuration=[{"level": "ALL"}],
    )
    document = plan(
        machine,
        resource("aws_kms_key.main", {"policy": json.dumps(key_policy)}),
        outputs={"iam_grants": {"functions": {}, "function_modules": {}, "dot_state_machine": statements}},
    )
    return iam.check_state_machines(context(document))


VIA_S3 = {
    "sid": "UseReportsBucketKey",
    "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
    "targets": ["KMS_KEY"],
    "condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
}
STATES = {
    "sid": "UseStateMachineKey",
    "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
    "targets": ["KMS_KEY"],
    "condition": {"StringEquals": {iam.STATES_CONTEXT: "arn:aws:states:us-east-1:1:stateMachine:x"}},
}


def test_a_cmk_state_machine_role_limited_to_s3_via_service_is_a_finding():
    findings = _sfn([VIA_S3], ["logs.us-east-1.amazonaws.com"])  # the stack as the audit found it (B2)
    assert {f.address for f in findings} == {"aws_iam_role_policy.sfn", "aws_kms_key.main"}
    assert len([f for f in findings if f.address == "aws_iam_role_policy.sfn"]) == 2  # Decrypt, GenerateDataKey
    assert _sfn([VIA_S3, STATES], ["logs.us-east-1.amazonaws.com", "delivery.logs.amazonaws.com"]) == []


def _unused(statements: list[dict], sources: list[str]):
    grants = {
        "functions": {"hos": DLQ_AND_KEY + statements},
        "function_modules": {"hos": "hos_processor"},
        "event_sources": {"hos": sources},
        "dot_state_machine": [],
    }
    return iam.check_unused(context(plan(outputs={"iam_grants": grants})), Handlers(REPO_ROOT))


def test_a_grant_no_call_and_no_event_source_uses_is_a_finding():
    stream = {"sid": "ReadHosStream", "actions": ["kinesis:GetRecords"], "targets": ["HOS_STREAM"]}
    over = dict(LOGS, targets=["DRIVER_LOGS_TABLE", "COMPLIANCE_STATUS_TABLE"])  # hos as the audit found it (C4)
    findings = _unused([stream, RULES, over, PUBLISH, REDIS], ["HOS_STREAM"])
    assert [f.fix for f in findings] == [
        "remove COMPLIANCE_STATUS_TABLE from function_statements.hos in infra/tap_stack.tf"
    ]
    assert _unused([stream, RULES, LOGS, PUBLISH, REDIS], ["HOS_STREAM"]) == []
    assert _unused([stream, RULES, LOGS, PUBLISH, REDIS], [])  # the stream is used by the mapping only
