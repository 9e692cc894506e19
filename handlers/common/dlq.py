"""The function's own dead-letter queue for records it rejects (docs/contracts.md, DLQ_URL).

If the send itself fails the error propagates: the record is then retried, never dropped.
"""

from __future__ import annotations

import json

from handlers.common.aws import client
from handlers.common.config import get_config


def send_to_dlq(reason: str, detail: str, record: dict) -> None:
    cfg = get_config()
    body = {"reason": reason, "detail": detail[:2000], "function": cfg.function_name, "record": record}
    client("sqs").send_message(
        QueueUrl=cfg.require("dlq_url"),
        MessageBody=json.dumps(body, default=str),
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason}},
    )
