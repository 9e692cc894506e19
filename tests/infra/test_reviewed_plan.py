"""The reviewed-plan gate (harness.tf.reviewed_plan, infra audit A5): on AWS, staging and prod apply
only the plan `make plan` saved, once; dev and the local target apply directly.

The gate's Terraform behaviour is checked with the real `terraform` binary on a small configuration
of built-in `terraform_data` resources (no provider, no AWS): the same Runner.apply code path a prod
apply takes, pointed at that configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from harness import terraform as tf
from harness.tf import reviewed_plan

CONFIG = """
terraform {
  backend "local" {}
}
variable "size" {
  type = number
}
resource "terraform_data" "capacity" {
  input = var.size
}
output "size" {
  value = terraform_data.capacity.output
}
"""


def test_only_staging_and_prod_on_aws_need_a_reviewed_plan():
    assert [env for env in tf.ENVS if reviewed_plan.required(env, "aws")] == ["staging", "prod"]
    assert not any(reviewed_plan.required(env, "local") for env in tf.ENVS)


def test_a_saved_plan_is_applied_without_approval_flags_or_variables(tmp_path):
    args = reviewed_plan.apply_args(tmp_path / "reviewed.tfplan", 7)
    assert args[0] == "apply" and args[-1] == str(tmp_path / "reviewed.tfplan") and "-parallelism=7" in args
    assert "-auto-approve" not in args and not any(a.startswith("-var") for a in args)


def test_a_prod_apply_on_aws_without_a_saved_plan_exits_2_before_reaching_aws(tmp_path):
    # Before init: no AWS credentials or network are needed to be refused.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.terraform",
            "apply",
            "--env",
            "prod",
            "--target",
            "aws",
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "no reviewed plan for prod" in done.stderr and "make plan TARGET=aws ENV=prod" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def small_stack(tmp_path):
    """A Runner for prod on AWS whose work dir is a small terraform_data configuration."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: the reviewed-plan gate is tested with the real binary")
    workdir = tmp_path / "config"
    workdir.mkdir()
    (workdir / "main.tf").write_text(CONFIG)
    runner = tf.Runner("prod", "aws", state_dir=tmp_path / "state")
    runner.workdir = workdir
    runner.process_env["TF_DATA_DIR"] = str(workdir / ".terraform")
    runner.run(["init", "-input=false", "-no-color"], timeout_key="init")
    runner.init = lambda: None  # initialised above, with the small configuration's local backend
    return runner


def _plan(runner: tf.Runner, size: int) -> None:
    path = reviewed_plan.plan_path(runner.state_dir, runner.env)
    path.parent.mkdir(parents=True, exist_ok=True)
    runner.run(["plan", "-input=false", "-no-color", f"-var=size={size}", f"-out={path}"], timeout_key="plan")


def test_prod_applies_the_saved_plan_once_and_a_stale_plan_is_refused(small_stack):
    lines: list[str] = []
    _plan(small_stack, 3)
    small_stack.apply(on_progress=lines.append)
    assert small_stack.outputs() == {"size": 3}
    assert any("1 of 1 resources" in line for line in lines), lines
    assert not reviewed_plan.plan_path(small_stack.state_dir, "prod").exists()  # spent
    with pytest.raises(reviewed_plan.ReviewedPlanMissing):
        small_stack.apply()

    # Two plans made from the same state: once one is applied, the other no longer describes the state
    # (someone else applied in between) and Terraform refuses it rather than applying it blindly.
    _plan(small_stack, 5)
    older = reviewed_plan.plan_path(small_stack.state_dir, "prod").read_bytes()
    _plan(small_stack, 6)
    small_stack.apply()
    assert small_stack.outputs() == {"size": 6}
    reviewed_plan.plan_path(small_stack.state_dir, "prod").write_bytes(older)
    with pytest.raises(tf.TerraformError, match="(?i)stale"):
        small_stack.apply()
    assert small_stack.outputs() == {"size": 6}
    assert not reviewed_plan.plan_path(small_stack.state_dir, "prod").exists()


def test_the_preflight_of_make_plan_checks_the_saved_plan_and_says_when_there_is_none(tmp_path):
    env = {**os.environ, "FLEETTAP_STATE_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "preflight", "--env", "staging", "--target", "aws", "--saved-plan"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2 and "no reviewed plan for staging" in done.stderr, done.stderr
    command[-2] = "local"
    local = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert local.returncode == 2 and "--saved-plan is for --target aws" in local.stderr, local.stderr
