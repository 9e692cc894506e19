"""State: the stack declares a remote backend and each environment has its own state key, so
applying one environment never plans against another's resources (infra/backend/<env>.hcl).

The plan JSON does not carry the backend, so this check reads infra/ itself.
"""

from __future__ import annotations

import re

from preflight.findings import Finding
from preflight.plan import Context

ENVS = ("dev", "staging", "prod")


def _settings(text: str) -> dict[str, str]:
    return {k: v.strip().strip('"') for k, v in re.findall(r"^\s*([a-z_]+)\s*=\s*([^#\n]+)", text, re.M)}


def check(ctx: Context) -> list[Finding]:
    stack = (ctx.infra / "tap_stack.tf").read_text()
    block = re.search(r"^terraform \{(.*?)^\}", stack, re.M | re.S)
    if not block or not re.search(r'^\s*backend\s+"s3"\s*\{', block.group(1), re.M):
        return [
            Finding(
                "backend",
                "terraform.backend",
                "no backend: every environment applies to one local terraform.tfstate, so applying prod "
                "after staging plans to replace staging (and the state holds the Redis AUTH token)",
                'declare backend "s3" {} in the terraform block and one infra/backend/<env>.hcl per '
                "environment with its own key, encrypt = true and locking",
            )
        ]
    findings, keys = [], {}
    for env in ENVS:
        path = ctx.infra / "backend" / f"{env}.hcl"
        if not path.is_file():
            findings.append(
                Finding(
                    "backend",
                    f"infra/backend/{env}.hcl",
                    "missing",
                    "add it with bucket, key (per environment), region, encrypt = true, use_lockfile",
                )
            )
            continue
        settings = _settings(path.read_text())
        keys.setdefault(settings.get("key"), []).append(env)
        if env not in (settings.get("key") or ""):
            findings.append(
                Finding(
                    "backend",
                    f"infra/backend/{env}.hcl",
                    f"key {settings.get('key')!r} does not name {env}",
                    f'key = "fleettap/{env}/terraform.tfstate"',
                )
            )
        if settings.get("encrypt") != "true":
            findings.append(
                Finding(
                    "backend",
                    f"infra/backend/{env}.hcl",
                    "state is not encrypted",
                    "encrypt = true (the state holds secrets)",
                )
            )
        if settings.get("use_lockfile") != "true" and not settings.get("dynamodb_table"):
            findings.append(
                Finding(
                    "backend",
                    f"infra/backend/{env}.hcl",
                    "no state locking",
                    "use_lockfile = true (or a dynamodb_table)",
                )
            )
    for key, envs in keys.items():
        if len(envs) > 1:
            findings.append(
                Finding(
                    "backend",
                    "infra/backend",
                    f"{', '.join(envs)} share the state key {key!r}",
                    "one key per environment",
                )
            )
    return findings
