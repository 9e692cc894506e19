"""No VPC interface endpoint that nothing uses, none missing for what the VPC functions call.

Every function runs in the VPC; the AWS services its code calls are read from the handlers'
`client("...")` / `warm(...)` calls. DynamoDB and S3 go through gateway endpoints (free); every other
service a handler calls needs an interface endpoint, and an interface endpoint no handler calls
costs $0.01 per AZ-hour for nothing, except kinesis-streams, which the request names (R35).
"""

from __future__ import annotations

import re
from pathlib import Path

from capacity_planner.stack_facts import interface_endpoint_services

REPO = Path(__file__).resolve().parents[2]
GATEWAY = {"dynamodb", "s3"}
ENDPOINT_OF = {"sagemaker-runtime": "sagemaker.runtime", "kinesis": "kinesis-streams"}
REQUESTED_UNUSED = {"kinesis-streams"}
# Called only by a deploy step, once per apply (handlers/redis_auth_rotator.py): through the NAT
# gateway, a few requests a month, cheaper than an interface endpoint's $0.01 per AZ-hour.
THROUGH_NAT = {"elasticache"}


def called_services() -> set[str]:
    services = set()
    for path in (REPO / "handlers").rglob("*.py"):
        text = path.read_text()
        services |= set(re.findall(r'\bclient\(\s*"([a-z0-9-]+)"', text))
        for args in re.findall(r"\bwarm\(([^)]*)\)", text):
            services |= set(re.findall(r'"([a-z0-9-]+)"', args))
    return services


def test_interface_endpoints_are_exactly_what_the_functions_call():
    called = {ENDPOINT_OF.get(s, s) for s in called_services()} - GATEWAY
    assert {"sns", "sqs", "secretsmanager", "sagemaker.runtime"} <= called  # the reading works
    endpoints = set(interface_endpoint_services((REPO / "infra" / "tap_stack.tf").read_text()))
    assert called - endpoints - THROUGH_NAT == set(), "called without an endpoint"
    assert endpoints - called - REQUESTED_UNUSED == set(), "endpoints nothing calls"
