"""Placeholder endpoints (example.com, localhost ...) in the staging or prod plan: a value nobody
replaced, e.g. an alert webhook that would leave every alarm undelivered. dev may keep them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from preflight.findings import Finding
from preflight.plan import Context

CHECKED_ENVS = ("staging", "prod")
PLACEHOLDER = re.compile(
    r"(?:^|[/@.:\s\"'])(?:[a-z0-9-]+\.)*(?:example\.(?:com|org|net)|localhost|[a-z0-9-]+\.(?:example|test|invalid|localhost))"
    r"(?=$|[/:\s\"'?#])|\b127\.0\.0\.1\b|\b0\.0\.0\.0(?::\d+)\b",
    re.I,
)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def check(ctx: Context) -> list[Finding]:
    if ctx.env not in CHECKED_ENVS:
        return []
    findings = []
    for resource in ctx.all_resources():
        for path, text in _strings(resource.get("values", {})):
            if PLACEHOLDER.search(text):
                findings.append(
                    Finding(
                        "placeholders",
                        resource["address"],
                        f"{path} = {text[:120]!r} is a placeholder endpoint in {ctx.env}",
                        "set the real value for this environment (alert_https_endpoint: "
                        "TF_VAR_alert_https_endpoint at deploy time)",
                    )
                )
    return findings
