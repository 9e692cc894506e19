"""harness.terraform's per-target arguments: the local backend override, the S3 backend config per
environment, and the alert endpoint a local plan of staging/prod gets in place of the deploy-time one."""

from __future__ import annotations

from pathlib import Path

from harness import terraform as tf


def test_the_local_override_keeps_a_local_backend():
    text = tf.override_text("http://127.0.0.1:1", "us-east-1")
    assert 'backend "local" {}' in text


def test_each_environment_has_its_own_backend_file():
    keys = {env: tf.backend_config(env).read_text() for env in tf.ENVS}
    assert all(f'key          = "fleettap/{env}/terraform.tfstate"' in text for env, text in keys.items())


def test_local_staging_and_prod_plans_get_the_placeholder_unless_the_endpoint_is_given(monkeypatch):
    monkeypatch.delenv("TF_VAR_alert_https_endpoint", raising=False)
    placeholder = f"-var=alert_https_endpoint={tf.LOCAL_ALERT_ENDPOINT}"
    assert placeholder in tf.var_args("prod", Path("/a"))
    assert placeholder not in tf.var_args("dev", Path("/a"))  # dev.tfvars sets it
    assert placeholder not in tf.var_args("prod", Path("/a"), target="aws")  # AWS: the deployer must give it
    assert placeholder not in tf.var_args("prod", Path("/a"), {"alert_https_endpoint": "https://x.acme.com"})
    monkeypatch.setenv("TF_VAR_alert_https_endpoint", "https://x.acme.com")
    assert placeholder not in tf.var_args("prod", Path("/a"))


def test_only_the_local_target_allows_placeholder_endpoints():
    flag = "-var=allow_placeholder_endpoints=true"
    assert flag in tf.var_args("prod", Path("/a")) and flag in tf.var_args("dev", Path("/a"))
    assert flag not in tf.var_args("prod", Path("/a"), target="aws")
