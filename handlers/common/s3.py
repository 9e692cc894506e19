"""S3 helpers shared by the report writers."""

from __future__ import annotations

from botocore.exceptions import ClientError

from handlers.common.aws import client

# A missing key is 404 only for a role with s3:ListBucket on the bucket (the report writers' roles have
# it; make preflight checks); a 403 is a real refusal and is raised.
_ABSENT = ("404", "NoSuchKey", "NotFound")


def head(bucket: str, key: str) -> dict | None:
    """HeadObject's answer, or None when the object does not exist."""
    try:
        return client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _ABSENT:
            return None
        raise
