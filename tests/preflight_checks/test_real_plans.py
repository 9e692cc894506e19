"""The preflight over the real plans of dev, staging and prod (planned against an emulator of their
own): no finding once staging and prod get their deploy-time alert endpoint (and prod the vendors'
API URLs, so it deploys no mock API), and the placeholder a local plan uses in their place is found,
as is the mock API a local prod plan deploys."""

from __future__ import annotations

import pytest

from harness import terraform as tf
from preflight.plan import Context
from preflight.run import run
from tests.infra.conftest import ENVS, emulator  # noqa: F401  (the module-scoped emulator fixture)

pytestmark = pytest.mark.slow
# Stands for the real webhook staging and prod take at deploy time (TF_VAR_alert_https_endpoint).
DEPLOY_TIME = {"alert_https_endpoint": "https://fleet-ops.acme-logistics.com/hooks/fleettap"}
# ...and the vendors' APIs prod calls instead of the mock (TF_VAR_external_api_urls): no mock in prod.
PROD_DEPLOY_TIME = {
    **DEPLOY_TIME,
    "external_api_urls": {"telematics": "https://api.telematics-vendor.net", "pdf": "https://eld.fmcsa-vendor.net"},
}


@pytest.fixture(scope="module")
def plans(emulator):  # noqa: F811
    deploy_time = {"dev": None, "staging": DEPLOY_TIME, "prod": PROD_DEPLOY_TIME}
    return {
        env: tf.show_plan(env, emulator.info, state_dir=emulator.state_dir, extra_vars=deploy_time[env]) for env in ENVS
    }


@pytest.mark.parametrize("env", ENVS)
def test_no_finding(plans, env):
    findings = run(Context(env, plans[env]))
    assert findings == [], "\n".join(f.render() for f in findings)


def test_the_local_placeholder_endpoint_is_a_finding_in_prod(emulator):  # noqa: F811
    plan = tf.show_plan("prod", emulator.info, state_dir=emulator.state_dir)
    findings = run(Context("prod", plan))
    assert findings and {f.check for f in findings} == {"placeholders", "api"}
    placeholders = [f for f in findings if f.check == "placeholders"]
    assert placeholders and all(f.address.startswith("aws_sns_topic_subscription.https[") for f in placeholders)
    # Without external_api_urls (allowed only against the emulator) prod would deploy the mock API.
    assert [f.address for f in findings if f.check == "api"] == ["aws_api_gateway_rest_api.external[0]"]
