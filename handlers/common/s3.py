"""S3 helpers shared by the report writers."""

from __future__ import annotations

from botocore.exceptions import ClientError

from handlers.common.aws import client

# Without s3:ListBucket, S3 answers HEAD on a missing key with 403 instead of 404. Treating it as
# "absent" is safe: if the role really lacks access, the PutObject that follows fails loudly.
_ABSENT = ("404", "NoSuchKey", "NotFound", "403", "Forbidden", "AccessDenied")


def head(bucket: str, key: str) -> dict | None:
    """HeadObject's answer, or None when the object does not exist."""
    try:
        return client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _ABSENT:
            return None
        raise
