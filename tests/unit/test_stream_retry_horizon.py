"""Issue 18 #9: the deployed stream mappings ride out a dependency outage of minutes.

The retry settings are read from infra/tap_stack.tf (every stream mapping) and played through the
local runtime's model of Lambda's stream delivery (harness.runtime.pollers.batch_delivery, the same
code the local stack runs), on a simulated clock: the handler fails the whole invocation while
Redis is down, as handlers.common.batch does on a dependency error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.runtime.pollers.batch_delivery import DeliveryStats, FetchedRecord, RetryPolicy, deliver
from harness.runtime.workers import InvocationResult, error_payload

STACK = (Path(__file__).resolve().parents[2] / "infra" / "tap_stack.tf").read_text()
OUTAGE_HORIZON_S = 6 * 3600  # documented in docs/contracts.md, "Dependency outages"


def _mapping_blocks() -> dict[str, str]:
    blocks = {}
    for match in re.finditer(r'resource "aws_lambda_event_source_mapping" "(\w+)" \{(.*?)\n\}', STACK, re.S):
        if "starting_position" in match.group(2):  # stream mappings (SQS has none)
            blocks[match.group(1)] = match.group(2)
    return blocks


def _setting(block: str, name: str) -> str:
    found = re.search(rf"^\s*{name}\s*=\s*(\S+)", block, re.M)
    assert found, f"{name} missing"
    value = found.group(1)
    local = re.fullmatch(r"local\.stream_retry\.(\w+)", value)
    if local:
        inner = re.search(r"stream_retry = \{(.*?)\}", STACK, re.S).group(1)
        value = re.search(rf"{local.group(1)}\s*=\s*(\S+)", inner).group(1)
    return value


def _policy(block: str) -> RetryPolicy:
    return RetryPolicy(
        bisect_on_error=_setting(block, "bisect_batch_on_function_error") == "true",
        max_retry_attempts=int(_setting(block, "maximum_retry_attempts")),
        max_record_age_s=int(_setting(block, "maximum_record_age_in_seconds")),
        report_batch_item_failures='"ReportBatchItemFailures"' in block,
    )


def test_every_stream_mapping_is_found():
    assert set(_mapping_blocks()) == {"kinesis", "diagnostics_table"}


@pytest.mark.parametrize("mapping", ["kinesis", "diagnostics_table"])
@pytest.mark.parametrize("outage_s", [60, 300, 1800])
def test_an_outage_of_minutes_discards_nothing(mapping, outage_s):
    policy = _policy(_mapping_blocks()[mapping])
    clock = {"now": 1_000.0}
    records = [FetchedRecord(f"{i:05d}", f"VH-{i % 7}", clock["now"], {"n": i}) for i in range(100)]
    processed: list[str] = []
    discarded: list[str] = []

    def invoke(batch):
        clock["now"] += 0.2
        if clock["now"] < 1_000.0 + outage_s:
            return InvocationResult(error_payload("DependencyUnavailable", "redis down"), "Unhandled", 200.0)
        processed.extend(r.sequence_number for r in batch)
        return InvocationResult({"batchItemFailures": []}, None, 200.0)

    def sleep(seconds):
        clock["now"] += seconds

    def discard(batch, condition, retries, result):
        discarded.extend(r.sequence_number for r in batch)

    stats = DeliveryStats()
    deliver(records, invoke, policy, discard, stats, now=lambda: clock["now"], sleep=sleep)
    assert discarded == []
    assert sorted(processed) == [r.sequence_number for r in records]


def test_the_horizon_is_bounded_and_shorter_than_the_shortest_stream_retention():
    for block in _mapping_blocks().values():
        age = int(_setting(block, "maximum_record_age_in_seconds"))
        assert 0 < age <= OUTAGE_HORIZON_S  # a record that can never succeed leaves its shard in time
    minimum_retention_h = int(re.search(r"var\.retention_hours >= (\d+)", STACK).group(1))
    assert OUTAGE_HORIZON_S < minimum_retention_h * 3600  # the on-failure metadata can still be replayed


def test_a_read_only_replica_during_a_failover_fails_the_whole_invocation():
    import redis

    from handlers.common.errors import DEPENDENCY_ERRORS

    assert isinstance(redis.exceptions.ReadOnlyError("READONLY"), DEPENDENCY_ERRORS)
