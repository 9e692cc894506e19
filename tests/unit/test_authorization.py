"""The identity-policy evaluator (harness.emulator.authorization) against AWS's documented rules."""

from __future__ import annotations

import pytest

from harness.emulator.authorization import (
    RELATED_CHECKS,
    RESOURCE_POLICY_LOOKUPS,
    AccessDenied,
    Principal,
    Requirement,
    authorize,
    enforcement_enabled,
    evaluate,
    evaluate_resource_policy,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/fleettap-dev-vehicle-state"
OTHER_TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/fleettap-dev-alerts"
PRINCIPAL = Principal(account="123456789012", role_name="fleettap-dev-hos", session_name="fleettap-dev-hos")


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def test_allow_on_the_named_resource_only():
    documents = [policy(allow(["dynamodb:PutItem", "dynamodb:GetItem"], TABLE))]
    assert evaluate(documents, "dynamodb:PutItem", TABLE).allowed
    assert not evaluate(documents, "dynamodb:PutItem", OTHER_TABLE).allowed
    assert not evaluate(documents, "dynamodb:DeleteItem", TABLE).allowed


def test_actions_match_case_insensitively_with_wildcards_resources_case_sensitively():
    documents = [policy(allow("DynamoDB:Get*", "arn:aws:dynamodb:*:*:table/fleettap-dev-*"))]
    assert evaluate(documents, "dynamodb:GetItem", TABLE).allowed
    assert not evaluate(documents, "dynamodb:GetItem", TABLE.replace("fleettap", "Fleettap")).allowed
    assert not evaluate(documents, "dynamodb:Query", TABLE).allowed


def test_question_mark_matches_one_character_and_brackets_are_literal():
    documents = [policy(allow("s3:GetObject", "arn:aws:s3:::bucket/a?c"))]
    assert evaluate(documents, "s3:GetObject", "arn:aws:s3:::bucket/abc").allowed
    assert not evaluate(documents, "s3:GetObject", "arn:aws:s3:::bucket/abbc").allowed
    literal = [policy(allow("s3:GetObject", "arn:aws:s3:::bucket/[ab]"))]
    assert not evaluate(literal, "s3:GetObject", "arn:aws:s3:::bucket/a").allowed
    assert evaluate(literal, "s3:GetObject", "arn:aws:s3:::bucket/[ab]").allowed


def test_explicit_deny_in_any_policy_wins():
    documents = [
        policy(allow("dynamodb:*", "*")),
        policy({"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE}),
    ]
    decision = evaluate(documents, "dynamodb:PutItem", TABLE)
    assert not decision.allowed and decision.explicit_deny
    assert evaluate(documents, "dynamodb:GetItem", TABLE).allowed


def test_not_action_and_not_resource():
    documents = [policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": OTHER_TABLE})]
    assert evaluate(documents, "dynamodb:PutItem", TABLE).allowed
    assert not evaluate(documents, "dynamodb:PutItem", OTHER_TABLE).allowed
    assert not evaluate(documents, "iam:PassRole", TABLE).allowed


def test_conditions_known_keys_are_evaluated_unknown_keys_do_not_deny():
    statement = allow("kms:Decrypt", "*") | {
        "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}
    }
    documents = [policy(statement)]
    assert evaluate(documents, "kms:Decrypt", "k", {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}).allowed
    assert not evaluate(documents, "kms:Decrypt", "k", {"kms:ViaService": "sns.us-east-1.amazonaws.com"}).allowed
    assert evaluate(documents, "kms:Decrypt", "k").allowed  # key unknown here: the Allow stands
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert evaluate([policy(allow("*", "*"), deny)], "s3:GetObject", "x").allowed  # unknown key: no deny
    assert not evaluate([policy(allow("*", "*"), deny)], "s3:GetObject", "x", {"aws:SecureTransport": "false"}).allowed


def test_single_statement_object_and_string_documents():
    assert evaluate(
        ['{"Statement": {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}}'], "sqs:SendMessage", "q"
    ).allowed


def test_authorize_names_principal_action_and_resource():
    with pytest.raises(AccessDenied) as denied:
        authorize(
            PRINCIPAL, "dynamodb:PutItem", OTHER_TABLE, "us-east-1", policies=[policy(allow("dynamodb:*", TABLE))]
        )
    message = str(denied.value)
    assert "assumed-role/fleettap-dev-hos/fleettap-dev-hos" in message
    assert "dynamodb:PutItem" in message and OTHER_TABLE in message
    assert "no identity-based policy allows" in message


def test_related_checks_must_also_be_allowed():
    key = "arn:aws:kms:us-east-1:123456789012:key/k1"

    def needs_key(action, resource, account, region):
        return [("kms:GenerateDataKey", key)] if action == "sqs:SendMessage" else []

    RELATED_CHECKS.append(needs_key)
    try:
        only_queue = [policy(allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q"))]
        with pytest.raises(AccessDenied) as denied:
            authorize(
                PRINCIPAL, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1", policies=only_queue
            )
        assert denied.value.action == "kms:GenerateDataKey" and denied.value.resource == key
        with_key = only_queue + [policy(allow("kms:GenerateDataKey", key))]
        authorize(PRINCIPAL, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1", policies=with_key)
    finally:
        RELATED_CHECKS.remove(needs_key)


def test_principal_from_role_arn():
    principal = Principal.of_role_arn("arn:aws:iam::123456789012:role/service/fleettap-dev-hos", "s1")
    assert principal.role_name == "fleettap-dev-hos"
    assert principal.arn == "arn:aws:sts::123456789012:assumed-role/fleettap-dev-hos/s1"


# -- resource-based policies --------------------------------------------------------------------

QUEUE = "arn:aws:sqs:us-east-1:123456789012:fleettap-dev-fleet_manager_queue"
TOPIC = "arn:aws:sns:us-east-1:123456789012:fleettap-dev-vehicle-alerts"


def topic_may_send(topic_arn: str) -> dict:
    return policy(
        {
            "Sid": "AllowVehicleAlertsTopic",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": QUEUE,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
        }
    )


def test_queue_policy_allows_the_sns_service_principal_for_its_topic_only():
    document = topic_may_send(TOPIC)
    assert evaluate_resource_policy(
        [document], "sns.amazonaws.com", "sqs:SendMessage", QUEUE, {"aws:SourceArn": TOPIC}
    ).allowed
    other_topic = TOPIC.replace("vehicle-alerts", "geofence-alerts")
    assert not evaluate_resource_policy(
        [document], "sns.amazonaws.com", "sqs:SendMessage", QUEUE, {"aws:SourceArn": other_topic}
    ).allowed
    assert not evaluate_resource_policy(
        [document], "events.amazonaws.com", "sqs:SendMessage", QUEUE, {"aws:SourceArn": TOPIC}
    ).allowed
    assert not evaluate_resource_policy([policy()], "sns.amazonaws.com", "sqs:SendMessage", QUEUE).allowed


def test_resource_policy_deny_for_everyone_wins_and_principal_forms():
    deny_insecure = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": QUEUE,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    document = policy(deny_insecure, topic_may_send(TOPIC)["Statement"][0])
    secure = {"aws:SourceArn": TOPIC, "aws:SecureTransport": "true"}
    assert evaluate_resource_policy([document], "sns.amazonaws.com", "sqs:SendMessage", QUEUE, secure).allowed
    insecure = dict(secure, **{"aws:SecureTransport": "false"})
    decision = evaluate_resource_policy([document], "sns.amazonaws.com", "sqs:SendMessage", QUEUE, insecure)
    assert decision.explicit_deny and not decision.allowed
    root = policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}
    )
    by_account = evaluate_resource_policy([root], PRINCIPAL, "kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/k")
    assert by_account.allowed and not by_account.direct
    named = policy(
        {"Effect": "Allow", "Principal": {"AWS": PRINCIPAL.role_arn}, "Action": "kms:Decrypt", "Resource": "*"}
    )
    assert evaluate_resource_policy(
        [named], PRINCIPAL, "kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/k"
    ).direct
    other_account = policy(
        {"Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "kms:*", "Resource": "*"}
    )
    assert not evaluate_resource_policy([other_account], PRINCIPAL, "kms:Decrypt", "arn:aws:kms:::key/k").allowed


def test_key_policy_lookup_decides_with_identity_policies():
    key = "arn:aws:kms:us-east-1:123456789012:key/k1"
    key_policies = {"document": None}

    def lookup(action, resource, account, region):
        return key_policies["document"] if resource == key else None

    RESOURCE_POLICY_LOOKUPS.append(lookup)
    try:
        iam_allows = [policy(allow("kms:Decrypt", key))]
        key_policies["document"] = policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        )
        authorize(PRINCIPAL, "kms:Decrypt", key, "us-east-1", policies=iam_allows)  # root delegation + IAM allow
        with pytest.raises(AccessDenied, match="no identity-based policy allows"):
            authorize(PRINCIPAL, "kms:Decrypt", key, "us-east-1", policies=[policy()])
        key_policies["document"] = policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "kms:*",
                "Resource": "*",
            }
        )
        with pytest.raises(AccessDenied, match="no resource-based policy allows the kms:Decrypt action"):
            authorize(PRINCIPAL, "kms:Decrypt", key, "us-east-1", policies=iam_allows)
        key_policies["document"] = policy(
            {"Effect": "Allow", "Principal": {"AWS": PRINCIPAL.role_arn}, "Action": "kms:Decrypt", "Resource": "*"}
        )
        authorize(PRINCIPAL, "kms:Decrypt", key, "us-east-1", policies=[policy()])  # the key policy names the role
    finally:
        RESOURCE_POLICY_LOOKUPS.remove(lookup)


def test_related_requirements_carry_the_service_error_code_and_context():
    key = "arn:aws:kms:us-east-1:123456789012:key/k1"

    def needs_key(action, resource, account, region, context):
        if action != "kinesis:PutRecords":
            return []
        return [Requirement("kms:GenerateDataKey", key, "KMSAccessDeniedException", {"kms:ViaService": "kinesis.x"})]

    needs_key.takes_context = True
    RELATED_CHECKS.append(needs_key)
    try:
        stream = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
        via_kinesis = {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key}
        via_kinesis["Condition"] = {"StringEquals": {"kms:ViaService": "kinesis.x"}}
        authorize(
            PRINCIPAL,
            "kinesis:PutRecords",
            stream,
            "us-east-1",
            policies=[policy(allow("kinesis:PutRecords", stream), via_kinesis)],
        )
        via_kinesis["Condition"] = {"StringEquals": {"kms:ViaService": "s3.x"}}
        with pytest.raises(AccessDenied) as denied:
            authorize(
                PRINCIPAL,
                "kinesis:PutRecords",
                stream,
                "us-east-1",
                policies=[policy(allow("kinesis:PutRecords", stream), via_kinesis)],
            )
        assert denied.value.code == "KMSAccessDeniedException" and denied.value.resource == key
    finally:
        RELATED_CHECKS.remove(needs_key)


def test_enforcement_switch(monkeypatch):
    monkeypatch.delenv("FLEETTAP_IAM_ENFORCEMENT", raising=False)
    assert enforcement_enabled()
    for off in ("off", "0", "false", "NO"):
        monkeypatch.setenv("FLEETTAP_IAM_ENFORCEMENT", off)
        assert not enforcement_enabled()
    monkeypatch.setenv("FLEETTAP_IAM_ENFORCEMENT", "on")
    assert enforcement_enabled()
