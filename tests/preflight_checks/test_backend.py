"""One remote state key per environment (reads an infra/ directory, here a temporary copy)."""

from __future__ import annotations

from preflight import backend
from tests.preflight_checks.fragments import REPO_ROOT, context, plan


def _infra(tmp_path, stack: str, files: dict[str, str]):
    (tmp_path / "infra" / "backend").mkdir(parents=True)
    (tmp_path / "infra" / "tap_stack.tf").write_text(stack)
    for env, text in files.items():
        (tmp_path / "infra" / "backend" / f"{env}.hcl").write_text(text)
    return context(plan(), repo_root=tmp_path)


GOOD = {
    env: f'bucket = "s"\nkey = "fleettap/{env}/terraform.tfstate"\nencrypt = true\nuse_lockfile = true\n'
    for env in ("dev", "staging", "prod")
}
WITH_BACKEND = 'terraform {\n  required_version = ">= 1.5"\n  backend "s3" {}\n}\n'


def test_no_backend_is_one_finding(tmp_path):
    findings = backend.check(_infra(tmp_path, 'terraform {\n  required_version = ">= 1.5"\n}\n', GOOD))
    assert [f.address for f in findings] == ["terraform.backend"]


def test_one_encrypted_locked_key_per_environment_passes(tmp_path):
    assert backend.check(_infra(tmp_path, WITH_BACKEND, GOOD)) == []


def test_shared_key_missing_file_and_unencrypted_state_are_findings(tmp_path):
    shared = dict(GOOD, staging=GOOD["prod"].replace("encrypt = true", "encrypt = false"))
    del shared["dev"]
    problems = {(f.address, f.problem.split(" ")[0]) for f in backend.check(_infra(tmp_path, WITH_BACKEND, shared))}
    assert ("infra/backend/dev.hcl", "missing") in problems
    assert any(a == "infra/backend" for a, _ in problems)  # staging and prod share a key
    assert ("infra/backend/staging.hcl", "state") in problems


def test_the_repository_infra_passes():
    assert backend.check(context(plan(), repo_root=REPO_ROOT)) == []
