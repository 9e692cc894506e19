"""ModifyReplicationGroup AUTH token updates against the emulator (harness/emulator/patches/elasticache.py):
the rules ElastiCache applies and the state DescribeReplicationGroups shows, as the redis_auth deploy
step (handlers/redis_auth_rotator.py) relies on them."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def _group(elasticache, transit: bool) -> str:
    group_id = f"auth-{uuid.uuid4().hex[:8]}"
    elasticache.create_replication_group(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="auth token test",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        TransitEncryptionEnabled=transit,
    )
    return group_id


def _describe(elasticache, group_id: str) -> dict:
    return elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]


def test_rotate_enables_auth_and_keeps_two_tokens(aws_client):
    elasticache = aws_client("elasticache")
    group_id = _group(elasticache, transit=True)
    assert not _describe(elasticache, group_id).get("AuthTokenEnabled")
    for token in ("a" * 32, "b" * 32, "c" * 32):
        elasticache.modify_replication_group(
            ReplicationGroupId=group_id, AuthToken=token, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
        )
    described = _describe(elasticache, group_id)
    assert described["AuthTokenEnabled"] is True and described.get("AuthTokenLastModifiedDate")
    elasticache.modify_replication_group(ReplicationGroupId=group_id, AuthTokenUpdateStrategy="DELETE")
    assert not _describe(elasticache, group_id).get("AuthTokenEnabled")


@pytest.mark.parametrize(
    ("transit", "arguments", "code"),
    [
        (False, {"AuthToken": "a" * 32, "AuthTokenUpdateStrategy": "ROTATE"}, "InvalidParameterCombination"),
        (True, {"AuthToken": "short", "AuthTokenUpdateStrategy": "ROTATE"}, "InvalidParameterValue"),
        (True, {"AuthToken": "a" * 31 + "@", "AuthTokenUpdateStrategy": "SET"}, "InvalidParameterValue"),
        (True, {"AuthTokenUpdateStrategy": "ROTATE"}, "InvalidParameterCombination"),
        (True, {"AuthToken": "a" * 32, "AuthTokenUpdateStrategy": "DELETE"}, "InvalidParameterCombination"),
        (True, {"AuthToken": "a" * 32, "AuthTokenUpdateStrategy": "SWAP"}, "InvalidParameterValue"),
    ],
)
def test_invalid_token_updates_are_refused(aws_client, transit, arguments, code):
    elasticache = aws_client("elasticache")
    group_id = _group(elasticache, transit=transit)
    with pytest.raises(ClientError) as refused:
        elasticache.modify_replication_group(ReplicationGroupId=group_id, **arguments)
    assert refused.value.response["Error"]["Code"] == code
    assert not _describe(elasticache, group_id).get("AuthTokenEnabled")
