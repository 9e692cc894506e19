"""Redis AUTH token rotation: a client keeps working when the token changes under it.

Real parts: a dedicated redis-server with requirepass, the Secrets Manager of the local emulator.
The rotation is the one ElastiCache performs: a new secret version, the server's password changed,
connections re-established (here CLIENT KILL forces every connection to reconnect).
"""

from __future__ import annotations

import uuid

import pytest
import redis

from handlers.common import aws, secrets
from handlers.common.config import get_config
from handlers.common.redis_client import build_client
from tests.handlers.handler_servers import DedicatedRedis


@pytest.fixture
def auth_redis():
    server = DedicatedRedis(password="token-one")
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def token_secret(aws_env, aws_client, monkeypatch):
    aws.client.cache_clear()  # bind the handlers' boto3 client to this test's emulator
    secrets.invalidate()
    sm = aws_client("secretsmanager")
    arn = sm.create_secret(Name=f"redis-auth-{uuid.uuid4().hex[:8]}", SecretString="token-one")["ARN"]
    monkeypatch.setenv("REDIS_AUTH_SECRET_ARN", arn)
    get_config.cache_clear()
    yield sm, arn
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    secrets.invalidate()
    aws.client.cache_clear()
    get_config.cache_clear()


def _rotate(server: DedicatedRedis, sm, arn: str, new_token: str, old_token: str) -> None:
    sm.put_secret_value(SecretId=arn, SecretString=new_token)
    admin = redis.Redis(port=server.port, password=old_token)
    try:
        admin.config_set("requirepass", new_token)
    finally:
        admin.close()
    admin = redis.Redis(port=server.port, password=new_token)
    try:
        admin.client_kill_filter(_type="normal", skipme=True)  # every client must reconnect and AUTH again
    finally:
        admin.close()


def test_client_reconnects_with_the_rotated_token(auth_redis, token_secret):
    sm, arn = token_secret
    client = build_client("127.0.0.1", auth_redis.port, False, True)
    try:
        client.set("rotation:before", "1")
        _rotate(auth_redis, sm, arn, "token-two", "token-one")
        # The secret cache still holds token-one (TTL 300 s): only the auth-error path can recover.
        client.set("rotation:after", "2")
        assert client.get("rotation:before") == "1"
        assert client.get("rotation:after") == "2"
        assert client.connection_pool.connection_kwargs["credential_provider"].get_credentials() == ("token-two",)
    finally:
        client.close()


def test_a_wrong_token_everywhere_still_fails_loudly(auth_redis, token_secret):
    sm, arn = token_secret
    sm.put_secret_value(SecretId=arn, SecretString="not-the-token")
    client = build_client("127.0.0.1", auth_redis.port, False, True)
    try:
        with pytest.raises(redis.exceptions.AuthenticationError):
            client.ping()
    finally:
        client.close()
