"""Run every check over one plan and render the findings."""

from __future__ import annotations

from preflight import api, backend, concurrency, iam, placeholders, timeouts
from preflight.findings import Finding
from preflight.plan import Context

CHECKS = (concurrency.check, timeouts.check, api.check, placeholders.check, backend.check, iam.check)


def run(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(ctx))
    return findings


def report(env: str, findings: list[Finding]) -> str:
    if not findings:
        return f"preflight {env}: no finding ({len(CHECKS)} check groups)"
    lines = [f"preflight {env}: {len(findings)} finding(s)"] + [f.render() for f in findings]
    return "\n".join(lines)
