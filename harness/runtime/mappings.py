"""Keeps one set of pollers per event source mapping held by moto's Lambda backend.

Re-reads the mappings every `REFRESH_S`, so a mapping created by a later `terraform apply` starts
being polled within seconds and a deleted one stops; stream shards are re-listed at the same time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import lambda_backends

from harness.runtime.pollers.mapping_view import MappingView
from harness.runtime.pollers.source_access import stream_of
from harness.runtime.pollers.sqs_poller import SqsPoller
from harness.runtime.pollers.stream_poller import StreamShardPoller
from harness.runtime.pollers.stream_sources import DynamoDBStreamSource, KinesisSource

log = logging.getLogger(__name__)

REFRESH_S = 2.0
STREAM_SOURCES = {"kinesis": KinesisSource, "dynamodb": DynamoDBStreamSource}


def deployed_mappings() -> list[Any]:
    """Every event source mapping in every account/region of the emulator."""
    found = []
    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            found.extend(list(backend._event_source_mappings.values()))
    return found


class MappingSupervisor:
    def __init__(self, invoke: Callable[[str, dict], Any], endpoint: str, region: str) -> None:
        self._invoke = invoke
        self._endpoint = endpoint
        self._region = region
        self._pollers: dict[tuple[str, str], Any] = {}  # (mapping uuid, shard id or "queue") -> poller
        self._stop = threading.Event()
        self._refresh_lock = threading.Lock()  # the loop and callers (tests, status) may refresh at once
        self._thread = threading.Thread(target=self._run, daemon=True, name="esm-supervisor")

    def start(self) -> None:
        self.refresh()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for poller in self._pollers.values():
            poller.stop()
        for poller in self._pollers.values():
            poller.join(5)
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(REFRESH_S):
            try:
                self.refresh()
            except Exception:
                log.exception("refreshing event source mappings failed")

    def refresh(self) -> None:
        with self._refresh_lock:
            self._refresh()

    def _refresh(self) -> None:
        live: set[tuple[str, str]] = set()
        for esm in deployed_mappings():
            mapping = MappingView(esm)
            region = mapping.event_source_arn.split(":")[3]
            kind = mapping.source_kind
            if kind == "sqs":
                keys = [(mapping.uuid, "queue")]
                factory = {keys[0]: lambda m=mapping, r=region: SqsPoller(m, self._invoke, self._endpoint, r)}
            else:
                source_class = STREAM_SOURCES[kind]
                # An enhanced fan-out consumer delivers its stream's records (its own read throughput).
                stream_arn = stream_of(mapping.event_source_arn)
                shard_ids = source_class.shard_ids(stream_arn, self._endpoint, region)
                keys = [(mapping.uuid, shard) for shard in shard_ids]
                factory = {
                    (mapping.uuid, shard): (
                        lambda m=mapping, s=shard, c=source_class, r=region, a=stream_arn: StreamShardPoller(
                            m, c(a, s, self._endpoint, r), self._invoke, self._endpoint, r
                        )
                    )
                    for shard in shard_ids
                }
            for key in keys:
                live.add(key)
                if key not in self._pollers:
                    poller = factory[key]()
                    self._pollers[key] = poller
                    poller.start()
                    log.info("polling %s for %s (%s)", mapping.event_source_arn, mapping.function_arn, key[1])
        for key in [key for key in self._pollers if key not in live]:
            self._pollers.pop(key).stop()

    def snapshot(self) -> list[dict[str, Any]]:
        rows = []
        for (uuid, shard), poller in list(self._pollers.items()):
            row = {
                "uuid": uuid,
                "source": poller.mapping.event_source_arn,
                "shard": shard,
                "function": poller.mapping.function_arn,
                "enabled": poller.mapping.enabled,
                "state_reason": poller.access.reason,  # an AccessDenied that stops it, as AWS's LastProcessingResult
            }
            if isinstance(poller, StreamShardPoller):
                row.update(
                    millis_behind_latest=poller.millis_behind,
                    last_sequence=poller.last_sequence,
                    records_delivered=poller.records_delivered,
                    invocations=poller.stats.invocations,
                    function_errors=poller.stats.function_errors,
                    throttles=poller.stats.throttles,
                    discarded_records=poller.stats.discarded_records,
                    batch_timings=poller.timing_summary(),
                )
            else:
                row.update(
                    invocations=poller.invocations,
                    function_errors=poller.function_errors,
                    throttles=poller.throttles,
                    messages_deleted=poller.messages_deleted,
                )
            rows.append(row)
        return rows
