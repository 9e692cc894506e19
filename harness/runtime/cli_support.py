"""Where the command-line tools (status, query, trigger, logs) find the running local stack."""
from __future__ import annotations

import os
from pathlib import Path

from harness import config
from harness.runtime.local_endpoints import read_stack


def state_dir(explicit: str | None = None) -> Path:
    return Path(explicit) if explicit else config.state_dir()


def resolve_endpoint(explicit_state_dir: str | None = None, explicit_endpoint: str | None = None) -> tuple[str, str]:
    stack = read_stack(state_dir(explicit_state_dir))
    aws = stack.get("aws") or {}
    endpoint = explicit_endpoint or aws.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL") or "http://127.0.0.1:4566"
    region = aws.get("region") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return endpoint, region
