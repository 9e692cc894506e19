"""Event filtering of a mapping's `FilterCriteria` (EventBridge pattern syntax, matched with moto's
own EventBridge matcher). Lambda matches Kinesis patterns against the `kinesis` record properties
with `data` decoded as JSON, SQS patterns against the record with `body` decoded as JSON, and
DynamoDB patterns against the whole stream record. Several filters are OR-ed; no filter keeps all."""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.events.models import EventPattern


def _json_or_raw(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


class RecordFilter:
    def __init__(self, patterns: list[dict[str, Any]], source_kind: str) -> None:
        self._patterns = [EventPattern(json.dumps(pattern), pattern) for pattern in patterns]
        self._kind = source_kind

    def matches(self, event_record: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        subject = self._subject(event_record)
        return any(pattern.matches_event(subject) for pattern in self._patterns)

    def _subject(self, event_record: dict[str, Any]) -> dict[str, Any]:
        if self._kind == "kinesis":
            properties = dict(event_record["kinesis"])
            properties["data"] = _json_or_raw(base64.b64decode(properties["data"]).decode("utf-8", "replace"))
            return properties
        if self._kind == "sqs":
            return dict(event_record, body=_json_or_raw(event_record["body"]))
        return event_record
