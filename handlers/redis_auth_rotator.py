"""Deploy step: put the Redis AUTH token of Secrets Manager on the ElastiCache replication group.

The token never passes through Terraform state or plan: Terraform writes a fresh random value into
the secret as a write-only argument (ephemeral aws_secretsmanager_random_password ->
secret_string_wo, versioned by var.redis_auth_token_version) and invokes this function after apply
(aws_lambda_invocation.deploy_step["redis_auth"], re-run when the version changes). It reads the
secret's current value and calls ModifyReplicationGroup with AuthTokenUpdateStrategy=ROTATE: the
server then accepts the new token and the previous one, so clients holding the old value keep
working, and handlers.common.redis_client re-reads the secret when the server refuses a token.
(ROTATE is also how AUTH is first enabled on a group created with in-transit encryption and no
token.) Returns the group and strategy, never the token.
"""

from __future__ import annotations

from handlers.common.aws import client
from handlers.common.config import get_config
from handlers.common.secrets import get_secret, invalidate

STRATEGY = "ROTATE"


def handler(event, context):
    cfg = get_config()
    secret_arn = cfg.require("redis_auth_secret_arn")
    group_id = cfg.require("redis_replication_group_id")
    invalidate(secret_arn)  # the version Terraform just wrote, not a cached one
    token = get_secret(secret_arn)
    client("elasticache").modify_replication_group(
        ReplicationGroupId=group_id,
        AuthToken=token,
        AuthTokenUpdateStrategy=STRATEGY,
        ApplyImmediately=True,
    )
    return {"replication_group": group_id, "strategy": STRATEGY}
