"""What the cost arithmetic needs from infra/tap_stack.tf beyond tfvars: the mappings' batching (its
per-environment `locals.capacity`), the interface endpoints, the availability zones and whether the
Aurora reader follows the writer's capacity. Read from the file's text, no Terraform run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StackFacts:
    """What the cost needs from tap_stack.tf beyond tfvars."""

    kinesis_batch_size: int = 100
    batching_window_s: float = 1.0
    parallelization_factor: int = 1
    sqs_batch_size: int = 10
    interface_endpoints: tuple[str, ...] = ()
    availability_zones: int = 2
    aurora_readers: int = 1
    reader_follows_writer: bool = False  # promotion tier 0-1: a Serverless v2 reader scales with the writer


def interface_endpoint_services(stack_text: str) -> tuple[str, ...]:
    """The services of `resource "aws_vpc_endpoint" "interface"`'s for_each list."""
    match = re.search(
        r'resource "aws_vpc_endpoint" "interface" \{.*?for_each\s*=\s*toset\(\[(.*?)\]\)', stack_text, re.S
    )
    return tuple(re.findall(r'"([^"]+)"', match.group(1))) if match else ()


def reader_follows_writer(stack_text: str) -> bool:
    """Serverless v2 readers in promotion tier 0-1 (the default, 0) scale with the writer."""
    match = re.search(r'resource "aws_rds_cluster_instance" "aurora" \{(.*?)\n\}', stack_text, re.S)
    if not match:
        return False
    line = re.search(r"promotion_tier\s*=\s*([^\n]*)", match.group(1))
    if line is None:
        return True  # AWS's default tier is 1
    # `count.index == 0 ? 0 : 2`: the reader (count.index 1) takes the value after the colon.
    value = line.group(1).rsplit(":", 1)[-1] if "?" in line.group(1) else line.group(1)
    return int(re.search(r"\d+", value).group(0)) <= 1


def stack_facts(stack_text: str, capacity_locals: Mapping[str, Any], tfvars: Mapping[str, Any]) -> StackFacts:
    return StackFacts(
        kinesis_batch_size=int(capacity_locals.get("kinesis_batch_size", 100)),
        batching_window_s=float(capacity_locals.get("kinesis_batching_window", 1)),
        parallelization_factor=int(capacity_locals.get("parallelization_factor", 1)),
        sqs_batch_size=int(capacity_locals.get("sqs_batch_size", 10)),
        interface_endpoints=interface_endpoint_services(stack_text),
        availability_zones=len(tfvars.get("private_subnet_cidrs") or [None, None]),
        aurora_readers=1,
        reader_follows_writer=reader_follows_writer(stack_text),
    )
