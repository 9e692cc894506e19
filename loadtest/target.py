"""Where load goes: the local stack (endpoint from stack.json, found by harness.config) or real AWS
(default credentials).

Names follow docs/contracts.md: `<project>-<env>-<name>` for streams, tables and queues.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import read_stack_data, state_dir

LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@dataclass(frozen=True)
class Target:
    kind: str  # local | aws
    endpoint: str | None
    region: str
    project: str
    env: str
    state_dir: Path | None
    stream_overrides: tuple[tuple[str, str], ...] = ()

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.env}-"

    def client(self, service: str) -> Any:
        from sim import aws

        return aws.client(service, endpoint=self.endpoint, region=self.region)


def resolve_target(
    kind: str,
    *,
    project: str,
    env: str,
    endpoint: str | None = None,
    region: str | None = None,
    streams: dict[str, str] | None = None,
) -> Target:
    """Local: endpoint from --endpoint, AWS_ENDPOINT_URL, or stack.json; sets the test credentials."""
    overrides = tuple(sorted((streams or {}).items()))
    if kind == "aws":
        return Target(
            "aws", endpoint, region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"), project, env, None, overrides
        )
    if kind != "local":
        raise ValueError(f"target must be local or aws, not {kind!r}")
    directory = state_dir()
    stack = read_stack_data(directory)
    endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL") or stack.get("aws", {}).get("endpoint")
    if not endpoint:
        raise SystemExit(
            f"no local endpoint: start the stack (make up) or pass --endpoint; looked in {directory / 'stack.json'}"
        )
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    region = region or stack.get("aws", {}).get("region") or "us-east-1"
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    return Target("local", endpoint, region, project, env, directory, overrides)
