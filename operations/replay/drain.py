"""Draining a function's on-failure destination back into the function.

For each Kinesis / DynamoDB Streams mapping of the function with an SQS on-failure destination:
receive the destination's messages (hidden for `visibility_s` while the drain works), keep the
invocation records of this function's streams (`failure_records.parse`; anything else is left in
the queue untouched), order them by shard and sequence number (a key's records are replayed in
stream order), re-read each batch's range (`stream_range`), rebuild the event (`lambda_events`),
invoke the function synchronously and delete the message only when the invoke succeeded: no
FunctionError and no `batchItemFailures`. A batch whose invoke fails, or whose records the stream no
longer holds, stays in the destination (made visible again at the end) and is reported.

The handlers are idempotent (a retry never doubles a side effect: docs/contracts.md), so a replay
that is repeated (a delete that failed, a drain run twice over a re-sent record) changes nothing the
first replay did. A batch's range is every record of the shard between its first and last sequence
number: with ParallelizationFactor > 1 that includes records of other keys that Lambda had
delivered in a concurrent batch; they are re-delivered, which idempotency makes harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from operations.replay import failure_records, lambda_events, stream_range
from operations.replay.failure_records import FailedBatch

INVOKE_PAYLOAD_LIMIT = 6 * 1024 * 1024 - 1024  # synchronous Invoke request limit, with room for framing
DEFAULT_VISIBILITY_S = 900


@dataclass(frozen=True)
class StreamMapping:
    uuid: str
    source_arn: str
    destination_arn: str | None
    filter_patterns: list[dict] = field(default_factory=list)


@dataclass
class Outcome:
    """What happened to one destination message."""

    status: str  # replayed | would-replay | failed | expired | unsupported
    detail: str
    batch: FailedBatch | None = None
    records: int = 0
    message_id: str = ""


@dataclass
class Clients:
    lambda_: Any
    sqs: Any
    kinesis: Any
    streams: Any
    region: str


def stream_mappings(lambda_client: Any, function_name: str) -> list[StreamMapping]:
    """The function's Kinesis and DynamoDB Streams mappings with their on-failure destinations."""
    mappings = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate(FunctionName=function_name):
        for esm in page["EventSourceMappings"]:
            source = esm.get("EventSourceArn", "")
            if ":kinesis:" not in source and ":dynamodb:" not in source:
                continue
            destination = ((esm.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            patterns = [
                json.loads(item["Pattern"])
                for item in (esm.get("FilterCriteria") or {}).get("Filters", [])
                if item.get("Pattern")
            ]
            mappings.append(StreamMapping(esm["UUID"], source, destination, patterns))
    return mappings


def _queue_url(sqs: Any, queue_arn: str) -> str:
    _, _, _, _, account, name = queue_arn.split(":", 5)
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def _function_name(arn_or_name: str) -> str:
    """`arn:aws:lambda:r:a:function:NAME[:qualifier]` or NAME -> NAME."""
    parts = arn_or_name.split(":")
    return parts[6] if len(parts) >= 7 and parts[5] == "function" else arn_or_name


def _chunks(records: list[dict]) -> list[list[dict]]:
    """The records in as few events as fit the synchronous Invoke payload limit, order kept."""
    if len(records) <= 1 or len(json.dumps({"Records": records})) <= INVOKE_PAYLOAD_LIMIT:
        return [records]
    middle = len(records) // 2
    return _chunks(records[:middle]) + _chunks(records[middle:])


class Drain:
    """One drain of `function_name`'s on-failure destinations (`run`), or a listing (`dry_run=True`)."""

    def __init__(
        self,
        clients: Clients,
        function_name: str,
        dry_run: bool = False,
        max_batches: int = 1000,
        visibility_s: int = DEFAULT_VISIBILITY_S,
        read_pause_s: float = stream_range.PAUSE_BETWEEN_READS_S,
    ) -> None:
        self.clients = clients
        self.function_name = function_name
        self.dry_run = dry_run
        self.max_batches = max_batches
        self.visibility_s = visibility_s
        self.read_pause_s = read_pause_s

    def run(self) -> list[Outcome]:
        configuration = self.clients.lambda_.get_function_configuration(FunctionName=self.function_name)
        self._function_arn = configuration["FunctionArn"]
        self._role_arn = configuration.get("Role", "")
        mappings = stream_mappings(self.clients.lambda_, self._function_arn)
        if not mappings:
            raise LookupError(f"{self.function_name} has no Kinesis or DynamoDB Streams event source mapping")
        outcomes: list[Outcome] = []
        by_destination: dict[str, list[StreamMapping]] = {}
        for mapping in mappings:
            if mapping.destination_arn:
                by_destination.setdefault(mapping.destination_arn, []).append(mapping)
            else:
                outcomes.append(Outcome("unsupported", f"mapping {mapping.uuid} has no on-failure destination"))
        for destination, its_mappings in by_destination.items():
            if destination.split(":")[2] != "sqs":
                outcomes.append(
                    Outcome(
                        "unsupported",
                        f"{destination}: only SQS destinations can be drained (subscribe a queue to SNS)",
                    )
                )
                continue
            outcomes += self._drain_queue(_queue_url(self.clients.sqs, destination), its_mappings)
        return outcomes

    def _receive_all(self, queue_url: str) -> list[dict]:
        seen: dict[str, dict] = {}
        while len(seen) < self.max_batches * 10:
            messages = self.clients.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=self.visibility_s, WaitTimeSeconds=1
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen[message["MessageId"]] = message
        return list(seen.values())

    def _drain_queue(self, queue_url: str, mappings: list[StreamMapping]) -> list[Outcome]:
        by_source = {mapping.source_arn: mapping for mapping in mappings}
        messages = self._receive_all(queue_url)
        ours: list[tuple[FailedBatch, dict]] = []
        keep: list[dict] = []  # made visible again at the end
        for message in messages:
            batch = failure_records.parse(message["Body"])
            if (
                batch is None
                or batch.stream_arn not in by_source
                or _function_name(batch.function_arn) != _function_name(self._function_arn)
            ):
                keep.append(message)
                continue
            ours.append((batch, message))
        ours.sort(key=lambda pair: (pair[0].stream_arn, pair[0].shard_id, int(pair[0].start_sequence)))
        outcomes = []
        try:
            for index, (batch, message) in enumerate(ours):
                if index >= self.max_batches:
                    keep.append(message)
                    continue
                outcome = self._replay(batch, by_source[batch.stream_arn])
                outcome.message_id = message["MessageId"]
                outcomes.append(outcome)
                if outcome.status == "replayed":
                    self.clients.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    keep.append(message)
        finally:
            for message in keep:
                self.clients.sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        return outcomes

    def _replay(self, batch: FailedBatch, mapping: StreamMapping) -> Outcome:
        try:
            raws = stream_range.read_range(batch, self.clients.kinesis, self.clients.streams, self.read_pause_s)
        except stream_range.RecordsExpired as expired:
            return Outcome("expired", str(expired), batch)
        event = lambda_events.build_event(
            raws, batch, self.clients.region, mapping.filter_patterns, invoke_identity_arn=self._role_arn
        )
        records = event["Records"]
        if self.dry_run:
            return Outcome(
                "would-replay", f"{len(raws)} records in range, {len(records)} after filters", batch, len(records)
            )
        for chunk in _chunks(records) if records else []:
            failure = self._invoke({"Records": chunk})
            if failure:
                return Outcome("failed", failure, batch, len(records))
        return Outcome("replayed", f"{len(records)} records invoked", batch, len(records))

    def _invoke(self, event: dict) -> str | None:
        """None when the function processed every record, else why not."""
        response = self.clients.lambda_.invoke(
            FunctionName=self._function_arn, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        body = response["Payload"].read()
        if response.get("FunctionError"):
            return f"function error ({response['FunctionError']}): {body[:500].decode(errors='replace')}"
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
        if failures:
            ids = [f.get("itemIdentifier") for f in failures if isinstance(f, dict)]
            return f"{len(failures)} records still fail (batchItemFailures): {', '.join(map(str, ids[:5]))}"
        return None
