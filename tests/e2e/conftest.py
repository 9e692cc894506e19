"""The deployed stack for end-to-end tests: the foundation's `local_stack` (emulator hosting the
local runtime, Postgres, Redis, mock API), `make build` artifacts, `terraform apply` of the dev
stack through `harness.terraform`, and the Aurora migrations on the local Postgres.

Everything the tests observe comes from what Terraform deployed: names are read from the
Terraform outputs or found by the deployed naming convention, never created by the tests (the
tests only add observer subscriptions/queues of their own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from harness import migrate, terraform
from harness.config import read_stack


@dataclass
class DeployedStack:
    info: Any
    outputs: dict

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.info.aws_endpoint,
            region_name=self.info.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stream_arn(self, kind: str) -> str:
        kinesis = self.client("kinesis")
        for name in kinesis.list_streams()["StreamNames"]:
            if name.endswith(f"-{kind}"):
                return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        raise AssertionError(f"no {kind} stream deployed")

    def topic_arn(self, suffix: str) -> str:
        for topic in self.client("sns").list_topics()["Topics"]:
            if topic["TopicArn"].endswith(f"-{suffix}"):
                return topic["TopicArn"]
        raise AssertionError(f"no topic *-{suffix} deployed")

    def queue_url(self, name_part: str) -> str:
        urls = [
            u
            for u in self.client("sqs").list_queues().get("QueueUrls", [])
            if u.rsplit("/", 1)[1].startswith("fleettap-dev-")
        ]
        matches = [u for u in urls if u.rsplit("/", 1)[1] == f"fleettap-dev-{name_part}"]
        if not matches:
            raise AssertionError(f"no queue fleettap-dev-{name_part} in {urls}")
        return matches[0]


def apply_stack(info) -> DeployedStack:
    terraform.check_artifacts(terraform.artifacts_dir())
    terraform.init("dev", info)
    outputs = terraform.apply("dev", info)
    migrate.apply(info.postgres_dsn)
    return DeployedStack(info, outputs)


@pytest.fixture(scope="session")
def deployed_stack(request) -> DeployedStack:
    """A fresh stack per session; FLEETTAP_E2E_STACK_DIR=<state dir of a running, applied stack>
    reuses that one instead (for iterating on the tests: saves the ~3 min apply)."""
    reuse = os.environ.get("FLEETTAP_E2E_STACK_DIR")
    if reuse:
        info = read_stack(Path(reuse))
        outputs = terraform.outputs("dev", info)
        migrate.apply(info.postgres_dsn)
        return DeployedStack(info, outputs) if outputs else apply_stack(info)
    return apply_stack(request.getfixturevalue("local_stack"))
