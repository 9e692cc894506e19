"""The Aurora/PostgreSQL schema: handlers/migrations/NNN_name.sql applied in order, once each.

One implementation for every path that migrates: the schema_migrator deploy step (a function in the
VPC that Terraform invokes after apply, and `make migrate TARGET=aws`) and `python -m harness.migrate`
(a local stack, or any DSN). Applied files are recorded in schema_migrations with their SHA-256; an
applied file whose content changed is an error, never silently re-applied. Each file runs in its own
transaction under a session advisory lock, so concurrent runs serialize and a re-run is a no-op.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg
from psycopg.rows import tuple_row

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x666C7474  # arbitrary, constant: "fltt"


class MigrationError(RuntimeError):
    pass


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    files = sorted(p for p in directory.glob("*.sql") if _NAME.match(p.name))
    versions = [p.name[:3] for p in files]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration version in {directory}")
    return files


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_text().encode()).hexdigest()


def apply_on(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations over an autocommit connection; returns the names applied now."""
    applied_now: list[str] = []
    cur = conn.cursor(row_factory=tuple_row)
    cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
    try:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur.execute("SELECT version, name, checksum FROM schema_migrations")
        done = {v: (n, c) for v, n, c in cur.fetchall()}
        for path in migration_files(directory):
            sql, digest, version = path.read_text(), checksum(path), path.name[:3]
            if version in done:
                if done[version][1] != digest:
                    raise MigrationError(f"{path.name} changed after it was applied; add a new migration instead")
                continue
            with conn.transaction():
                cur.execute(sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (version, path.name, digest),
                )
            applied_now.append(path.name)
    finally:
        cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def recorded(conn: psycopg.Connection) -> list[str]:
    """The applied migrations' names, in version order."""
    cur = conn.cursor(row_factory=tuple_row)
    cur.execute("SELECT name FROM schema_migrations ORDER BY version")
    return [name for (name,) in cur.fetchall()]


def apply(conninfo: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations to the database at `conninfo`; returns the names applied now."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        return apply_on(conn, directory)
