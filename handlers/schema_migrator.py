"""Deploy step: bring the Aurora schema to handlers/migrations (the files shipped in this package).

Invoked synchronously after `terraform apply` (aws_lambda_invocation.deploy_step["schema_migrator"],
re-run whenever a migration file changes) and by `make migrate TARGET=aws`; it runs in the VPC with
the cluster's managed secret, so the schema reaches a private cluster without a tunnel or bastion.
Idempotent: the schema_migrations ledger (version, name, SHA-256) makes a re-run a no-op and refuses
an applied file that was edited. Returns {"applied": [names applied now], "schema": [all applied]}.

A freshly created cluster's secret or endpoint may take a moment to answer; connecting is retried
for CONNECT_BUDGET_S (the secret is re-read each time, handlers.common.db drops it on failure).
"""

from __future__ import annotations

import time

import psycopg

from handlers.common import db, migrations

CONNECT_BUDGET_S = 90.0
RETRY_PAUSE_S = 3.0


def _connect_with_patience(budget_s: float = CONNECT_BUDGET_S) -> psycopg.Connection:
    deadline = time.monotonic() + budget_s
    while True:
        try:
            return db.connection()
        except psycopg.OperationalError:
            if time.monotonic() + RETRY_PAUSE_S > deadline:
                raise
            time.sleep(RETRY_PAUSE_S)


def handler(event, context):
    conn = _connect_with_patience()
    try:
        applied = migrations.apply_on(conn)
        schema = migrations.recorded(conn)
    except (psycopg.OperationalError, psycopg.InterfaceError):
        db.reset()
        raise
    return {"applied": applied, "schema": schema}
