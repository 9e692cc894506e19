"""The one place where a deployed function's configuration is pointed at the local servers.

Terraform sets each function's environment for AWS (ElastiCache, Aurora, the real external APIs).
Locally the runtime keeps that environment and overrides only the endpoints, credentials and
region listed here, taken from `<state_dir>/stack.json` (written by `make up`):

| variable | local value |
|---|---|
| `REDIS_HOST`, `REDIS_PORT` | stack.json `redis.host`, `redis.port` |
| `REDIS_TLS` | `false` (the local Redis speaks plain TCP) |
| `REDIS_AUTH_SECRET_ARN` | for a Redis client (`REDIS_HOST` set): empty when the local Redis has no password (no AUTH), else kept |
| `DB_HOST`, `DB_PORT` | stack.json `postgres.host`, `postgres.port` |
| `DB_SSL_ROOT_CERT` | the local Postgres's CA (`harness.postgres_tls`), so `DB_SSLMODE=verify-full` verifies the local server as it verifies Aurora |
| `DB_SSLMODE` | kept (verify-full); `prefer` only when the local Postgres has no TLS (a compose stack) |
| `TELEMATICS_API_URL`, `PDF_API_URL` | stack.json `mock_api.url` plus the deployed URL's path (`/<stage>/<base>`): the mock answers the stage's routes only (`harness.mock_api`) |
| `AWS_ENDPOINT_URL` | the emulator's endpoint (boto3 honours it for every service) |
| `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | the function's execution-role session (`credentials`, from `harness.runtime.credentials`), as Lambda sets them; the emulator authorizes every call made with them against the role's policies. Without `credentials` (tools, not functions) the admin `test`/`test` |
| `AWS_REGION`, `AWS_DEFAULT_REGION` | the stack's region |
| `FLEETTAP_STACK_GENERATION` | stack.json `generation`, bumped by `harness.reset`: the changed environment replaces every warm execution environment, as a redeploy does on AWS, so no in-memory cache (fences, thresholds, rules) outlives a reset |

Only variables the function already has are overridden (a function without `DB_HOST` does not get
one), except the AWS ones, which every execution environment has. The secrets named by
`DB_SECRET_ARN` / `REDIS_AUTH_SECRET_ARN` are filled with the local credentials by
`harness.runtime.local_secrets`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from harness.runtime.credentials import SessionCredentials

ADMIN = SessionCredentials("test", "test", "test")


def local_overrides(
    function_env: dict[str, str],
    stack: dict[str, Any],
    endpoint: str,
    region: str,
    credentials: SessionCredentials = ADMIN,
) -> dict[str, str]:
    """Environment entries that replace the deployed ones for a locally run function."""
    overrides: dict[str, str] = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    if stack.get("generation"):
        overrides["FLEETTAP_STACK_GENERATION"] = str(stack["generation"])
    redis = stack.get("redis") or {}
    postgres = stack.get("postgres") or {}
    mock_api = stack.get("mock_api") or {}
    candidates = {
        "REDIS_HOST": redis.get("host"),
        "REDIS_PORT": redis.get("port"),
        "REDIS_TLS": "false" if redis else None,
        # Secrets Manager refuses an empty SecretString, so "no password" is said by unsetting the ARN.
        # Only for Redis clients (REDIS_HOST): the redis_auth deploy step keeps it, to put the secret's
        # token on the emulator's replication group as on AWS.
        "REDIS_AUTH_SECRET_ARN": None
        if (redis.get("password") or not redis or "REDIS_HOST" not in function_env)
        else "",
        "DB_HOST": postgres.get("host"),
        "DB_PORT": postgres.get("port"),
        # The local Postgres's CA instead of the RDS bundle: sslmode (verify-full) stays as deployed.
        "DB_SSL_ROOT_CERT": _local_ca(stack) if postgres else None,
        # A local Postgres without TLS (compose stack) cannot verify anything: say so, do not fail.
        "DB_SSLMODE": "prefer" if postgres and not _local_ca(stack) else None,
        "TELEMATICS_API_URL": _on_mock(function_env.get("TELEMATICS_API_URL"), mock_api.get("url")),
        "PDF_API_URL": _on_mock(function_env.get("PDF_API_URL"), mock_api.get("url")),
    }
    for name, value in candidates.items():
        if name in function_env and value is not None:
            overrides[name] = str(value)
    return overrides


def _local_ca(stack: dict[str, Any]) -> str | None:
    from harness.postgres_tls import ca_file

    path = ca_file(stack.get("state_dir") or ".")
    return str(path) if path.is_file() else None


def _on_mock(deployed_url: str | None, mock_url: str | None) -> str | None:
    """The deployed API URL moved onto the mock, path kept: the stage invoke URL
    `https://<api>.execute-api.<region>.amazonaws.com/dev` + base `/fmcsa` becomes `<mock>/dev/fmcsa`,
    so the handlers request the same paths as in the cloud and the mock can check them against the stage."""
    if not mock_url or deployed_url is None:
        return None
    return mock_url.rstrip("/") + urlsplit(deployed_url).path.rstrip("/")
