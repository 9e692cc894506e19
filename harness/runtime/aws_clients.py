"""boto3 clients the runtime uses to talk to the emulator it lives in (same API a Lambda poller uses).

One client per (service, endpoint, region), made once and shared by every poller thread (boto3
clients are thread-safe). Making a client is expensive (a new botocore session parses the
endpoint and service models: tens of ms of CPU in the emulator's own process), and the
mapping supervisor, the pollers and Firehose used to make one on every refresh.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30, max_pool_connections=50
)
_clients: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


def client(service: str, endpoint: str, region: str):
    key = (service, endpoint, region)
    found = _clients.get(key)
    if found is None:
        with _lock:  # boto3's session machinery is not thread-safe to create clients from
            found = _clients.get(key)
            if found is None:
                session = boto3.session.Session(
                    aws_access_key_id="test", aws_secret_access_key="test", region_name=region
                )
                found = _clients[key] = session.client(service, endpoint_url=endpoint, config=_CONFIG)
    return found
