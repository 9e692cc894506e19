"""The function's own dead-letter queue for records it rejects (docs/contracts.md, DLQ_URL).

If the send itself fails the error propagates: the record is then retried, never dropped.

A message body holds the whole original record. SQS takes at most 256 KiB, so a body above
MAX_INLINE_BYTES is a claim check instead: the body is written whole to S3 (DEAD_LETTER_BUCKET,
`dead-letter/<function>/<yyyy-mm-dd>/<sha256>.json`, the bucket's default SSE-KMS key) and the
message carries `record_ref {bucket, key, bytes, sha256}` in place of `record`. `original_record`
gives the record back from either form, for replay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from handlers.common.aws import client
from handlers.common.config import get_config

MAX_INLINE_BYTES = 200 * 1024  # below SQS's 262,144 bytes with the attributes and JSON escaping to spare
CLAIM_PREFIX = "dead-letter"


def send_to_dlq(reason: str, detail: str, record: dict) -> None:
    cfg = get_config()
    body = {"reason": reason, "detail": detail[:2000], "function": cfg.function_name, "record": record}
    text = json.dumps(body, default=str)
    if len(text.encode()) > MAX_INLINE_BYTES:
        text = json.dumps({**{k: v for k, v in body.items() if k != "record"}, "record_ref": _claim(cfg, text)})
    client("sqs").send_message(
        QueueUrl=cfg.require("dlq_url"),
        MessageBody=text,
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason}},
    )


def _claim(cfg, text: str) -> dict:
    """Store the whole DLQ body in S3 (same content, same key: a retried send rewrites it harmlessly)."""
    data = text.encode()
    digest = hashlib.sha256(data).hexdigest()
    day = dt.datetime.now(dt.UTC).date().isoformat()
    bucket = cfg.require("dead_letter_bucket")
    key = f"{CLAIM_PREFIX}/{cfg.function_name}/{day}/{digest}.json"
    # No SSE argument: the bucket's default SSE-KMS key (the stack's key) applies.
    client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json")
    return {"bucket": bucket, "key": key, "bytes": len(data), "sha256": digest}


def original_record(message_body: str | dict, s3=None) -> dict:
    """The original event record of a DLQ message body, fetched from S3 for a claim check (its
    sha256 verified): what a replay feeds back to the function."""
    body = json.loads(message_body) if isinstance(message_body, str) else message_body
    if "record" in body:
        return body["record"]
    ref = body["record_ref"]
    data = (s3 or client("s3")).get_object(Bucket=ref["bucket"], Key=ref["key"])["Body"].read()
    if hashlib.sha256(data).hexdigest() != ref["sha256"]:
        raise ValueError(f"dead-letter object {ref['key']} does not match its sha256")
    return json.loads(data)["record"]
