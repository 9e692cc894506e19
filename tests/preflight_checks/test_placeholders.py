"""Placeholder endpoints in staging and prod values (dev may keep them)."""

from __future__ import annotations

import pytest

from preflight import placeholders
from tests.preflight_checks.fragments import context, plan, resource


def _subscription(endpoint: str) -> dict:
    return plan(resource('aws_sns_topic_subscription.https["ops"]', {"protocol": "https", "endpoint": endpoint}))


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://hooks.example.com/fleettap/sns",
        "https://example.org/x",
        "http://localhost:8080/hook",
        "https://api.vendor.test/v1",
        "http://127.0.0.1/x",
    ],
)
def test_placeholder_hosts_are_findings_in_staging_and_prod(endpoint):
    for env in ("staging", "prod"):
        findings = placeholders.check(context(_subscription(endpoint), env=env))
        assert [f.address for f in findings] == ['aws_sns_topic_subscription.https["ops"]'], (env, endpoint)
    assert placeholders.check(context(_subscription(endpoint), env="dev")) == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://events.pagerduty.com/integration/abc/enqueue",
        "https://hooks.fleet-ops.acme.com/sns",
        "https://counterexample.com/x",
    ],
)
def test_real_hosts_are_not(endpoint):
    assert placeholders.check(context(_subscription(endpoint), env="prod")) == []
