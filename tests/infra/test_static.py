"""Static checks of infra/: fmt, validate, variables the request names, tfvars copies, checkov."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import terraform as tf
from harness.tf import examples
from tests.infra.conftest import ENVS, INFRA, REPO_ROOT
from tests.infra.policy_checks import identity_policy_violations, resource_policy_violations

STACK = (INFRA / "tap_stack.tf").read_text()

# Every variable the request names, with the request's spelling (the Glue `database_name` is
# `glue_database_name`, the Aurora one keeps `database_name`).
REQUESTED_VARIABLES = """
aws_region env project_name owner cost_center common_tags vpc_cidr public_subnet_cidrs private_subnet_cidrs
enable_nat_gateway diagnostics_stream_name hos_stream_name gps_stream_name stream_mode diagnostics_shard_count
hos_shard_count gps_shard_count retention_hours diagnostics_table thresholds_table predictions_table
driver_logs_table compliance_rules_table locations_table geofences_table compliance_status_table billing_mode
rcu wcu ttl_enabled ttl_attribute processor_memory anomaly_memory maintenance_memory driver_notifier_memory
fleet_memory predictive_memory hos_memory location_memory fuel_memory coaching_memory timeout_s runtime
reserved_concurrency node_type num_cache_clusters engine_version snapshot_retention_limit cluster_identifier
database_name master_username instance_class min_capacity max_capacity backup_retention_days
predictive_endpoint_name alerts_topic maintenance_topic violations_topic summary_topic geofence_topic
coaching_topic maintenance_queue driver_queue fleet_queue training_queue visibility_timeout retention_seconds
compliance_schedule_expression reports_bucket data_lake_bucket lifecycle_archive_days diagnostics_firehose_name
buffer_interval_s buffer_size_mb data_format_conversion_enabled crawler_name glue_database_name
crawler_schedule workgroup_name output_bucket log_retention_days
""".split()


def _terraform_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(tf.write_cli_config(tmp_path))
    env["TF_IN_AUTOMATION"] = "1"
    return env


def _variable_blocks() -> dict[str, str]:
    blocks = {}
    for match in re.finditer(r'^variable "([^"]+)" \{\n(.*?)^\}', STACK, re.M | re.S):
        blocks[match.group(1)] = match.group(2)
    return blocks


def test_fmt_check(tmp_path):
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-recursive", str(INFRA)],
        capture_output=True,
        text=True,
        env=_terraform_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_validate(tmp_path):
    work = tmp_path / "validate"
    work.mkdir()
    for source in INFRA.glob("*.tf"):
        shutil.copy(source, work)
    env = _terraform_env(tmp_path)
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    result = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"], cwd=work, capture_output=True, text=True, env=env
    )
    report = json.loads(result.stdout)
    assert report["valid"], report["diagnostics"]
    assert report["warning_count"] == 0, report["diagnostics"]


def test_terraform_block_and_no_provider_block():
    # The request's floor is >= 1.5; write-only arguments and ephemeral resources (the Redis AUTH token
    # kept out of state) need 1.11, which still satisfies it.
    assert re.search(r'required_version\s*=\s*">= 1\.11"', STACK)
    assert re.search(r'source\s*=\s*"hashicorp/aws"\s*\n\s*version\s*=\s*"~> 5\.0"', STACK)
    assert not re.search(r'^provider "aws"', STACK, re.M), "provider config belongs in provider.tf"
    provider = (INFRA / "provider.tf").read_text()
    assert "region = var.aws_region" in provider and "default_tags" in provider


def _resource_block(kind: str, name: str) -> str:
    match = re.search(rf'^resource "{kind}" "{name}" \{{\n(.*?)^\}}', STACK, re.M | re.S)
    assert match, f"{kind}.{name} not found"
    return match.group(1)


def test_aurora_minor_upgrades_are_not_planned_back():
    """Audit A3: with auto_minor_version_upgrade, AWS moves the cluster past aurora_engine_version; a
    plan that moved it back would be a downgrade RDS refuses. The instances follow the cluster."""
    cluster = _resource_block("aws_rds_cluster", "aurora")
    assert re.search(r"lifecycle \{\s*ignore_changes\s*=\s*\[engine_version\]", cluster)
    instance = _resource_block("aws_rds_cluster_instance", "aurora")
    assert re.search(r"engine_version\s*=\s*aws_rds_cluster\.aurora\.engine_version", instance)
    assert re.search(r"auto_minor_version_upgrade\s*=\s*true", instance)
    # 0 ACU (auto-pause) needs 15.7 or later: the floor stays 0.5 while the pinned version is older.
    assert "var.min_capacity >= 0.5" in _variable_blocks()["min_capacity"]


def test_every_requested_variable_is_declared_typed_described_and_validated_where_it_matters():
    blocks = _variable_blocks()
    missing = [name for name in REQUESTED_VARIABLES if name not in blocks]
    assert not missing, f"variables the request names but tap_stack.tf lacks: {missing}"
    for name, body in blocks.items():
        assert re.search(r"^\s*type\s*=", body, re.M), f"variable {name} has no type"
        assert re.search(r'^\s*description\s*=\s*"\S', body, re.M), f"variable {name} has no description"
    must_validate = [
        "env",
        "stream_mode",
        "billing_mode",
        "vpc_cidr",
        "public_subnet_cidrs",
        "private_subnet_cidrs",
        "compliance_schedule_expression",
        "crawler_schedule",
        "runtime",
        "buffer_size_mb",
    ]
    must_validate += [name for name in REQUESTED_VARIABLES if name.endswith("_memory")]
    unvalidated = [name for name in must_validate if "validation {" not in blocks[name]]
    assert not unvalidated, f"no validation block: {unvalidated}"


# Set in dev.tfvars only: staging and prod take them at deploy time (TF_VAR_...), see their descriptions.
DEPLOY_TIME_VARIABLES = {"alert_https_endpoint"}


def test_tfvars_have_the_same_keys_and_only_known_variables():
    blocks = _variable_blocks()
    keys = {}
    for env in ENVS:
        text = (INFRA / f"{env}.tfvars").read_text()
        keys[env] = [k for k in re.findall(r"^([a-z_0-9]+)\s*=", text, re.M) if k not in DEPLOY_TIME_VARIABLES]
        assert len(keys[env]) == len(set(keys[env])), f"{env}.tfvars repeats a key"
        unknown = set(keys[env]) - set(blocks)
        assert not unknown, f"{env}.tfvars sets undeclared variables {unknown}"
        assert re.search(rf'^env\s*=\s*"{env}"', text, re.M)
    assert set(keys["dev"]) == set(keys["staging"]) == set(keys["prod"])


def test_prod_tfvars_follow_the_sizing_arithmetic():
    values = dict(re.findall(r"^([a-z_]+_shard_count)\s*=\s*(\d+)", (INFRA / "prod.tfvars").read_text(), re.M))
    mib = 1024 * 1024

    def shards(records_per_s: float, bytes_per_record: int, readers: int) -> int:
        import math

        load = records_per_s * bytes_per_record
        return math.ceil(max(records_per_s / 1000, load / mib, readers * load / (2 * mib)) * 1.5)

    vehicles = 234_000
    assert int(values["gps_shard_count"]) == shards(vehicles / 30, 300, 1) == 12
    assert int(values["diagnostics_shard_count"]) == shards(vehicles / 60, 550, 4)
    assert int(values["hos_shard_count"]) >= shards(650, 400, 1)


def test_example_block_at_end_of_tap_stack_equals_the_tfvars_files():
    copies = examples.extract(STACK)
    assert sorted(copies) == sorted(ENVS)
    for env in ENVS:
        assert copies[env] == (INFRA / f"{env}.tfvars").read_text(), (
            f"{env}.tfvars differs from its copy in tap_stack.tf"
        )
    assert STACK.rstrip().endswith(examples.END), "the example block must close the file"


def test_example_block_extraction_detects_a_difference():
    tampered = STACK.replace("# gps_shard_count         = 12", "# gps_shard_count         = 13")
    assert tampered != STACK
    assert examples.extract(tampered)["prod"] != (INFRA / "prod.tfvars").read_text()


def test_policy_checker_flags_wildcards():
    assert identity_policy_violations({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert identity_policy_violations({"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"})
    assert identity_policy_violations({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"})
    assert not identity_policy_violations({"Effect": "Allow", "Action": ["ec2:DescribeSubnets"], "Resource": "*"})
    assert not identity_policy_violations({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert resource_policy_violations(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}, "aws_s3_bucket_policy"
    )
    assert not resource_policy_violations(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, "aws_s3_bucket_policy"
    )


def _checkov() -> Path:
    """checkov lives in its own venv (.venv-checkov, as `make checkov` builds it): its pins clash with .venv."""
    venv = REPO_ROOT / ".venv-checkov"
    binary = venv / "bin" / "checkov"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(REPO_ROOT / "requirements" / "checkov.txt")],
            check=True,
            timeout=800,
        )
    return binary


@pytest.mark.slow
def test_checkov_reports_no_failed_check_and_every_skip_has_a_reason():
    result = subprocess.run(
        [str(_checkov()), "-d", str(INFRA), "--framework", "terraform", "--quiet", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [(c["check_id"], c["resource"]) for r in reports for c in r["results"].get("failed_checks", [])]
    assert not failed, failed
    assert sum(r["summary"]["passed"] for r in reports) > 300
    assert result.returncode == 0
    skips = re.findall(r"#\s*checkov:skip=([A-Z0-9_]+)(.*)", STACK)
    assert skips, "expected the documented inline suppressions"
    for check_id, reason in skips:
        assert re.match(r":\s*\S.{10,}", reason), f"checkov:skip={check_id} has no one-line reason"
