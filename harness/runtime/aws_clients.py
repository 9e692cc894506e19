"""boto3 clients the runtime uses to talk to the emulator it lives in (same API a Lambda poller uses)."""
from __future__ import annotations

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                 max_pool_connections=50)


def client(service: str, endpoint: str, region: str):
    # A fresh session per client: boto3's default session is not thread-safe to create clients from.
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
    return session.client(service, endpoint_url=endpoint, config=_CONFIG)
