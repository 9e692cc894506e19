"""Puts the local servers' credentials into the secrets the deployed functions read.

The handlers read Aurora credentials from the secret named by `DB_SECRET_ARN` (JSON with `username`,
`password`; on AWS RDS manages it) and the Redis AUTH token from `REDIS_AUTH_SECRET_ARN`. Locally
those secrets exist in the emulator (Terraform/moto created them) but hold values that mean nothing
to the local Postgres/Redis, so the runtime writes stack.json's credentials into them (a new secret
version, only when the value differs). Checked every `REFRESH_S` so functions deployed later are
covered too.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from moto.awslambda.models import lambda_backends

from harness.config import read_stack_data
from harness.runtime.aws_clients import client

log = logging.getLogger(__name__)

REFRESH_S = 5.0


def local_secret_values(function_env: dict[str, str], stack: dict) -> dict[str, str]:
    """secret ARN -> the SecretString it must hold locally."""
    values = {}
    postgres = stack.get("postgres")
    if postgres and function_env.get("DB_SECRET_ARN"):
        values[function_env["DB_SECRET_ARN"]] = json.dumps(
            {
                "username": postgres.get("user"),
                "password": postgres.get("password"),
                "engine": "postgres",
                "host": postgres.get("host"),
                "port": postgres.get("port"),
                "dbname": postgres.get("dbname"),
            },
            sort_keys=True,
        )
    redis = stack.get("redis")
    if redis and redis.get("password") and function_env.get("REDIS_AUTH_SECRET_ARN"):
        # Without a local password the ARN is unset instead (local_endpoints): no AUTH.
        values[function_env["REDIS_AUTH_SECRET_ARN"]] = str(redis["password"])
    return values


class LocalSecrets:
    def __init__(self, state_dir: Path, endpoint: str, region: str) -> None:
        self._state_dir = state_dir
        self._client = client("secretsmanager", endpoint, region)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="local-secrets")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while True:
            try:
                self.sync()
            except Exception:
                log.exception("writing local credentials into secrets failed")
            if self._stop.wait(REFRESH_S):
                return

    def sync(self) -> None:
        stack = read_stack_data(self._state_dir)
        wanted: dict[str, str] = {}
        for _account, regions in list(lambda_backends.items()):
            for _region, backend in list(regions.items()):
                for function in backend.list_functions():
                    wanted.update(local_secret_values(function.environment_vars or {}, stack))
        self._write(wanted)

    def before_cold_start(self, spec) -> None:
        """So the first invoke of a just-deployed function already reads the local credentials."""
        self._write(local_secret_values(dict(spec.environment), read_stack_data(self._state_dir)))

    def _write(self, wanted: dict[str, str]) -> None:
        for arn, value in wanted.items():
            try:
                current = self._client.get_secret_value(SecretId=arn).get("SecretString")
            except self._client.exceptions.ResourceNotFoundException:
                log.warning("secret %s named by a function does not exist", arn)
                continue
            except Exception:  # a secret without any value yet
                current = None
            if current != value:
                self._client.put_secret_value(SecretId=arn, SecretString=value)
                log.info("wrote local credentials into %s", arn)
