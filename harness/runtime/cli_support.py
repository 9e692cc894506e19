"""Which endpoint the command-line tools (status, query, trigger, logs) talk to; where the stack is
comes from harness.config (`state_dir`, `read_stack_data`), the one stack locator."""

from __future__ import annotations

import os

from harness import config


def resolve_endpoint(explicit_state_dir: str | None = None, explicit_endpoint: str | None = None) -> tuple[str, str]:
    stack = config.read_stack_data(config.state_dir(explicit_state_dir))
    aws = stack.get("aws") or {}
    endpoint = explicit_endpoint or aws.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL") or "http://127.0.0.1:4566"
    region = aws.get("region") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return endpoint, region
