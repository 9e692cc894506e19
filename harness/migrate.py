"""Apply handlers/migrations/NNN_name.sql to a PostgreSQL database, in order, once each.

    python -m harness.migrate                      # the local stack: through its schema_migrator
    python -m harness.migrate --dsn 'host=...'     # any database, directly
    python -m harness.migrate --target aws --env prod   # invoke the deployed schema_migrator

The schema reaches Aurora the way it reaches the local stack: by invoking the schema_migrator function
(inside the VPC, with the cluster's managed secret; Terraform also invokes it after every apply whose
migrations changed). Without an applied stack (`make up` only) the local Postgres is migrated
directly. The logic (schema_migrations ledger with checksums, advisory lock, one transaction per
file) is handlers.common.migrations.
"""

from __future__ import annotations

import argparse
import json
import sys

import psycopg

from handlers.common.migrations import MIGRATIONS_DIR, MigrationError, apply, migration_files

__all__ = ["MIGRATIONS_DIR", "MigrationError", "apply", "migration_files", "invoke_migrator", "main"]

MIGRATOR_SUFFIX = "schema-migrator"


def invoke_migrator(lambda_client, function_name: str) -> dict:
    """Invoke the schema_migrator synchronously; its result, or MigrationError with its error."""
    response = lambda_client.invoke(FunctionName=function_name, InvocationType="RequestResponse", Payload=b"{}")
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise MigrationError(f"{function_name} failed: {payload.get('errorType')}: {payload.get('errorMessage')}")
    return payload


def _local_migrator(env: str):
    """(lambda client, function name) of the applied local stack's migrator, or None (not applied)."""
    from harness.config import read_stack
    from harness.runtime.aws_clients import client

    info = read_stack()
    lam = client("lambda", info.aws_endpoint, info.region)
    name = f"fleettap-{env}-{MIGRATOR_SUFFIX}"
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        return None
    return lam, name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="libpq connection string: migrate this database directly")
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--env", choices=("dev", "staging", "prod"), default="dev")
    args = parser.parse_args(argv)
    function_name = f"fleettap-{args.env}-{MIGRATOR_SUFFIX}"
    try:
        if args.dsn:
            route, names = "directly", apply(args.dsn)
        elif args.target == "aws":
            import boto3

            route, names = f"via {function_name}", invoke_migrator(boto3.client("lambda"), function_name)["applied"]
        else:
            migrator = _local_migrator(args.env)
            if migrator is None:
                from harness.config import read_stack

                route, names = "directly (no applied stack)", apply(read_stack().postgres_dsn)
            else:
                route, names = f"via {function_name}", invoke_migrator(*migrator)["applied"]
    except (MigrationError, psycopg.Error) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    print(f"migrate {route}: " + ("applied " + ", ".join(names) if names else "schema up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
