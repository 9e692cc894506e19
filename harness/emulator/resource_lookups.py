"""The emulator's answers to `request_resources.Lookups`: resource ARNs that only its state knows.

Contract: each method answers from moto's backends in this process, or None (False for an object)
when the resource does not exist; it never raises for a missing resource (the request itself then
fails with the service's own not-found error after authorization, as on AWS).
"""

from __future__ import annotations

import base64
from typing import Any


class MotoLookups:
    def secret_arn(self, account: str, region: str, secret_id: str) -> str | None:
        from moto.secretsmanager.models import secretsmanager_backends

        try:
            return secretsmanager_backends[account][region].secrets[secret_id].arn
        except Exception:  # not found (moto raises its own errors for unknown names)
            return None

    def kms_key_arn(self, account: str, region: str, key_id: str) -> str | None:
        from moto.kms.models import kms_backends

        backend = kms_backends[account][region]
        try:
            return backend.keys[backend.any_id_to_key_id(key_id)].arn
        except Exception:  # an unknown key or alias
            return None

    def kms_key_of_ciphertext(self, account: str, region: str, blob: Any) -> str | None:
        from moto.kms.utils import _deserialize_ciphertext_blob

        if not blob:
            return None
        try:
            raw = base64.b64decode(blob) if isinstance(blob, str) else bytes(blob)
            return _deserialize_ciphertext_blob(raw).key_id
        except Exception:  # not a ciphertext of this emulator: KMS itself will refuse it
            return None

    def s3_object_exists(self, account: str, bucket: str, key: str) -> bool:
        from moto.s3.models import s3_backends

        try:
            found = s3_backends[account]["aws"].buckets[bucket].keys.get(key)
        except KeyError:
            return False
        return found is not None
