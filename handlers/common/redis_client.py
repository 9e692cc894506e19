"""The Redis (ElastiCache) client, created once per container.

The AUTH token comes from Secrets Manager (REDIS_AUTH_SECRET_ARN) when set. Timeouts are short
so an outage surfaces as a ConnectionError/TimeoutError, which fails the batch for retry.
"""

from __future__ import annotations

import threading

import redis

from handlers.common.config import get_config
from handlers.common.secrets import get_secret

_client: redis.Redis | None = None
_lock = threading.Lock()


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                cfg = get_config()
                token = get_secret(cfg.redis_auth_secret_arn) if cfg.redis_auth_secret_arn else None
                _client = redis.Redis(
                    host=cfg.require("redis_host"),
                    port=cfg.redis_port,
                    ssl=cfg.redis_tls,
                    password=token or None,
                    socket_connect_timeout=2,
                    socket_timeout=3,
                    health_check_interval=30,
                    decode_responses=True,
                )
    return _client


def reset() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
