"""The Redis (ElastiCache) client, created once per container.

The AUTH token comes from Secrets Manager (REDIS_AUTH_SECRET_ARN) when set. It is read per new
connection through a credential provider (cached by handlers.common.secrets), never baked into the
client, so a rotated token reaches the container without a restart: when the server refuses the
token (WRONGPASS/NOAUTH/invalid password, an AuthenticationError) the cached secret is dropped and
redis-py's connect retry authenticates again with the freshly fetched value. Rotation on AWS
(ModifyReplicationGroup ROTATE, then SET) keeps the old token valid while containers catch up;
open connections stay authenticated.

Timeouts are short so an outage surfaces as a ConnectionError/TimeoutError, which fails the batch
for retry.
"""

from __future__ import annotations

import threading

import redis
from redis.credentials import CredentialProvider

from handlers.common.config import get_config
from handlers.common.secrets import get_secret, invalidate

_client: redis.Redis | None = None
_lock = threading.Lock()


class SecretTokenProvider(CredentialProvider):
    """AUTH credentials from the REDIS_AUTH_SECRET_ARN secret (the token is the whole SecretString)."""

    def get_credentials(self) -> tuple[str]:
        return (get_secret(get_config().redis_auth_secret_arn),)

    def handshake(self, connection: redis.connection.AbstractConnection) -> None:
        """redis_connect_func: the normal AUTH/HELLO handshake; a refused token drops the cached
        secret so the connect retry (AuthenticationError is a ConnectionError) reads the new one."""
        try:
            connection.on_connect()
        except redis.exceptions.AuthenticationError:
            invalidate(get_config().redis_auth_secret_arn)
            raise


def build_client(host: str, port: int, tls: bool, authenticated: bool) -> redis.Redis:
    """A client whose connections authenticate with the secret's current value (unauthenticated: no AUTH)."""
    provider = SecretTokenProvider() if authenticated else None
    return redis.Redis(
        host=host,
        port=port,
        ssl=tls,
        credential_provider=provider,
        redis_connect_func=provider.handshake if provider else None,
        socket_connect_timeout=2,
        socket_timeout=3,
        health_check_interval=30,
        decode_responses=True,
    )


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                cfg = get_config()
                _client = build_client(
                    cfg.require("redis_host"), cfg.redis_port, cfg.redis_tls, bool(cfg.redis_auth_secret_arn)
                )
    return _client


def reset() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
